// OverlayFs operations and their errno values, driven directly (no FUSE) over an in-memory lower tree.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs, { constants as C } from 'node:fs';
import path from 'node:path';
import { DiscfsError } from '../../src/util/errors';
import { OverlayFs } from '../../src/overlay/overlay-fs';
import { errnoOf, makeOverlay, names, pwrite, readFile, ROOT, writeFile, type OverlayHarness } from './overlay-fixture';

describe('overlay: reading the lower session', () => {
  let h: OverlayHarness;
  before(async () => (h = await makeOverlay()));
  after(async () => h.cleanup());

  it('shows the lower tree, content and symlinks', async () => {
    assert.deepEqual(await names(h.fs, '/'), ['big', 'docs', 'empty', 'hard1', 'hard2', 'hello.txt', 'link']);
    assert.equal((await readFile(h.fs, '/hello.txt')).toString(), 'hello from the disc\n');
    assert.equal(await h.fs.readlink('/link', ROOT), '/etc/passwd');
    assert.equal(await errnoOf(h.fs.readlink('/hello.txt', ROOT)), 'EINVAL');
    assert.equal(await errnoOf(h.fs.getattr('/nope', ROOT)), 'ENOENT');
    assert.equal(await errnoOf(h.fs.getattr('/hello.txt/x', ROOT)), 'ENOTDIR');
  });

  it('shows the mounting user as owner unless keepOwners', async () => {
    const st = await h.fs.getattr('/hello.txt', ROOT);
    assert.equal(st.uid, 4242);
    assert.equal(st.gid, 4343);
    const k = await makeOverlay(undefined, { keepOwners: true });
    try {
      assert.equal((await k.fs.getattr('/hello.txt', ROOT)).uid, 1000);
      await k.fs.chown('/hello.txt', 7, -1, ROOT);
      const after = await k.fs.getattr('/hello.txt', ROOT);
      assert.equal(after.uid, 7);
      assert.equal(after.gid, 1000);
    } finally {
      await k.cleanup();
    }
  });

  it('counts directory links as 2 + subdirectories', async () => {
    assert.equal((await h.fs.getattr('/docs', ROOT)).nlink, 3);
    await h.fs.mkdir('/docs/n1', 0o755, ROOT);
    await h.fs.mkdir('/docs/n2', 0o755, ROOT);
    assert.equal((await h.fs.getattr('/docs', ROOT)).nlink, 5);
    await h.fs.rmdir('/docs/n1', ROOT);
    assert.equal((await h.fs.getattr('/docs', ROOT)).nlink, 4);
    assert.equal((await h.fs.getattr('/docs/n2', ROOT)).nlink, 2);
  });
});

describe('overlay: creating and writing', () => {
  let h: OverlayHarness;
  before(async () => (h = await makeOverlay()));
  after(async () => h.cleanup());

  it('creates, writes and reads back a new file', async () => {
    await writeFile(h.fs, '/new.txt', 'fresh');
    assert.equal((await readFile(h.fs, '/new.txt')).toString(), 'fresh');
    const st = await h.fs.getattr('/new.txt', ROOT);
    assert.equal(st.mode, C.S_IFREG | 0o644);
    assert.equal(st.nlink, 1);
    assert.ok(st.ino >= 1n << 62n);
  });

  it('honours O_EXCL, O_TRUNC and O_APPEND', async () => {
    assert.equal(await errnoOf(h.fs.create('/hello.txt', 0o644, C.O_WRONLY | C.O_CREAT | C.O_EXCL, ROOT)), 'EEXIST');
    await writeFile(h.fs, '/t.txt', '0123456789');
    const fh = await h.fs.open('/t.txt', C.O_WRONLY | C.O_APPEND, ROOT);
    await h.fs.write('/t.txt', fh, Buffer.from('AB'), 2, 0);
    await h.fs.release('/t.txt', fh);
    assert.equal((await readFile(h.fs, '/t.txt')).toString(), '0123456789AB');
    const tr = await h.fs.open('/docs/a.txt', C.O_WRONLY | C.O_TRUNC, ROOT);
    await h.fs.release('/docs/a.txt', tr);
    assert.equal((await h.fs.getattr('/docs/a.txt', ROOT)).size, 0);
    assert.equal(await errnoOf(h.fs.open('/docs', C.O_WRONLY, ROOT)), 'EISDIR');
  });

  it('fsync makes a file durable and keeps working on lower and staged files', async () => {
    await writeFile(h.fs, '/durable', 'x');
    for (const p of ['/durable', '/hello.txt']) {
      const fh = await h.fs.open(p, C.O_RDONLY, ROOT);
      await h.fs.fsync(p, fh, false);
      await h.fs.flush(p, fh);
      await h.fs.release(p, fh);
    }
    await h.fs.fsyncdir('/', 0, false);
  });

  it('refuses writes through a read-only handle', async () => {
    const fh = await h.fs.open('/hello.txt', C.O_RDONLY, ROOT);
    assert.equal(await errnoOf(h.fs.write('/hello.txt', fh, Buffer.from('x'), 1, 0)), 'EBADF');
    await h.fs.release('/hello.txt', fh);
  });

  it('truncates up with zeros and down', async () => {
    await writeFile(h.fs, '/z', 'abcdef');
    await h.fs.truncate('/z', 3, ROOT);
    await h.fs.truncate('/z', 6, ROOT);
    assert.deepEqual(await readFile(h.fs, '/z'), Buffer.from('abc\0\0\0'));
    assert.equal(await errnoOf(h.fs.truncate('/docs', 0, ROOT)), 'EISDIR');
    assert.equal(await errnoOf(h.fs.truncate('/link', 0, ROOT)), 'EINVAL');
    const fh = await h.fs.open('/z', C.O_RDWR, ROOT);
    await h.fs.ftruncate('/z', fh, 1, ROOT);
    await h.fs.release('/z', fh);
    assert.deepEqual(await readFile(h.fs, '/z'), Buffer.from('a'));
  });

  it('rejects names above 255 bytes and accepts 255', async () => {
    assert.equal(await errnoOf(writeFile(h.fs, '/' + 'x'.repeat(256), '')), 'ENAMETOOLONG');
    assert.equal(await errnoOf(h.fs.mkdir('/' + 'é'.repeat(128), 0o755, ROOT)), 'ENAMETOOLONG');
    await writeFile(h.fs, '/' + 'y'.repeat(255), 'ok');
    assert.equal((await h.fs.getattr('/' + 'y'.repeat(255), ROOT)).size, 2);
  });

  it('keeps names byte-exact, also bytes that are not UTF-8', async () => {
    const name = 'caf\udce9-\u00e9';
    await writeFile(h.fs, '/' + name, 'latin1 name');
    assert.ok((await names(h.fs, '/')).includes(name));
    assert.equal((await readFile(h.fs, '/' + name)).toString(), 'latin1 name');
  });

  it('makes symlinks with any target, never touching it', async () => {
    await h.fs.symlink('../../../../etc/shadow', '/escape', ROOT);
    await h.fs.symlink('/absolute/target', '/abs', ROOT);
    assert.equal(await h.fs.readlink('/escape', ROOT), '../../../../etc/shadow');
    const st = await h.fs.getattr('/abs', ROOT);
    assert.equal(st.mode & C.S_IFMT, C.S_IFLNK);
    assert.equal(st.size, '/absolute/target'.length);
    assert.equal(await errnoOf(h.fs.symlink('x'.repeat(4096), '/toolong', ROOT)), 'ENAMETOOLONG');
    assert.equal(await errnoOf(h.fs.symlink('x', '/abs', ROOT)), 'EEXIST');
  });

  it('makes FIFOs, sockets and device nodes', async () => {
    await h.fs.mknod('/fifo', C.S_IFIFO | 0o644, 0, ROOT);
    await h.fs.mknod('/sock', C.S_IFSOCK | 0o600, 0, ROOT);
    await h.fs.mknod('/chr', C.S_IFCHR | 0o600, 0x0103, ROOT);
    await h.fs.mknod('/blk', C.S_IFBLK | 0o600, 0x0801, ROOT);
    await h.fs.mknod('/reg', C.S_IFREG | 0o600, 0, ROOT);
    assert.equal((await h.fs.getattr('/fifo', ROOT)).mode, C.S_IFIFO | 0o644);
    assert.equal((await h.fs.getattr('/sock', ROOT)).mode & C.S_IFMT, C.S_IFSOCK);
    assert.equal((await h.fs.getattr('/chr', ROOT)).rdev, 0x0103);
    assert.equal((await h.fs.getattr('/blk', ROOT)).rdev, 0x0801);
    assert.equal((await h.fs.getattr('/reg', ROOT)).size, 0);
    assert.equal(await errnoOf(h.fs.mknod('/fifo', C.S_IFIFO | 0o644, 0, ROOT)), 'EEXIST');
  });

  it('refuses a trash folder at the top, allows it deeper down', async () => {
    assert.equal(await errnoOf(h.fs.mkdir('/.Trash', 0o700, ROOT)), 'EPERM');
    assert.equal(await errnoOf(h.fs.mkdir('/.Trash-1000', 0o700, ROOT)), 'EPERM');
    await h.fs.mkdir('/docs/.Trash', 0o700, ROOT);
    await h.fs.mkdir('/.Trashcan', 0o700, ROOT);
  });
});

describe('overlay: removing', () => {
  let h: OverlayHarness;
  before(async () => (h = await makeOverlay()));
  after(async () => h.cleanup());

  it('unlinks lower files with a whiteout, and a new file of that name shows only new bytes', async () => {
    await h.fs.unlink('/docs/a.txt', ROOT);
    assert.deepEqual(await names(h.fs, '/docs'), ['b.txt', 'sub']);
    assert.equal(await errnoOf(h.fs.getattr('/docs/a.txt', ROOT)), 'ENOENT');
    await writeFile(h.fs, '/docs/a.txt', 'N');
    assert.equal((await readFile(h.fs, '/docs/a.txt')).toString(), 'N');
    assert.equal(await errnoOf(h.fs.unlink('/docs', ROOT)), 'EISDIR');
    assert.equal(await errnoOf(h.fs.unlink('/nope', ROOT)), 'ENOENT');
  });

  it('rmdir: ENOTEMPTY, ENOTDIR, EBUSY at the root; a lower dir emptied by unlinks goes', async () => {
    assert.equal(await errnoOf(h.fs.rmdir('/docs', ROOT)), 'ENOTEMPTY');
    assert.equal(await errnoOf(h.fs.rmdir('/hello.txt', ROOT)), 'ENOTDIR');
    assert.equal(await errnoOf(h.fs.rmdir('/', ROOT)), 'EBUSY');
    await h.fs.unlink('/docs/sub/deep.txt', ROOT);
    await h.fs.rmdir('/docs/sub', ROOT);
    await h.fs.rmdir('/empty', ROOT);
    assert.deepEqual(await names(h.fs, '/docs'), ['a.txt', 'b.txt']);
    assert.ok(!(await names(h.fs, '/')).includes('empty'));
  });

  it('replacing a removed lower directory hides its old content (opaque)', async () => {
    await h.fs.unlink('/docs/a.txt', ROOT);
    await h.fs.unlink('/docs/b.txt', ROOT);
    await h.fs.rmdir('/docs', ROOT);
    await h.fs.mkdir('/docs', 0o755, ROOT);
    assert.deepEqual(await names(h.fs, '/docs'), []);
    assert.equal((await h.fs.getattr('/docs', ROOT)).nlink, 2);
  });

  it('keeps an unlinked open file readable until its release', async () => {
    await writeFile(h.fs, '/open.txt', 'still here');
    const fh = await h.fs.open('/open.txt', C.O_RDWR, ROOT);
    await h.fs.unlink('/open.txt', ROOT);
    const buf = Buffer.alloc(64);
    const n = await h.fs.read('/open.txt', fh, buf, 64, 0);
    assert.equal(buf.subarray(0, n).toString(), 'still here');
    await h.fs.write('/open.txt', fh, Buffer.from('S'), 1, 0);
    await h.fs.release('/open.txt', fh);
    assert.equal(await errnoOf(h.fs.getattr('/open.txt', ROOT)), 'ENOENT');
    const data = fs.readdirSync(path.join(h.options.stagingDir, 'data'));
    const st = await h.fs.getattr('/', ROOT);
    assert.ok(st.nlink >= 2);
    assert.ok(data.length <= 1, `data files left: ${data.join(',')}`);
  });
});

describe('overlay: metadata and hard links', () => {
  let h: OverlayHarness;
  before(async () => (h = await makeOverlay()));
  after(async () => h.cleanup());

  const dataFiles = (): string[] => fs.readdirSync(path.join(h.options.stagingDir, 'data'));

  it('chmod, chown (-1 unchanged) and utimens (ns, now, omit) change ctime and never copy data', async () => {
    const before = await h.fs.getattr('/big', ROOT);
    await h.fs.chmod('/big', 0o600, ROOT);
    await h.fs.chown('/big', 12, -1, ROOT);
    await h.fs.utimens('/big', { sec: 5, nsec: 999_999_999 }, { sec: -10, nsec: 1 }, ROOT);
    let st = await h.fs.getattr('/big', ROOT);
    assert.equal(st.mode, C.S_IFREG | 0o600);
    assert.deepEqual(st.atime, { sec: 5, nsec: 999_999_999 });
    assert.deepEqual(st.mtime, { sec: -10, nsec: 1 });
    assert.ok(st.ctime.sec > before.ctime.sec);
    await h.fs.utimens('/big', 'omit', 'now', ROOT);
    st = await h.fs.getattr('/big', ROOT);
    assert.deepEqual(st.atime, { sec: 5, nsec: 999_999_999 });
    assert.deepEqual(st.mtime, st.ctime);
    assert.deepEqual(dataFiles(), []);
    const change = (await h.fs.changes()).find((c) => c.path.join('/') === 'big');
    assert.equal(change?.change, 'changed');
    assert.equal(change?.contentChanged, false);
    assert.equal(await errnoOf(h.fs.chmod('/big', 0o777, { uid: 99, gid: 99, pid: 2 })), 'EPERM');
  });

  it('links lower and new files: same inode, right nlink', async () => {
    await h.fs.link('/hello.txt', '/docs/hello-link', ROOT);
    const a = await h.fs.getattr('/hello.txt', ROOT);
    const b = await h.fs.getattr('/docs/hello-link', ROOT);
    assert.equal(a.ino, b.ino);
    assert.equal(a.nlink, 2);
    await h.fs.unlink('/hello.txt', ROOT);
    assert.equal((await h.fs.getattr('/docs/hello-link', ROOT)).nlink, 1);
    assert.equal((await readFile(h.fs, '/docs/hello-link')).toString(), 'hello from the disc\n');
    await writeFile(h.fs, '/n', 'new');
    await h.fs.link('/n', '/docs/n2', ROOT);
    await pwrite(h.fs, '/docs/n2', 'N', 0);
    assert.equal((await readFile(h.fs, '/n')).toString(), 'New');
    assert.equal((await h.fs.getattr('/n', ROOT)).nlink, 2);
    assert.equal(await errnoOf(h.fs.link('/docs', '/d2', ROOT)), 'EPERM');
    assert.equal(await errnoOf(h.fs.link('/n', '/docs/n2', ROOT)), 'EEXIST');
  });

  it('sees lower hard links as one inode and writes through both names', async () => {
    const a = await h.fs.getattr('/hard1', ROOT);
    const b = await h.fs.getattr('/hard2', ROOT);
    assert.equal(a.ino, b.ino);
    assert.equal(a.nlink, 2);
    await pwrite(h.fs, '/hard2', 'L', 0);
    assert.equal((await readFile(h.fs, '/hard1')).toString(), 'Linked content');
    await h.fs.unlink('/hard1', ROOT);
    assert.equal((await h.fs.getattr('/hard2', ROOT)).nlink, 1);
  });

  it('access follows the shown owner and mode bits', async () => {
    const user = { uid: 4242, gid: 4343, pid: 3 };
    const other = { uid: 5, gid: 5, pid: 3 };
    await writeFile(h.fs, '/priv', 'x');
    await h.fs.chmod('/priv', 0o600, ROOT);
    await h.fs.access('/priv', C.R_OK | C.W_OK, user);
    assert.equal(await errnoOf(h.fs.access('/priv', C.R_OK, other)), 'EACCES');
    assert.equal(await errnoOf(h.fs.access('/priv', C.X_OK, ROOT)), 'EACCES');
    assert.equal(await errnoOf(h.fs.access('/missing', C.F_OK, ROOT)), 'ENOENT');
  });
});

describe('overlay: clutter, space and the staging dir', () => {
  it('flags desktop clutter, leaves it out by default and refuses it on request', async () => {
    const h = await makeOverlay();
    const r = await makeOverlay(undefined, { clutter: 'refuse' });
    const c = await makeOverlay(undefined, { clutter: 'commit' });
    try {
      await writeFile(h.fs, '/docs/.DS_Store', 'junk');
      await writeFile(h.fs, '/Thumbs.db', 'junk');
      const tree = await h.fs.mergedTree();
      assert.deepEqual(tree.excluded.map((p) => p.map((n) => n.toString()).join('/')).sort(), ['Thumbs.db', 'docs/.DS_Store']);
      assert.equal(await errnoOf(writeFile(r.fs, '/desktop.ini', 'x')), 'EPERM');
      await writeFile(c.fs, '/.directory', 'x');
      const ct = await c.fs.mergedTree();
      assert.equal(ct.root.children?.find((e) => e.name.toString() === '.directory')?.clutter, true);
    } finally {
      await h.cleanup();
      await r.cleanup();
      await c.cleanup();
    }
  });

  it('statfs shows the medium minus the pending session; ENOSPC and EFBIG beyond it', async () => {
    const h = await makeOverlay(undefined, { capacity: { blocks: 2000, freeBlocks: 1000 } });
    try {
      const s0 = await h.fs.statfs('/');
      assert.equal(s0.bsize, 2048);
      assert.equal(s0.blocks, 2000);
      assert.equal(s0.namemax, 255);
      await writeFile(h.fs, '/f', Buffer.alloc(200 * 2048));
      const s1 = await h.fs.statfs('/');
      assert.ok(s0.bfree - s1.bfree >= 200, `${s0.bfree} -> ${s1.bfree}`);
      assert.equal(await errnoOf(writeFile(h.fs, '/g', Buffer.alloc(900 * 2048))), 'ENOSPC');
      assert.equal(await errnoOf(h.fs.truncate('/f', 2001 * 2048, ROOT)), 'EFBIG');
      await h.fs.unlink('/f', ROOT);
      assert.ok((await h.fs.statfs('/')).bfree > s1.bfree);
    } finally {
      await h.cleanup();
    }
  });

  it('refuses a staging dir of another medium and a second daemon on the same one', async () => {
    const h = await makeOverlay();
    try {
      await assert.rejects(
        OverlayFs.open({ ...h.options, identity: 'other' }),
        (e: unknown) => e instanceof DiscfsError && (e.code === 'STAGING_LOCKED' || e.code === 'STAGING_MISMATCH'),
      );
      await h.fs.close();
      await assert.rejects(OverlayFs.open({ ...h.options, identity: 'other' }), (e: unknown) => e instanceof DiscfsError && e.code === 'STAGING_MISMATCH');
      h.fs = await OverlayFs.open(h.options);
      await assert.rejects(OverlayFs.open(h.options), (e: unknown) => e instanceof DiscfsError && e.code === 'STAGING_LOCKED');
    } finally {
      await h.cleanup();
    }
  });

  it('works on a blank medium (no lower tree)', async () => {
    const h = await makeOverlay(undefined, { lower: null });
    try {
      assert.deepEqual(await names(h.fs, '/'), []);
      await h.fs.mkdir('/d', 0o755, ROOT);
      await writeFile(h.fs, '/d/f', 'x');
      assert.equal((await readFile(h.fs, '/d/f')).toString(), 'x');
    } finally {
      await h.cleanup();
    }
  });
});
