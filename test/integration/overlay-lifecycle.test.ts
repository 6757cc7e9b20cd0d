// A writable mount's life through the real CLI: other users with -o allow_other, name limits, df, the file-manager
// trash, git, unmount refused while a file is open, a kill -9 of the daemon and the next mount cleaning up after it,
// --keep-owners, and the final commit checked with osirrox.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes';
import { run } from '../helpers/exec';
import { diffListings, listTree } from '../helpers/listing';
import { extractedListing } from '../helpers/oracle';
import { MountSandbox, mirrorDiff, pinTimes, xorrisoImage } from '../helpers/mount-cli';

const STEP_TIMEOUT = { timeout: 30_000 };
const NOBODY = ['--reuid', '65534', '--regid', '65534', '--clear-groups'];
/** A DVD±R (the default --media of an image) in 2048-byte blocks. */
const DVD_BLOCKS = 2_295_104;

function errnoOf(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code;
  }
}

async function statfs(mnt: string): Promise<{ bsize: number; blocks: number; free: number; avail: number }> {
  const out = (await run('stat', ['-f', '-c', '%S %b %f %a', mnt])).stdout.toString('utf8').trim().split(' ').map(Number);
  return { bsize: out[0], blocks: out[1], free: out[2], avail: out[3] };
}

describe('a writable mount through its life', () => {
  const box = MountSandbox.create('overlay-life');
  const lower = box.path('lower');
  const image = box.path('disc.iso');
  const mnt = box.path('mnt');
  const repo = box.path('repo');
  let defaultOwner = -1;
  const git = (cwd: string, ...args: string[]) => run('git', args, { cwd, env: { ...box.env, GIT_CONFIG_NOSYSTEM: '1', HOME: box.dir }, timeoutMs: 30_000 });

  before(async () => {
    fs.chmodSync(box.dir, 0o755); // uid 65534 must reach the mountpoint
    fs.mkdirSync(path.join(lower, 'shared'), { recursive: true });
    fs.writeFileSync(path.join(lower, 'readme.txt'), 'on the disc\n');
    fs.writeFileSync(path.join(lower, 'owned.txt'), 'owned by 1234:5678 on the disc\n');
    fs.chownSync(path.join(lower, 'owned.txt'), 1234, 5678);
    fs.chmodSync(path.join(lower, 'shared'), 0o777);
    pinTimes(lower, 1_600_000_000);
    xorrisoImage(lower, image, box.env);
    fs.mkdirSync(repo);
    await git(repo, 'init', '-q', '-b', 'main');
    for (let i = 0; i < 3; i++) {
      fs.writeFileSync(path.join(repo, `file${i}.txt`), `commit ${i}\n`.repeat(100 * (i + 1)));
      await git(repo, 'add', '.');
      await git(repo, '-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-q', '-m', `c${i}`, '--date', `@${1_600_000_000 + i} +0000`);
    }
    // -o before the positionals: a repeatable option must not swallow SOURCE and MOUNTPOINT (a fixed bug).
    await box.mount(image, mnt, ['-o', 'allow_other']);
    defaultOwner = fs.statSync(path.join(mnt, 'owned.txt')).uid;
  });
  after(() => box.cleanup());

  it('lets other users in with -o allow_other, under default_permissions', STEP_TIMEOUT, async () => {
    const ls = await run('setpriv', [...NOBODY, 'cat', path.join(mnt, 'readme.txt')]);
    assert.equal(ls.stdout.toString('utf8'), 'on the disc\n');
    const denied = await run('setpriv', [...NOBODY, 'sh', '-c', `echo x > ${mnt}/nobody.txt`], { okCodes: [0, 1, 2] });
    assert.notEqual(denied.code, 0, 'the root directory (0755, the mounting user\'s) refuses uid 65534');
    assert.match(denied.stderr.toString('utf8'), /Permission denied/);
    await run('setpriv', [...NOBODY, 'sh', '-c', `echo from nobody > ${mnt}/shared/nobody.txt`]);
    assert.equal(fs.readFileSync(path.join(mnt, 'shared/nobody.txt'), 'utf8'), 'from nobody\n');
  });

  it('refuses names longer than 255 bytes with ENAMETOOLONG', STEP_TIMEOUT, () => {
    assert.equal(errnoOf(() => fs.writeFileSync(path.join(mnt, 'n'.repeat(256)), '')), 'ENAMETOOLONG');
    assert.equal(errnoOf(() => fs.mkdirSync(path.join(mnt, 'é'.repeat(128)))), 'ENAMETOOLONG');
    fs.writeFileSync(path.join(mnt, 'n'.repeat(255)), 'longest name');
    assert.equal(errnoOf(() => fs.symlinkSync('t'.repeat(4096), path.join(mnt, 'long-target'))), 'ENAMETOOLONG');
  });

  it('reports the disc capacity in statfs and takes staged data off the free blocks', STEP_TIMEOUT, async () => {
    const before = await statfs(mnt);
    assert.equal(before.bsize, 2048);
    assert.equal(before.blocks, DVD_BLOCKS);
    assert.ok(before.free < before.blocks && before.avail <= before.free, JSON.stringify(before));
    fs.writeFileSync(path.join(mnt, 'five-mib.bin'), Buffer.alloc(5 * 1024 * 1024, 1));
    const afterWrite = await statfs(mnt);
    assert.ok(before.free - afterWrite.free >= (5 * 1024 * 1024) / 2048, `free went from ${before.free} to ${afterWrite.free}`);
    const df = (await run('df', ['-B1', '--output=size', mnt])).stdout.toString('utf8');
    assert.match(df, new RegExp(`\\b${DVD_BLOCKS * 2048}\\b`));
  });

  it('makes gio trash fall back: the file is never moved into .Trash-UID', STEP_TIMEOUT, async () => {
    const victim = path.join(mnt, 'trash-me.txt');
    fs.writeFileSync(victim, 'x');
    const r = await run('gio', ['trash', victim], { okCodes: [0, 1, 2], env: { ...box.env, HOME: box.dir } });
    const names = fs.readdirSync(mnt);
    assert.ok(!names.some((n) => n.startsWith('.Trash')), `no trash dir at the top: ${names.join(' ')} (gio: ${r.stderr.toString('utf8')})`);
    if (r.code === 0) assert.ok(!fs.existsSync(victim), 'gio reported success: then it really deleted the file');
    else assert.ok(fs.existsSync(victim), 'gio refused: the file stays');
    assert.equal(errnoOf(() => fs.mkdirSync(path.join(mnt, `.Trash-${process.getuid?.() ?? 0}`))), 'EPERM');
    assert.equal(errnoOf(() => fs.mkdirSync(path.join(mnt, '.Trash'))), 'EPERM');
  });

  it('holds a git clone: status clean, fsck --strict passes, a commit works', { timeout: 45_000 }, async () => {
    await git(box.dir, 'clone', '-q', repo, path.join(mnt, 'clone'));
    const clone = path.join(mnt, 'clone');
    assert.equal((await git(clone, 'status', '--porcelain')).stdout.toString('utf8'), '');
    await git(clone, 'fsck', '--strict', '--no-progress');
    fs.appendFileSync(path.join(clone, 'file0.txt'), 'edited in the mount\n');
    await git(clone, '-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-q', '-am', 'in the mount');
    assert.equal((await git(clone, 'rev-list', '--count', 'HEAD')).stdout.toString('utf8').trim(), '4');
    await git(clone, 'fsck', '--strict', '--no-progress');
    assert.equal((await git(clone, 'status', '--porcelain')).stdout.toString('utf8'), '');
  });

  it('refuses to unmount while a file is open (exit 16) and commits nothing', STEP_TIMEOUT, async () => {
    const sizeBefore = fs.statSync(image).size;
    const fd = fs.openSync(path.join(mnt, 'readme.txt'), 'r');
    try {
      const r = await box.unmount(mnt);
      assert.equal(r.code, EXIT.busy, `${r.stdout.toString('utf8')}${r.stderr.toString('utf8')}`);
      assert.match(r.stderr.toString('utf8'), /busy/);
    } finally {
      fs.closeSync(fd);
    }
    assert.equal(fs.statSync(image).size, sizeBefore, 'no session was written');
    assert.equal(fs.readFileSync(path.join(mnt, 'readme.txt'), 'utf8'), 'on the disc\n', 'still mounted');
  });

  it('survives kill -9 of the daemon: the next mount cleans the dead mountpoint and every change is there', { timeout: 45_000 }, async () => {
    fs.writeFileSync(path.join(mnt, 'written.txt'), 'returned before the kill\n');
    fs.chmodSync(path.join(mnt, 'readme.txt'), 0o600);
    fs.utimesSync(path.join(mnt, 'readme.txt'), 1_234_567_890, 1_234_567_890);
    fs.renameSync(path.join(mnt, 'shared'), path.join(mnt, 'shared-renamed'));
    fs.symlinkSync('written.txt', path.join(mnt, 'to-written'));
    fs.mkdirSync(path.join(mnt, 'new-dir'));
    fs.rmSync(path.join(mnt, 'five-mib.bin'));
    const shown = await listTree(mnt);
    await box.killDaemon(mnt);
    assert.equal(errnoOf(() => fs.statSync(mnt)), 'ENOTCONN');
    await box.mount(image, mnt, ['-o', 'allow_other']);
    assert.deepEqual(diffListings(shown, await listTree(mnt)), []);
  });

  it('commits on unmount: osirrox finds what the mount showed', { timeout: 50_000 }, async () => {
    const shown = await listTree(mnt);
    const r = await box.unmount(mnt);
    assert.equal(r.code, 0, `${r.stdout.toString('utf8')}${r.stderr.toString('utf8')}`);
    assert.deepEqual(mirrorDiff(await extractedListing(image), shown, 0), []);
  });

  it('shows the mounting user as owner by default and the recorded owners with --keep-owners', STEP_TIMEOUT, async () => {
    assert.equal(defaultOwner, process.getuid?.() ?? 0, 'the first mount showed the mounting user');
    await box.mount(image, mnt, ['--keep-owners']);
    const st = fs.statSync(path.join(mnt, 'owned.txt'));
    assert.deepEqual([st.uid, st.gid], [1234, 5678]);
    const r = await box.unmount(mnt);
    assert.equal(r.code, 0, `${r.stdout.toString('utf8')}${r.stderr.toString('utf8')}`);
  });
});
