// The patched fuse-native through real mounts: each defect fixed by patches/fuse-native+2.2.6.patch has a test
// here that fails on the unpatched package. The filesystem runs in a child process (test/helpers/fuse-server.ts).

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startInBackground } from '../../src/daemon/background';
import { findMount, isDeadMount } from '../../src/daemon/mountpoint';
import { DiscfsError } from '../../src/util/errors';
import { INO_BASE, INO_EXACT, type CallRecord } from '../helpers/fuse-memfs';
import { SERVER_JS, startServer, withTimeout, type ServerHandle } from '../helpers/fuse-client';

const NS = 1_000_000_000n;
const O_DIRECTORY = fs.constants.O_DIRECTORY;

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
}

function statNs(p: string) {
  const st = fs.statSync(p, { bigint: true });
  return { atimeNs: st.atimeNs, mtimeNs: st.mtimeNs, ino: st.ino, uid: st.uid };
}

function lastCall(calls: CallRecord[], op: string, p?: string): CallRecord {
  const hits = calls.filter((c) => c.op === op && (p === undefined || c.path === p));
  assert.ok(hits.length > 0, `no ${op} call${p ? ` on ${p}` : ''}`);
  return hits[hits.length - 1];
}

function makeMountpoint(root: string, name: string): string {
  const p = path.join(root, name);
  fs.mkdirSync(p);
  return p;
}

let tmp = '';
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'discfs-fuse-'));
  // uid 65534 must be able to walk down to the mountpoint.
  fs.chmodSync(tmp, 0o755);
});
after(() => {
  for (const e of fs.readdirSync(tmp)) spawnSync('fusermount', ['-uz', path.join(tmp, e)], { timeout: 5000 });
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('a mounted MemFs (shared server)', () => {
  let server: ServerHandle;
  let mnt = '';
  const at = (name: string) => path.join(mnt, name);

  before(async () => {
    mnt = makeMountpoint(tmp, 'shared');
    // fsname with a comma: the unpatched option join turned ",ro" into a second option (a read-only mount).
    server = await startServer(mnt, { attrTimeout: 0, entryTimeout: 0, allowOther: true, fsname: 'discfs-test,ro' });
  });
  after(() => server?.destroy());

  test('an option value with a comma is escaped, not split into options', async () => {
    const m = await findMount(mnt);
    assert.ok(m, 'mounted');
    assert.equal(m.source, 'discfs-test,ro');
    assert.equal(m.fstype, 'fuse.discfs');
    assert.ok(m.mountOptions.includes('rw'), `mount options ${m.mountOptions.join(',')}`);
    fs.writeFileSync(at('writable'), 'yes');
    assert.equal(fs.readFileSync(at('writable'), 'utf8'), 'yes');
  });

  test('st_ino above 2^32 survives exactly, in stat and in readdir (use_ino, readdir_ino, 64 bits)', () => {
    assert.equal(statNs(at('hello')).ino, INO_EXACT);
    assert.equal(statNs(mnt).ino, INO_BASE + 1n);
    // os.scandir's inode() is the d_ino of getdents, without a stat.
    const out = run('python3', ['-c', 'import os,sys\nfor e in os.scandir(sys.argv[1]): print(e.name, e.inode())', mnt]);
    assert.match(out, new RegExp(`^hello ${INO_EXACT}$`, 'm'));
  });

  test('utimens passes atime and mtime, both with nanoseconds', async () => {
    fs.writeFileSync(at('times'), 'x');
    fs.utimesSync(at('times'), 1_000_000_000.5, 1_200_000_000.25);
    const call = lastCall(await server.calls(), 'utimens', '/times');
    assert.deepEqual(call.args, { atime: { sec: 1_000_000_000, nsec: 500_000_000 }, mtime: { sec: 1_200_000_000, nsec: 250_000_000 } });
    const st = statNs(at('times'));
    assert.equal(st.atimeNs, 1_000_000_000n * NS + 500_000_000n);
    assert.equal(st.mtimeNs, 1_200_000_000n * NS + 250_000_000n);
    run('touch', ['-d', '@1234567890.123456789', at('times')]);
    assert.equal(statNs(at('times')).mtimeNs, 1234567890123456789n);
    assert.equal(statNs(at('times')).atimeNs, 1234567890123456789n);
  });

  test('mtimes before 1970 and after 2038 read back exactly (signed seconds)', () => {
    fs.writeFileSync(at('old'), 'x');
    run('touch', ['-m', '-d', '1969-07-20 20:17:40.25 UTC', at('old')]);
    assert.equal(statNs(at('old')).mtimeNs, BigInt(Date.UTC(1969, 6, 20, 20, 17, 40)) * 1_000_000n + 250_000_000n);
    run('touch', ['-m', '-d', '2100-01-01 00:00:00 UTC', at('old')]);
    assert.equal(statNs(at('old')).mtimeNs, 4102444800n * NS);
  });

  test('touch -m and touch -a change one time only (UTIME_OMIT, UTIME_NOW)', async () => {
    fs.writeFileSync(at('onesided'), 'x');
    fs.utimesSync(at('onesided'), 1_000_000_000, 1_100_000_000);
    run('touch', ['-m', '-d', '@1300000000', at('onesided')]);
    assert.deepEqual(lastCall(await server.calls(), 'utimens', '/onesided').args, { atime: 'omit', mtime: { sec: 1_300_000_000, nsec: 0 } });
    assert.equal(statNs(at('onesided')).atimeNs, 1_000_000_000n * NS);
    run('touch', ['-a', '-d', '@1400000000', at('onesided')]);
    let st = statNs(at('onesided'));
    assert.equal(st.atimeNs, 1_400_000_000n * NS);
    assert.equal(st.mtimeNs, 1_300_000_000n * NS);
    run('touch', ['-m', at('onesided')]);
    assert.deepEqual(lastCall(await server.calls(), 'utimens', '/onesided').args, { atime: 'omit', mtime: 'now' });
    st = statNs(at('onesided'));
    assert.equal(st.atimeNs, 1_400_000_000n * NS);
    assert.ok(st.mtimeNs > 1_400_000_000n * NS);
  });

  test('the caller uid/gid/pid reach every operation (allow_other, setpriv as 65534)', async () => {
    const asNobody = ['--reuid=65534', '--regid=65534', '--clear-groups'];
    run('setpriv', [...asNobody, 'touch', at('by-nobody')]);
    const create = lastCall(await server.calls(), 'create', '/by-nobody');
    assert.equal(create.caller?.uid, 65534);
    assert.equal(create.caller?.gid, 65534);
    assert.ok((create.caller?.pid ?? 0) > 0);
    assert.equal(statNs(at('by-nobody')).uid, 65534n);
    const own = lastCall(await server.calls(), 'getattr', '/by-nobody');
    assert.equal(own.caller?.uid, 0, 'the stat from the test process is root');
  });

  test('a non-UTF-8 name round-trips byte-exact (surrogateescape), as does a symlink target', async () => {
    const raw = Buffer.from([0x62, 0x61, 0x64, 0x2d, 0xff, 0xfe, 0x2e, 0x74]); // "bad-\xff\xfe.t"
    const full = Buffer.concat([Buffer.from(`${mnt}/`), raw]);
    fs.writeFileSync(full, 'bytes');
    const names = fs.readdirSync(mnt, { encoding: 'buffer' });
    assert.ok(names.some((n) => n.equals(raw)), 'readdir returns the same bytes');
    assert.equal(fs.readFileSync(full, 'utf8'), 'bytes');
    assert.equal(lastCall(await server.calls(), 'create').path, '/bad-\udcff\udcfe.t');
    const target = Buffer.from([0x2e, 0x2f, 0xc3, 0x28, 0x80]);
    const link = Buffer.concat([Buffer.from(`${mnt}/`), Buffer.from('link-'), raw]);
    fs.symlinkSync(target, link);
    assert.ok(fs.readlinkSync(link, { encoding: 'buffer' }).equals(target));
  });

  test('big_writes: one 1 MiB write arrives as 131072-byte writes', async () => {
    server.clear();
    const data = Buffer.alloc(1 << 20);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    const fd = fs.openSync(at('big'), 'w');
    fs.writeSync(fd, data);
    fs.closeSync(fd);
    const writes = (await server.calls()).filter((c) => c.op === 'write' && c.path === '/big');
    assert.deepEqual([...new Set(writes.map((w) => w.args?.length))], [131072]);
    assert.equal(writes.length, 8);
    assert.ok(fs.readFileSync(at('big')).equals(data));
  });

  test('create gets the open flags, opendir its flags, fsync (fh, datasync), ftruncate the fh', async () => {
    const fd = fs.openSync(at('flags'), fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o640);
    fs.writeSync(fd, 'hello world');
    fs.fsyncSync(fd);
    fs.fdatasyncSync(fd);
    fs.ftruncateSync(fd, 5);
    assert.equal(fs.fstatSync(fd).size, 5);
    fs.closeSync(fd);
    fs.opendirSync(mnt).closeSync();
    const calls = await server.calls();
    const create = lastCall(calls, 'create', '/flags');
    assert.equal((create.args?.flags as number) & 3, fs.constants.O_WRONLY);
    assert.equal((create.args?.mode as number) & 0o777, 0o640);
    const fh = lastCall(calls, 'write', '/flags').args?.fh;
    const syncs = calls.filter((c) => c.op === 'fsync' && c.path === '/flags').map((c) => c.args);
    assert.deepEqual(syncs, [{ fh, datasync: false }, { fh, datasync: true }]);
    assert.deepEqual(lastCall(calls, 'ftruncate', '/flags').args, { fh, size: 5 });
    assert.ok(((lastCall(calls, 'opendir', '/').args?.flags as number) & O_DIRECTORY) !== 0, 'opendir flags include O_DIRECTORY');
    assert.equal(fs.readFileSync(at('flags'), 'utf8'), 'hello');
  });

  test('readdir lists "." and ".." with the entries', () => {
    const out = run('ls', ['-a', mnt]).split('\n');
    assert.ok(out.includes('.') && out.includes('..') && out.includes('hello'));
  });

  test('an unexpected (non-FsError) error answers EIO', () => {
    assert.throws(() => fs.statSync(at('boom')), (e: NodeJS.ErrnoException) => e.code === 'EIO');
    assert.equal(fs.readFileSync(at('hello'), 'utf8'), 'hello\n', 'the mount still serves');
  });

  test('our own unmount ends the mount and reports external: false', async () => {
    const end = await server.unmount();
    assert.deepEqual(end, { external: false });
    assert.equal(await findMount(mnt), null);
  });
});

describe('mount lifecycle', () => {
  test('an external fusermount -u fires the end event', async (t) => {
    const mnt = makeMountpoint(tmp, 'external');
    const server = await startServer(mnt);
    t.after(() => server.destroy());
    run('fusermount', ['-u', mnt]);
    assert.deepEqual(await withTimeout(server.ended, 10_000, 'ended'), { external: true });
    assert.equal(await findMount(mnt), null);
  });

  test('no operation timeout: a read slower than the old 15 s default (timers dilated 100x) succeeds', async (t) => {
    const mnt = makeMountpoint(tmp, 'slow');
    // With the unpatched 15 s timeout, dilated to 150 ms, this 400 ms read would fail with ETIMEDOUT.
    const server = await startServer(mnt, { dilateTimers: 100, slowMs: 400, initTimeoutMs: 500_000 });
    t.after(() => server.destroy());
    assert.equal(fs.readFileSync(path.join(mnt, 'slow'), 'utf8'), 'slow\n');
    await server.unmount();
  });

  test('a filesystem without write methods answers EROFS', async (t) => {
    const mnt = makeMountpoint(tmp, 'readonly');
    const server = await startServer(mnt, { readOnlyFs: true });
    t.after(() => server.destroy());
    const erofs = (e: NodeJS.ErrnoException) => e.code === 'EROFS';
    assert.throws(() => fs.writeFileSync(path.join(mnt, 'new'), 'x'), erofs);
    assert.throws(() => fs.writeFileSync(path.join(mnt, 'hello'), 'x'), erofs);
    assert.throws(() => fs.chmodSync(path.join(mnt, 'hello'), 0o600), erofs);
    assert.throws(() => fs.mkdirSync(path.join(mnt, 'dir')), erofs);
    assert.equal(fs.readFileSync(path.join(mnt, 'hello'), 'utf8'), 'hello\n');
    await server.unmount();
  });

  test('a mount refused by libfuse leaves no dead mount behind', async () => {
    const mnt = makeMountpoint(tmp, 'refused');
    await assert.rejects(startServer(mnt, { extraOptions: ['discfs_no_such_option'] }), /fuse failed|cannot mount/);
    assert.equal(await findMount(mnt), null);
    assert.equal(await isDeadMount(mnt), false);
  });

  test('a dead mount left by a killed daemon is cleaned before mounting again', async (t) => {
    const mnt = makeMountpoint(tmp, 'dead');
    const first = await startServer(mnt);
    t.after(() => first.destroy());
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    assert.equal(await isDeadMount(mnt), true);
    const second = await startServer(mnt);
    t.after(() => second.destroy());
    assert.equal(fs.readFileSync(path.join(mnt, 'hello'), 'utf8'), 'hello\n');
    await second.unmount();
  });

  test('startInBackground resolves once the detached child reports the mount live', async (t) => {
    const mnt = makeMountpoint(tmp, 'background');
    const logFile = path.join(tmp, 'background.log');
    const { pid } = await startInBackground([mnt, '{}'], { entry: SERVER_JS, logFile, readyTimeoutMs: 10_000 });
    t.after(() => { spawnSync('fusermount', ['-uz', mnt]); try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } });
    assert.ok(await findMount(mnt));
    assert.equal(fs.readFileSync(path.join(mnt, 'hello'), 'utf8'), 'hello\n');
    run('fusermount', ['-u', mnt]);
    await withTimeout(waitForExit(pid), 10_000, 'background child exit');
  });

  test('startInBackground rejects with the child\'s message and exit code', async () => {
    const logFile = path.join(tmp, 'background-fail.log');
    const missing = path.join(tmp, 'no-such-dir');
    const err = await startInBackground([missing, '{}'], { entry: SERVER_JS, logFile, readyTimeoutMs: 10_000 }).then(
      () => assert.fail('should reject'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof DiscfsError);
    assert.equal(err.code, 'BACKGROUND_START_FAILED');
    assert.match(err.message, /no-such-dir/);
    assert.equal(err.data.exitCode, 2);
  });
});

async function waitForExit(pid: number): Promise<void> {
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
