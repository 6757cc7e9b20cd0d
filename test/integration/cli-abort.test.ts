// Ending a mount without a new session: --discard without a terminal (never waits), Ctrl-C aborting a commit.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { EXIT } from '../../src/cli/exit-codes';
import { CliSandbox, isMounted, sha256, spawnDiscfs } from './cli-harness';

interface StatusJson {
  mounted: boolean;
  staged?: { added: number; changed: number; deleted: number; renamed: number; bytes: number; pendingBlocks: number; freeBlocksAfter: number };
  lastResult?: { ok: boolean; session?: number; message: string; log?: string };
  log?: string;
}

describe('discfs unmount --discard and Ctrl-C', () => {
  const box = new CliSandbox('abort');
  after(() => box.cleanup());
  const status = (target: string): StatusJson => {
    const r = box.run(['status', '--json', target]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as StatusJson;
  };

  it('refuses --discard without a terminal unless --yes, without waiting', () => {
    const img = box.image('discard.iso', { 'a.txt': 'one\n' });
    const mnt = box.mountpoint('discard');
    box.mount([img, mnt]);
    fs.writeFileSync(`${mnt}/x`, 'x');
    const t0 = Date.now();
    const no = box.run(['unmount', '--discard', mnt]);
    assert.equal(no.code, EXIT.usage);
    assert.match(no.stderr, /needs confirmation: add --yes/);
    assert.ok(Date.now() - t0 < 10_000);
    assert.equal(isMounted(mnt), true);
    const yes = box.run(['unmount', '--discard', '--yes', mnt]);
    assert.equal(yes.code, 0, yes.stderr);
    assert.match(yes.stdout, /discarded/);
    assert.equal(box.sessions(img), 1);
    assert.equal(status(img).staged, undefined);
  });

  it('aborts a commit on Ctrl-C: the image is left as it was and the overlay kept', async () => {
    const img = box.image('abort.iso', { 'a.txt': 'one\n' });
    const mnt = box.mountpoint('abort');
    // The daemon pauses 100 ms per progress report, so the abort lands in the middle of the data.
    const r0 = box.run(['mount', img, mnt], { env: { ...box.env, DISCFS_TEST_PROGRESS_DELAY_MS: '100' } });
    assert.equal(r0.code, 0, r0.stderr);
    fs.writeFileSync(`${mnt}/big.bin`, Buffer.alloc(24 << 20, 3));
    const before = sha256(img);
    let interrupted = false;
    const un = spawnDiscfs(box, ['unmount', '--json', mnt], (line) => {
      const e = JSON.parse(line) as { event: string; phase?: string; bytesDone?: number };
      if (!interrupted && e.event === 'progress' && e.phase === 'data' && (e.bytesDone ?? 0) > 0) {
        interrupted = true;
        un.child.kill('SIGINT');
      }
    });
    const r = await un.done;
    assert.equal(interrupted, true, r.stdout);
    assert.equal(r.code, EXIT.aborted, r.stdout + r.stderr);
    assert.match(r.stdout, /"message":"commit aborted: .*the staged changes are kept"/);
    assert.equal(sha256(img), before);
    assert.equal(box.sessions(img), 1);
    const st = status(img);
    assert.equal(st.staged?.added, 1);
    assert.equal(st.staged?.bytes, 24 << 20);
    assert.equal(st.lastResult?.ok, false);
  });
});
