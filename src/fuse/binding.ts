// Typed access to the patched fuse-native 2.2.6 (patches/fuse-native+2.2.6.patch, docs/fuse-native.md).
// Paths, names and link targets cross as Buffers of raw bytes; every op gets the caller after its callback.

import type { Timespec } from '../tree/node';
import type { StatFs } from './filesystem';
import { DiscfsError } from '../util/errors';

export const FUSE_NATIVE_PATCH = 'discfs-fuse-native-1';

export interface FuseCaller {
  uid: number;
  gid: number;
  pid: number;
}

export type FuseTime = Timespec | 'now' | 'omit';

/** What getattr answers; times are signed seconds + nanoseconds, ino may exceed 2^32. */
export interface FuseStat {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  nlink: number;
  ino: bigint | number;
  rdev: number;
  blksize: number;
  blocks: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
}

/** What statfs answers: the Filesystem's StatFs plus the two fields only the binding carries. */
export interface FuseStatfs extends StatFs {
  fsid: number;
  flag: number;
}

/** `code` is 0 or a negative errno; for read/write it is the byte count. */
export type Done = (code: number) => void;
export type DoneWith<T> = (code: number, value?: T) => void;

export interface FuseOperations {
  init?(cb: Done): void;
  statfs?(path: Buffer, cb: DoneWith<FuseStatfs>, caller: FuseCaller): void;
  getattr?(path: Buffer, cb: DoneWith<FuseStat>, caller: FuseCaller): void;
  fgetattr?(path: Buffer, fh: number, cb: DoneWith<FuseStat>, caller: FuseCaller): void;
  access?(path: Buffer, mode: number, cb: Done, caller: FuseCaller): void;
  open?(path: Buffer, flags: number, cb: DoneWith<number>, caller: FuseCaller): void;
  opendir?(path: Buffer, flags: number, cb: DoneWith<number>, caller: FuseCaller): void;
  create?(path: Buffer, mode: number, flags: number, cb: DoneWith<number>, caller: FuseCaller): void;
  utimens?(path: Buffer, atime: FuseTime, mtime: FuseTime, cb: Done, caller: FuseCaller): void;
  release?(path: Buffer, fh: number, cb: Done, caller: FuseCaller): void;
  releasedir?(path: Buffer, fh: number, cb: Done, caller: FuseCaller): void;
  read?(path: Buffer, fh: number, buf: Buffer, len: number, pos: number, cb: Done, caller: FuseCaller): void;
  write?(path: Buffer, fh: number, buf: Buffer, len: number, pos: number, cb: Done, caller: FuseCaller): void;
  readdir?(path: Buffer, cb: (code: number, names?: Buffer[], stats?: Partial<FuseStat>[]) => void, caller: FuseCaller): void;
  flush?(path: Buffer, fh: number, cb: Done, caller: FuseCaller): void;
  fsync?(path: Buffer, fh: number, datasync: number, cb: Done, caller: FuseCaller): void;
  fsyncdir?(path: Buffer, fh: number, datasync: number, cb: Done, caller: FuseCaller): void;
  truncate?(path: Buffer, size: number, cb: Done, caller: FuseCaller): void;
  ftruncate?(path: Buffer, fh: number, size: number, cb: Done, caller: FuseCaller): void;
  readlink?(path: Buffer, cb: DoneWith<Buffer>, caller: FuseCaller): void;
  chown?(path: Buffer, uid: number, gid: number, cb: Done, caller: FuseCaller): void;
  chmod?(path: Buffer, mode: number, cb: Done, caller: FuseCaller): void;
  mknod?(path: Buffer, mode: number, dev: number, cb: Done, caller: FuseCaller): void;
  unlink?(path: Buffer, cb: Done, caller: FuseCaller): void;
  rename?(src: Buffer, dest: Buffer, cb: Done, caller: FuseCaller): void;
  link?(src: Buffer, dest: Buffer, cb: Done, caller: FuseCaller): void;
  symlink?(target: Buffer, path: Buffer, cb: Done, caller: FuseCaller): void;
  mkdir?(path: Buffer, mode: number, cb: Done, caller: FuseCaller): void;
  rmdir?(path: Buffer, cb: Done, caller: FuseCaller): void;
}

/** Options of the patched Fuse constructor (each becomes one escaped -o argument). */
export interface FuseNativeOptions {
  fsname?: string;
  subtype?: string;
  allowOther?: boolean;
  defaultPermissions?: boolean;
  attrTimeout?: number;
  entryTimeout?: number;
  negativeTimeout?: number;
  bigWrites?: boolean;
  maxWrite?: number;
  maxRead?: number;
  debug?: boolean;
  /** Further -o options, one per element (a comma inside an element is escaped, not a separator). */
  options?: string[];
  /** Called once when the fuse loop has ended, whoever unmounted. */
  onEnd?: () => void;
  /** Per-operation timeout in ms; the patched default is none. */
  timeout?: number;
}

export interface FuseInstance {
  readonly mnt: string;
  readonly ended: boolean;
  mount(cb: (err: Error | null) => void): void;
  unmount(cb: (err: Error | null) => void): void;
}

export interface FuseClass {
  new (mnt: string, ops: FuseOperations, opts: FuseNativeOptions): FuseInstance;
  readonly DISCFS_PATCH: string | null | undefined;
}

let loaded: FuseClass | null = null;

/** Loads fuse-native and refuses an unpatched package or a binding that was not rebuilt from it. */
export function loadFuse(): FuseClass {
  if (loaded) return loaded;
  let mod: FuseClass;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    mod = require('fuse-native') as FuseClass;
  } catch (err) {
    throw new DiscfsError('FUSE_BINDING_MISSING', `cannot load fuse-native: ${(err as Error).message}`, {}, { cause: err });
  }
  if (mod.DISCFS_PATCH !== FUSE_NATIVE_PATCH) {
    throw new DiscfsError(
      'FUSE_BINDING_UNPATCHED',
      `fuse-native is not the patched build (marker ${String(mod.DISCFS_PATCH)}, want ${FUSE_NATIVE_PATCH}): ` +
        'run `node scripts/postinstall.js` (it applies patches/fuse-native+2.2.6.patch and rebuilds)',
      { found: mod.DISCFS_PATCH ?? null },
    );
  }
  loaded = mod;
  return mod;
}
