// The contract between a discfs filesystem (read-only session view, writable overlay) and the FUSE adapter.
// Paths are absolute mount paths ("/", "/a/b"); names are byte-exact: bytes that are not valid UTF-8 arrive
// as lone surrogates U+DC80..U+DCFF (PEP 383 surrogateescape, see src/util/name-codec.ts).
// Methods throw FsError (src/util/errors.ts); the adapter converts every error to an errno in one place.

import type { NodeKind, Timespec } from '../tree/node';

export interface Caller {
  uid: number;
  gid: number;
  pid: number;
}

export interface Stat {
  /** Inode number; may exceed 2^32 (the patched binding passes 64 bits). */
  ino: bigint;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  /** 512-byte blocks. */
  blocks: number;
  blksize: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
}

export interface StatFs {
  bsize: number;
  frsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  favail: number;
  namemax: number;
}

export interface DirEntry {
  name: string;
  ino: bigint;
  kind: NodeKind;
  /** The name's raw bytes when the filesystem has them: the adapter then skips re-encoding `name`. */
  rawName?: Buffer;
}

/** A time to set: a value, the current time (UTIME_NOW) or unchanged (UTIME_OMIT). */
export type TimeChange = Timespec | 'now' | 'omit';

export interface Filesystem {
  getattr(path: string, caller: Caller): Promise<Stat>;
  /** Entries without "." and "..": the adapter adds those. */
  readdir(path: string, caller: Caller): Promise<DirEntry[]>;
  /** Returns a file handle (>= 1). `flags` are the open(2) flags. */
  open(path: string, flags: number, caller: Caller): Promise<number>;
  read(path: string, fh: number, buffer: Buffer, length: number, position: number): Promise<number>;
  release(path: string, fh: number): Promise<void>;
  readlink(path: string, caller: Caller): Promise<string>;
  statfs(path: string): Promise<StatFs>;
  access?(path: string, mode: number, caller: Caller): Promise<void>;
  opendir?(path: string, flags: number, caller: Caller): Promise<number>;
  releasedir?(path: string, fh: number): Promise<void>;

  // Writable filesystems implement these; a read-only one leaves them out and the adapter answers EROFS.
  create?(path: string, mode: number, flags: number, caller: Caller): Promise<number>;
  write?(path: string, fh: number, buffer: Buffer, length: number, position: number): Promise<number>;
  flush?(path: string, fh: number): Promise<void>;
  fsync?(path: string, fh: number, datasync: boolean): Promise<void>;
  fsyncdir?(path: string, fh: number, datasync: boolean): Promise<void>;
  truncate?(path: string, size: number, caller: Caller): Promise<void>;
  ftruncate?(path: string, fh: number, size: number, caller: Caller): Promise<void>;
  unlink?(path: string, caller: Caller): Promise<void>;
  rmdir?(path: string, caller: Caller): Promise<void>;
  mkdir?(path: string, mode: number, caller: Caller): Promise<void>;
  rename?(from: string, to: string, caller: Caller): Promise<void>;
  link?(target: string, path: string, caller: Caller): Promise<void>;
  symlink?(target: string, path: string, caller: Caller): Promise<void>;
  mknod?(path: string, mode: number, rdev: number, caller: Caller): Promise<void>;
  chmod?(path: string, mode: number, caller: Caller): Promise<void>;
  /** uid/gid of -1 mean "unchanged". */
  chown?(path: string, uid: number, gid: number, caller: Caller): Promise<void>;
  utimens?(path: string, atime: TimeChange, mtime: TimeChange, caller: Caller): Promise<void>;

  /** Called once when the kernel ends the mount (also an external `fusermount -u`). */
  destroy?(): Promise<void>;
}
