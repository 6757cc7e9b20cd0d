// Model test: random operation sequences (fast-check, fixed seed) on the overlay and on a plain directory give the
// same results (OK or the same errno) and leave the same tree.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeOverlay, type SnapshotEntry, snapshot } from './overlay-fixture';
import { applyToDisk, applyToOverlay, materializeSpec, opArbitrary, RANDOM_SPEC } from './overlay-random-ops';
import { createHash } from 'node:crypto';

/** The oracle's view in the same shape as snapshot() of the overlay. */
function diskSnapshot(root: string): Record<string, SnapshotEntry> {
  const out: Record<string, SnapshotEntry> = {};
  const entry = (p: string, rel: string): void => {
    const st = fs.lstatSync(p);
    const kind = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'file';
    let data = '';
    if (kind === 'file') data = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    if (kind === 'symlink') data = fs.readlinkSync(p);
    out[rel] = { kind, mode: st.mode, size: kind === 'dir' ? 0 : st.size, nlink: st.nlink, data };
    if (kind === 'dir') for (const n of fs.readdirSync(p).sort()) entry(path.join(p, n), rel === '/' ? `/${n}` : `${rel}/${n}`);
  };
  entry(root, '/');
  return out;
}

function withoutDirSizes(s: Record<string, SnapshotEntry>): Record<string, SnapshotEntry> {
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.kind === 'dir' ? { ...v, size: 0 } : v]));
}

describe('overlay: model test against a plain directory', () => {
  let work: string;
  let umask: number;
  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'discfs-model-'));
    umask = process.umask(0);
  });
  after(() => {
    process.umask(umask);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('agrees on every result and on the final tree', { timeout: 40_000 }, async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArbitrary(false), { minLength: 5, maxLength: 30 }), async (ops) => {
        const disk = path.join(work, `disk-${run++}`);
        fs.mkdirSync(disk, 0o755);
        const h = await makeOverlay(RANDOM_SPEC);
        try {
          materializeSpec(disk, RANDOM_SPEC, (p) => h.lower.contentOf(p));
          assert.deepEqual(withoutDirSizes(await snapshot(h.fs)), withoutDirSizes(diskSnapshot(disk)), 'start states differ');
          for (const [i, op] of ops.entries()) {
            const want = await applyToDisk(disk, op);
            const got = await applyToOverlay(h.fs, op);
            assert.equal(got, want, `op ${i} ${JSON.stringify(op)}`);
          }
          assert.deepEqual(withoutDirSizes(await snapshot(h.fs)), withoutDirSizes(diskSnapshot(disk)));
          await h.reopen();
          assert.deepEqual(withoutDirSizes(await snapshot(h.fs)), withoutDirSizes(diskSnapshot(disk)), 'after reopen');
        } finally {
          await h.cleanup();
          fs.rmSync(disk, { recursive: true, force: true });
        }
      }),
      { seed: Number(process.env.OVERLAY_MODEL_SEED ?? 20241125), numRuns: Number(process.env.OVERLAY_MODEL_RUNS ?? 40), endOnFailure: true },
    );
  });
});
