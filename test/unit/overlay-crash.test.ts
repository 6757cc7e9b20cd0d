// kill -9 of a process working on a staging dir, at random moments: after reopening, every acknowledged operation
// is there and the one in flight is either wholly applied or not at all (renames included).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OverlayFs } from '../../src/overlay/overlay-fs';
import { snapshot } from './overlay-fixture';
import { crashOps, crashOptions } from './overlay-crash-child';
import { applyToOverlay } from './overlay-random-ops';

const CHILD = path.join(__dirname, 'overlay-crash-child.js');
const OPS = 4000;

/** Runs the child, kills it `killAfterMs` after it is ready; returns how many ops it acknowledged. */
function runAndKill(stagingDir: string, seed: number, killAfterMs: number): Promise<{ acked: number; finished: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, stagingDir, String(seed), String(OPS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (timer === undefined && out.includes('ready\n')) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      if (timer !== undefined) clearTimeout(timer);
      if (signal !== 'SIGKILL' && code !== 0) return reject(new Error(`child failed (${code}): ${err}`));
      resolve({ acked: out.split('\n').filter((l) => l.startsWith('ack ')).length, finished: out.includes('done\n') });
    });
  });
}

describe('overlay: kill -9 at random moments', () => {
  let work: string;
  before(() => (work = fs.mkdtempSync(path.join(os.tmpdir(), 'discfs-crash-'))));
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  const rounds: [number, number][] = [[101, 40], [202, 90], [303, 150], [404, 230], [505, 320], [606, 60]];
  for (const [seed, killAfterMs] of rounds) {
    it(`seed ${seed}, killed after ${killAfterMs} ms`, { timeout: 30_000 }, async () => {
      const crashed = path.join(work, `crashed-${seed}`);
      const { acked, finished } = await runAndKill(crashed, seed, killAfterMs);
      assert.ok(!finished, 'the child finished before the kill: raise OPS');
      const reopened = await OverlayFs.open(crashOptions(crashed));
      let got;
      try {
        got = await snapshot(reopened);
      } finally {
        await reopened.close();
      }
      const replay = await OverlayFs.open(crashOptions(path.join(work, `replay-${seed}`)));
      try {
        const ops = crashOps(seed, OPS);
        for (const op of ops.slice(0, acked)) await applyToOverlay(replay, op);
        const afterAcked = await snapshot(replay);
        if (JSON.stringify(afterAcked) === JSON.stringify(got)) return;
        await applyToOverlay(replay, ops[acked]);
        assert.deepEqual(got, await snapshot(replay), `state after ${acked} acked ops matches neither ${acked} nor ${acked + 1} ops`);
      } finally {
        await replay.close();
      }
    });
  }
});
