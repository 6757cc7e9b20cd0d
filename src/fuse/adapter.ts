// Serves a Filesystem (src/fuse/filesystem.ts) through the patched fuse-native binding (src/fuse/binding.ts):
// raw path bytes <-> surrogateescape strings, Stat <-> the binding's stat, errors -> errno (src/fuse/errno.ts).
// No handler throws into the binding: every answer goes through `run`.

import { constants } from 'node:fs';
import type { NodeKind } from '../tree/node';
import { DiscfsError } from '../util/errors';
import { decodeName, encodeName } from '../util/name-codec';
import { loadFuse, type Done, type FuseNativeOptions, type FuseOperations, type FuseStat } from './binding';
import { errnoOf, toErrno, type ErrorLog } from './errno';
import type { Caller, DirEntry, Filesystem, Stat } from './filesystem';

/** 128 KiB: the largest write libfuse 2.9 negotiates (32 pages), taken only with big_writes. */
export const MAX_WRITE = 131072;

/** The binding's options discfs sets per mount (fsname/subtype shown in mountinfo; caches in seconds), plus: */
export interface AdapterMountOptions
  extends Pick<FuseNativeOptions, 'fsname' | 'subtype' | 'allowOther' | 'defaultPermissions' | 'attrTimeout' | 'entryTimeout' | 'debug'> {
  /** Mount read-only (-o ro) and answer EROFS to every write operation. */
  readOnly?: boolean;
  /** Further -o options, one per element. */
  extraOptions?: string[];
  log?: ErrorLog;
}

export interface FuseSession {
  readonly mountpoint: string;
  /** Resolves once the kernel mount is gone (after Filesystem.destroy ran). */
  readonly ended: Promise<void>;
  /** Releases the binding's resources; call after `ended` (the kernel unmount is the caller's job). */
  dispose(): Promise<void>;
}

const KIND_BITS: Record<NodeKind, number> = {
  file: 0o100000,
  dir: 0o040000,
  symlink: 0o120000,
  fifo: 0o010000,
  socket: 0o140000,
  chardev: 0o020000,
  blockdev: 0o060000,
};

const O_ACCMODE = 3;
const WRITE_OPEN_FLAGS = constants.O_TRUNC;

export function defaultLog(message: string): void {
  process.stderr.write(`${message}\n`);
}

export function toFuseStat(s: Stat): FuseStat {
  return {
    mode: s.mode, uid: s.uid, gid: s.gid, size: s.size, nlink: s.nlink, ino: s.ino, rdev: s.rdev,
    blksize: s.blksize, blocks: s.blocks, atime: s.atime, mtime: s.mtime, ctime: s.ctime,
  };
}

type Runner = <T>(op: string, path: string, work: () => Promise<T>, ok: (value: T) => void, fail: Done) => void;

function makeRunner(log: ErrorLog): Runner {
  return (op, path, work, ok, fail) => {
    let pending: Promise<unknown>;
    try {
      pending = work();
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      (value) => {
        try {
          ok(value as never);
        } catch (err) {
          fail(toErrno(err, op, path, log));
        }
      },
      (err: unknown) => fail(toErrno(err, op, path, log)),
    );
  };
}

/** A byte count from read/write must lie within the request, else it would corrupt the kernel's view. */
function byteCount(n: number, len: number): number {
  if (!Number.isInteger(n) || n < 0 || n > len) throw new DiscfsError('FUSE_BAD_COUNT', `byte count ${n} outside 0..${len}`);
  return n;
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

async function listWithDots(fs: Filesystem, path: string, caller: Caller, log: ErrorLog) {
  const [entries, self] = await Promise.all([fs.readdir(path, caller), fs.getattr(path, caller)]);
  const parent = path === '/' ? self : await fs.getattr(parentOf(path), caller).catch(() => self);
  const names: Buffer[] = [Buffer.from('.'), Buffer.from('..')];
  const stats: Partial<FuseStat>[] = [toFuseStat(self), toFuseStat(parent)];
  for (const e of entries) {
    const name = e.rawName ?? entryName(e, path, log);
    if (name === undefined) continue;
    names.push(name);
    stats.push(entryStat(e));
  }
  return { names, stats };
}

function entryName(e: DirEntry, path: string, log: ErrorLog): Buffer | undefined {
  try {
    return encodeName(e.name);
  } catch (err) {
    log(`discfs: readdir ${JSON.stringify(path)}: skipping unencodable name ${JSON.stringify(e.name)}: ${(err as Error).message}`);
    return undefined;
  }
}

const NO_TIME = { sec: 0, nsec: 0 };

/**
 * The kernel takes only d_ino and the type bits from a readdir entry; explicit times spare the binding a Date.now()
 * per missing time field when it packs the stat (10,000 entries = 30,000 clock reads).
 */
function entryStat(e: DirEntry): Partial<FuseStat> {
  return { ino: e.ino, mode: KIND_BITS[e.kind], atime: NO_TIME, mtime: NO_TIME, ctime: NO_TIME };
}

function readOperations(fs: Filesystem, run: Runner, log: ErrorLog): FuseOperations {
  const ok0 = (cb: Done) => () => cb(0);
  const ops: FuseOperations = {
    init: (cb) => cb(0),
    getattr: (p, cb, c) => { const path = decodeName(p); run('getattr', path, () => fs.getattr(path, c), (s) => cb(0, toFuseStat(s)), cb); },
    fgetattr: (p, _fh, cb, c) => { const path = decodeName(p); run('fgetattr', path, () => fs.getattr(path, c), (s) => cb(0, toFuseStat(s)), cb); },
    readdir: (p, cb, c) => {
      const path = decodeName(p);
      run('readdir', path, () => listWithDots(fs, path, c, log), (r) => cb(0, r.names, r.stats), cb);
    },
    read: (p, fh, buf, len, pos, cb) => {
      const path = decodeName(p);
      run('read', path, () => fs.read(path, fh, buf, len, pos), (n) => cb(byteCount(n, len)), cb);
    },
    release: (p, fh, cb) => { const path = decodeName(p); run('release', path, () => fs.release(path, fh), ok0(cb), cb); },
    readlink: (p, cb, c) => { const path = decodeName(p); run('readlink', path, () => fs.readlink(path, c), (t) => cb(0, encodeName(t)), cb); },
    statfs: (p, cb) => {
      const path = decodeName(p);
      run('statfs', path, () => fs.statfs(path), (s) => cb(0, { ...s, fsid: 0, flag: 0 }), cb);
    },
  };
  if (fs.access) { const f = fs.access.bind(fs); ops.access = (p, mode, cb, c) => { const path = decodeName(p); run('access', path, () => f(path, mode, c), ok0(cb), cb); }; }
  if (fs.opendir) { const f = fs.opendir.bind(fs); ops.opendir = (p, flags, cb, c) => { const path = decodeName(p); run('opendir', path, () => f(path, flags, c), (fh) => cb(0, fh), cb); }; }
  if (fs.releasedir) { const f = fs.releasedir.bind(fs); ops.releasedir = (p, fh, cb) => { const path = decodeName(p); run('releasedir', path, () => f(path, fh), ok0(cb), cb); }; }
  if (fs.fsyncdir) { const f = fs.fsyncdir.bind(fs); ops.fsyncdir = (p, fh, ds, cb) => { const path = decodeName(p); run('fsyncdir', path, () => f(path, fh, ds !== 0), ok0(cb), cb); }; }
  return ops;
}

/** `open` of a read-only filesystem refuses write access itself: the kernel only knows when mounted ro. */
function openOperation(fs: Filesystem, run: Runner, writable: boolean): FuseOperations['open'] {
  return (p, flags, cb, c) => {
    const path = decodeName(p);
    const wantsWrite = (flags & O_ACCMODE) !== constants.O_RDONLY || (flags & WRITE_OPEN_FLAGS) !== 0;
    if (wantsWrite && !writable) return cb(errnoOf('EROFS'));
    run('open', path, () => fs.open(path, flags, c), (fh) => cb(0, fh), cb);
  };
}

function writeOperations(fs: Filesystem, run: Runner, writable: boolean): FuseOperations {
  const rofs = errnoOf('EROFS');
  const ok0 = (cb: Done) => () => cb(0);
  // Each method is bound when present; a missing one (or a read-only mount) answers EROFS.
  const m = <K extends keyof Filesystem>(k: K): NonNullable<Filesystem[K]> | null => {
    const f = fs[k];
    return writable && typeof f === 'function' ? (f.bind(fs) as NonNullable<Filesystem[K]>) : null;
  };
  const create = m('create'), write = m('write'), flush = m('flush'), fsync = m('fsync');
  const truncate = m('truncate'), ftruncate = m('ftruncate'), unlink = m('unlink'), rmdir = m('rmdir');
  const mkdir = m('mkdir'), rename = m('rename'), link = m('link'), symlink = m('symlink');
  const mknod = m('mknod'), chmod = m('chmod'), chown = m('chown'), utimens = m('utimens');
  const d = decodeName;
  return {
    open: openOperation(fs, run, writable),
    create: (p, mode, flags, cb, c) => { if (!create) return cb(rofs); const path = d(p); run('create', path, () => create(path, mode, flags, c), (fh) => cb(0, fh), cb); },
    write: (p, fh, buf, len, pos, cb) => { if (!write) return cb(rofs); const path = d(p); run('write', path, () => write(path, fh, buf, len, pos), (n) => cb(byteCount(n, len)), cb); },
    // flush/fsync come for read-only opens too: without an implementation they succeed (nothing to write).
    flush: (p, fh, cb) => { if (!flush) return cb(0); const path = d(p); run('flush', path, () => flush(path, fh), ok0(cb), cb); },
    fsync: (p, fh, ds, cb) => { if (!fsync) return cb(0); const path = d(p); run('fsync', path, () => fsync(path, fh, ds !== 0), ok0(cb), cb); },
    truncate: (p, size, cb, c) => { if (!truncate) return cb(rofs); const path = d(p); run('truncate', path, () => truncate(path, size, c), ok0(cb), cb); },
    ftruncate: (p, fh, size, cb, c) => {
      const path = d(p);
      if (ftruncate) return run('ftruncate', path, () => ftruncate(path, fh, size, c), ok0(cb), cb);
      if (!truncate) return cb(rofs);
      run('ftruncate', path, () => truncate(path, size, c), ok0(cb), cb);
    },
    unlink: (p, cb, c) => { if (!unlink) return cb(rofs); const path = d(p); run('unlink', path, () => unlink(path, c), ok0(cb), cb); },
    rmdir: (p, cb, c) => { if (!rmdir) return cb(rofs); const path = d(p); run('rmdir', path, () => rmdir(path, c), ok0(cb), cb); },
    mkdir: (p, mode, cb, c) => { if (!mkdir) return cb(rofs); const path = d(p); run('mkdir', path, () => mkdir(path, mode, c), ok0(cb), cb); },
    rename: (s, t, cb, c) => { if (!rename) return cb(rofs); const from = d(s), to = d(t); run('rename', from, () => rename(from, to, c), ok0(cb), cb); },
    link: (s, t, cb, c) => { if (!link) return cb(rofs); const target = d(s), path = d(t); run('link', path, () => link(target, path, c), ok0(cb), cb); },
    symlink: (s, t, cb, c) => { if (!symlink) return cb(rofs); const target = d(s), path = d(t); run('symlink', path, () => symlink(target, path, c), ok0(cb), cb); },
    mknod: (p, mode, dev, cb, c) => { if (!mknod) return cb(rofs); const path = d(p); run('mknod', path, () => mknod(path, mode, dev, c), ok0(cb), cb); },
    chmod: (p, mode, cb, c) => { if (!chmod) return cb(rofs); const path = d(p); run('chmod', path, () => chmod(path, mode, c), ok0(cb), cb); },
    chown: (p, uid, gid, cb, c) => { if (!chown) return cb(rofs); const path = d(p); run('chown', path, () => chown(path, uid, gid, c), ok0(cb), cb); },
    utimens: (p, at, mt, cb, c) => { if (!utimens) return cb(rofs); const path = d(p); run('utimens', path, () => utimens(path, at, mt, c), ok0(cb), cb); },
  };
}

/** The binding's operation table for `fs`. */
export function fuseOperations(fs: Filesystem, options: { readOnly?: boolean; log?: ErrorLog } = {}): FuseOperations {
  const log = options.log ?? defaultLog;
  const run = makeRunner(log);
  return { ...readOperations(fs, run, log), ...writeOperations(fs, run, !options.readOnly) };
}

/** Mount options for the binding: big_writes (128 KiB writes) always, the rest as asked. */
export function fuseNativeOptions(options: AdapterMountOptions): FuseNativeOptions {
  return {
    fsname: options.fsname ?? 'discfs',
    subtype: options.subtype ?? 'discfs',
    allowOther: options.allowOther ?? false,
    defaultPermissions: options.defaultPermissions ?? false,
    attrTimeout: options.attrTimeout,
    entryTimeout: options.entryTimeout,
    bigWrites: true,
    maxWrite: MAX_WRITE,
    debug: options.debug ?? false,
    options: [...(options.readOnly ? ['ro'] : []), ...(options.extraOptions ?? [])],
  };
}

async function runDestroy(fs: Filesystem, log: ErrorLog): Promise<void> {
  if (!fs.destroy) return;
  try {
    await fs.destroy();
  } catch (err) {
    log(`discfs: destroy failed: ${err instanceof Error ? err.stack : String(err)}`);
  }
}

/** Mounts `fs` on `mountpoint`; resolves once the kernel sent INIT (the mount is live). */
export function mountFilesystem(fs: Filesystem, mountpoint: string, options: AdapterMountOptions = {}): Promise<FuseSession> {
  const Fuse = loadFuse();
  const log = options.log ?? defaultLog;
  let markEnded: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => { markEnded = resolve; });
  const onEnd = () => { void runDestroy(fs, log).then(markEnded); };
  const fuse = new Fuse(mountpoint, fuseOperations(fs, options), { ...fuseNativeOptions(options), onEnd });
  const dispose = () => new Promise<void>((resolve) => fuse.unmount(() => resolve()));
  return new Promise((resolve, reject) => {
    fuse.mount((err) => {
      if (!err) return resolve({ mountpoint: fuse.mnt, ended, dispose });
      reject(new DiscfsError('FUSE_MOUNT_FAILED', `cannot mount ${mountpoint}: ${err.message}`, { mountpoint }, { cause: err }));
    });
  });
}
