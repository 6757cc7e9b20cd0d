// Child process of overlay-crash.test: applies a seeded op sequence to a staging dir and acknowledges each op on
// stdout once it returned (stdout to a pipe is synchronous on Linux, so an ack is out before the next op starts).

import fc from 'fast-check';
import { OverlayFs } from '../../src/overlay/overlay-fs';
import { memoryLowerTree } from './overlay-fixture';
import { applyToOverlay, opArbitrary, RANDOM_SPEC, type Op } from './overlay-random-ops';

export const CRASH_IDENTITY = 'crash-test-medium';

export function crashOps(seed: number, count: number): Op[] {
  return fc.sample(fc.array(opArbitrary(true), { minLength: count, maxLength: count }), { seed, numRuns: 1 })[0];
}

export function crashOptions(stagingDir: string): Parameters<typeof OverlayFs.open>[0] {
  let clock = 1_700_000_000;
  return {
    stagingDir,
    identity: CRASH_IDENTITY,
    lower: memoryLowerTree(RANDOM_SPEC),
    owner: { uid: 0, gid: 0 },
    capacity: { blocks: 1_000_000, freeBlocks: 1_000_000 },
    now: () => ({ sec: clock++, nsec: 0 }),
  };
}

async function main(): Promise<void> {
  const [stagingDir, seed, count] = process.argv.slice(2);
  const fs = await OverlayFs.open(crashOptions(stagingDir));
  process.stdout.write('ready\n');
  const ops = crashOps(Number(seed), Number(count));
  for (const [i, op] of ops.entries()) {
    const result = await applyToOverlay(fs, op);
    process.stdout.write(`ack ${i} ${result}\n`);
  }
  await fs.close();
  process.stdout.write('done\n');
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`${String(e)}\n`);
    process.exit(1);
  });
}
