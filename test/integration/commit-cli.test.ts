// Commits through the real CLI: `discfs mount IMG MNT` (writable), changes from this process, `discfs unmount MNT`.
// A directory renamed then a file added in it; a commit of nothing; kill -9 of the daemon at several commit stages.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { MountSandbox, waitForExit } from '../helpers/mount-cli';
import { extract, rmrf, run, snapshot, tocStarts } from './engine-support';

const T = 1_600_000_000;

function logsMention(sandbox: MountSandbox, text: string): boolean {
  const dir = sandbox.path('state', 'discfs', 'logs');
  if (!fs.existsSync(dir)) return false;
  return fs.readdirSync(dir).some((f) => fs.readFileSync(path.join(dir, f), 'utf8').includes(text));
}

/** Staging dirs that hold a commit marker (src/commit/commit-marker.ts). */
function stagingDirsWithMarker(sandbox: MountSandbox): string[] {
  const dir = sandbox.path('state', 'discfs', 'staging');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).map((d) => path.join(dir, d)).filter((d) => fs.existsSync(path.join(d, 'commit-marker.json')));
}

async function until(what: string, ok: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function newestTree(sandbox: MountSandbox, image: string, name: string): ReturnType<typeof snapshot> {
  const out = sandbox.path(name);
  rmrf(out);
  extract(image, out);
  return snapshot(out, { mtimes: false });
}

describe('commits through discfs mount / unmount', { timeout: 150_000 }, () => {
  let sandbox: MountSandbox;
  let image: string;
  before(() => {
    sandbox = MountSandbox.create('commit-cli');
    const src = sandbox.mkdir('src');
    fs.mkdirSync(path.join(src, 'docs'));
    fs.writeFileSync(path.join(src, 'docs/readme.txt'), 'hello\n');
    fs.writeFileSync(path.join(src, 'top.bin'), Buffer.alloc(10000, 7));
    image = sandbox.path('disc.iso');
    run('xorriso', ['-dev', image, '-joliet', 'on', '-map', src, '/', '-commit']);
  });
  after(async () => sandbox.cleanup());

  it('a directory renamed, then a file added in it', async () => {
    const mnt = sandbox.path('m1');
    await sandbox.mount(image, mnt);
    fs.renameSync(path.join(mnt, 'docs'), path.join(mnt, 'papers'));
    fs.writeFileSync(path.join(mnt, 'papers/new.txt'), 'added after the rename\n');
    const r = await sandbox.unmount(mnt);
    assert.equal(r.code, 0, r.stderr.toString());
    assert.equal(tocStarts(image).length, 2);
    const tree = newestTree(sandbox, image, 'x1');
    assert.deepEqual(Object.keys(tree).sort(), ['papers', 'papers/new.txt', 'papers/readme.txt', 'top.bin']);
    assert.equal(fs.readFileSync(path.join(sandbox.path('x1'), 'papers/new.txt'), 'utf8'), 'added after the rename\n');
    assert.equal(fs.readFileSync(path.join(sandbox.path('x1'), 'papers/readme.txt'), 'utf8'), 'hello\n');
    const v = await sandbox.discfs(['verify', image]);
    assert.equal(v.code, 0, v.stdout.toString() + v.stderr.toString());
  });

  it('a commit of nothing writes no session and leaves the image byte for byte', async () => {
    const before = fs.readFileSync(image);
    const mnt = sandbox.path('m2');
    await sandbox.mount(image, mnt);
    fs.readdirSync(mnt);
    const r = await sandbox.unmount(mnt);
    assert.equal(r.code, 0, r.stderr.toString());
    assert.ok(fs.readFileSync(image).equals(before));
  });

  for (const stage of ['data', 'head-tail', 'head'] as const) {
    it(`kill -9 of the daemon paused at "${stage}": the image reads as before or after, the overlay stays staged and commits later`, async () => {
      const sessionsBefore = tocStarts(image).length;
      const treeBefore = newestTree(sandbox, image, 'xb');
      const mnt = sandbox.path(`k-${stage}`);
      sandbox.env.DISCFS_ENGINE_PAUSE_AT = stage;
      try {
        await sandbox.mount(image, mnt);
      } finally {
        delete sandbox.env.DISCFS_ENGINE_PAUSE_AT;
      }
      const name = `crash-${stage}.txt`;
      fs.writeFileSync(path.join(mnt, name), `staged before the crash at ${stage}\n`);
      fs.utimesSync(path.join(mnt, name), T, T);
      const pid = sandbox.daemonPid(mnt);
      assert.ok(pid);
      const unmount = sandbox.unmount(mnt);
      await until(`DISCFS_ENGINE_PAUSED ${stage}`, () => logsMention(sandbox, `DISCFS_ENGINE_PAUSED ${stage}\n`));
      process.kill(pid, 'SIGKILL');
      assert.ok(await waitForExit(pid, 10_000));
      const r = await unmount;
      // Even after the switch ('head') the commit was not verified: the unmount must not report success.
      assert.notEqual(r.code, 0, 'the unmount reports the failed commit');
      spawnSync('fusermount', ['-uz', mnt], { timeout: 10_000 }); // normally already unmounted before the commit
      const after = tocStarts(image).length;
      const treeAfter = newestTree(sandbox, image, 'xa');
      if (stage === 'head') {
        assert.equal(after, sessionsBefore + 1, 'LBA 16 was switched: the new session is complete');
        assert.ok(treeAfter[name]);
      } else {
        assert.equal(after, sessionsBefore);
        assert.deepEqual(treeAfter, treeBefore);
      }
      const marked = stagingDirsWithMarker(sandbox);
      assert.equal(marked.length, 1, 'the daemon left its commit marker in the staging dir');
      // A new mount shows the file: staged (before the switch) or in the new session ('head', the staging cleared).
      await sandbox.mount(image, mnt);
      assert.equal(fs.readFileSync(path.join(mnt, name), 'utf8'), `staged before the crash at ${stage}\n`);
      const settled = `the interrupted commit of session ${sessionsBefore + 1} completed; its staged changes are cleared`;
      if (stage === 'head') {
        assert.ok(logsMention(sandbox, settled), 'the mount says the interrupted commit completed');
        assert.equal(fs.existsSync(marked[0]), false, 'the staging of the completed commit is gone');
      } else {
        assert.equal(logsMention(sandbox, settled), false);
        assert.ok(fs.existsSync(path.join(marked[0], 'overlay.db')), 'the staging is kept');
      }
      assert.deepEqual(stagingDirsWithMarker(sandbox), []);
      const r2 = await sandbox.unmount(mnt);
      assert.equal(r2.code, 0, r2.stderr.toString());
      assert.ok(newestTree(sandbox, image, 'xc')[name]);
      // Exactly one new session in every case: after 'head' nothing is committed again.
      assert.equal(tocStarts(image).length, sessionsBefore + 1);
    });
  }

  it('--verify all re-reads unchanged data: a corrupted byte in an old file fails the commit and keeps the overlay', async () => {
    const img = sandbox.path('verify-all.iso');
    const mnt = sandbox.path('mv');
    const old = Buffer.alloc(30_000);
    for (let i = 0; i < old.length; i++) old[i] = (i * 31 + 7) & 0xff;
    await sandbox.mount(img, mnt, ['--create']);
    fs.writeFileSync(path.join(mnt, 'old.bin'), old);
    const r1 = await sandbox.unmount(mnt);
    assert.equal(r1.code, 0, r1.stderr.toString());
    // One flipped byte in the data of old.bin, which later sessions point at unchanged.
    const bytes = fs.readFileSync(img);
    const at = bytes.indexOf(old.subarray(0, 64));
    assert.ok(at > 0);
    const fd = fs.openSync(img, 'r+');
    try {
      fs.writeSync(fd, Buffer.from([bytes[at + 1000] ^ 0xff]), 0, 1, at + 1000);
    } finally {
      fs.closeSync(fd);
    }
    await sandbox.mount(img, mnt);
    fs.writeFileSync(path.join(mnt, 'a.txt'), 'new data only\n');
    const r2 = await sandbox.unmount(mnt);
    assert.equal(r2.code, 0, `without --verify all only new data is checked: ${r2.stderr.toString()}`);
    assert.equal(tocStarts(img).length, 2);

    await sandbox.mount(img, mnt);
    fs.writeFileSync(path.join(mnt, 'b.txt'), 'staged, then verify all\n');
    const r3 = await sandbox.unmount(mnt, ['--verify', 'all']);
    assert.equal(r3.code, 17, `commit-failed exit: ${r3.stdout.toString()}${r3.stderr.toString()}`);
    assert.match(r3.stdout.toString() + r3.stderr.toString(), /old\.bin/);
    spawnSync('fusermount', ['-uz', mnt], { timeout: 10_000 });
    // The overlay is kept: its staging dir still holds b.txt's data and the marker of the unverified session.
    const kept = stagingDirsWithMarker(sandbox);
    assert.equal(kept.length, 1);
    const data = fs.readdirSync(path.join(kept[0], 'data')).map((f) => fs.readFileSync(path.join(kept[0], 'data', f), 'utf8'));
    assert.ok(data.includes('staged, then verify all\n'));
  });
});
