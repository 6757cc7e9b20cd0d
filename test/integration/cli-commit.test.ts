// The commit path as a user meets it: fusermount -u commits, SIGTERM does not, the progress bar in a real
// pseudo-terminal, --json events, and discfs status (--discard and Ctrl-C: cli-abort.test.ts).

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { BIN, CliSandbox, isMounted, pidAlive, waitFor } from './cli-harness';

interface StatusJson {
  mounted: boolean;
  staged?: { added: number; changed: number; deleted: number; renamed: number; bytes: number; pendingBlocks: number; freeBlocksAfter: number };
  lastResult?: { ok: boolean; session?: number; message: string; log?: string };
  log?: string;
}

describe('discfs commit path', () => {
  const box = new CliSandbox('commit');
  after(() => box.cleanup());
  const status = (target: string): StatusJson => {
    const r = box.run(['status', '--json', target]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as StatusJson;
  };

  it('commits on an external fusermount -u, and status reports the result and the log', async () => {
    const img = box.image('ext.iso', { 'a.txt': 'one\n' });
    const mnt = box.mountpoint('ext');
    box.mount([img, mnt]);
    fs.writeFileSync(`${mnt}/b.txt`, 'two\n');
    const live = status(mnt);
    assert.equal(live.mounted, true);
    assert.deepEqual({ ...live.staged, pendingBlocks: 0, freeBlocksAfter: 0 }, { added: 1, changed: 0, deleted: 0, renamed: 0, bytes: 4, pendingBlocks: 0, freeBlocksAfter: 0, sessionNumber: 2 });
    assert.ok((live.staged?.pendingBlocks ?? 0) > 0 && (live.staged?.freeBlocksAfter ?? 0) > 0);
    const { pid } = box.daemonRecord(mnt);
    assert.equal(spawnSync('fusermount', ['-u', mnt]).status, 0);
    await waitFor('the daemon to finish its commit', () => !pidAlive(pid));
    assert.equal(box.sessions(img), 2);
    const after = status(img);
    assert.equal(after.mounted, false);
    assert.equal(after.staged, undefined);
    assert.equal(after.lastResult?.ok, true);
    assert.equal(after.lastResult?.session, 2);
    assert.ok(after.log && fs.readFileSync(after.log, 'utf8').includes('session 2 written'), after.log);
    assert.match(box.run(['status', img]).stdout, /last commit \(.*\): session 2 written at LBA \d+/);
  });

  it('unmounts on SIGTERM without committing, and offers the staged changes at the next mount', async () => {
    const img = box.image('term.iso', { 'a.txt': 'one\n' });
    const mnt = box.mountpoint('term');
    box.mount([img, mnt]);
    fs.writeFileSync(`${mnt}/kept.txt`, 'staged\n');
    const { pid } = box.daemonRecord(mnt);
    process.kill(pid, 'SIGTERM');
    await waitFor('the daemon to exit', () => !pidAlive(pid));
    assert.equal(isMounted(mnt), false);
    assert.equal(box.sessions(img), 1);
    const st = status(img);
    assert.equal(st.staged?.added, 1);
    assert.match(box.run(['status', img]).stdout, /staged changes wait in .*: mount .* to commit or discard them/);
    const again = box.run(['mount', img, mnt]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /resuming 1 staged change\(s\)/);
    assert.equal(fs.readFileSync(`${mnt}/kept.txt`, 'utf8'), 'staged\n');
    assert.equal(box.run(['unmount', '--discard', '--yes', mnt]).code, 0);
  });

  it('draws the progress bar in a pseudo-terminal and always ends with a percentage line', () => {
    const img = box.image('tty.iso', { 'a.txt': 'one\n' });
    const mnt = box.mountpoint('tty');
    box.mount([img, mnt]);
    fs.writeFileSync(`${mnt}/big.bin`, Buffer.alloc(3 << 20, 7));
    const r = spawnSync('script', ['-qfec', `${process.execPath} ${BIN} unmount ${mnt}`, '/dev/null'], { encoding: 'utf8', env: box.env, timeout: 40_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const lines = r.stdout.split(/\r?\n/);
    const finalBar = lines.find((l) => /done\s+100%\s+3\.1 \/ 3\.1 MB\s+[\d.]+ MB\/s/.test(l));
    assert.ok(finalBar, r.stdout);
    assert.match(r.stdout, /session 2 written at LBA \d+ \(\d+ blocks, 1 added/);
    assert.equal(box.sessions(img), 2);
  });

  it('prints one JSON event per line with --json', () => {
    const img = box.image('json.iso', { 'a.txt': 'one\n' });
    const mnt = box.mountpoint('json');
    box.mount([img, mnt]);
    fs.rmSync(`${mnt}/a.txt`);
    const r = box.run(['unmount', '--json', mnt]);
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; phase?: string; ok?: boolean; session?: number });
    assert.ok(events.some((e) => e.event === 'progress' && e.phase === 'verify'), r.stdout);
    const last = events[events.length - 1];
    assert.deepEqual([last.event, last.ok, last.session], ['result', true, 2]);
  });
});
