// An in-memory, writable Filesystem for FUSE tests: records every call (op, path, caller, arguments).

import { setTimeout as sleep } from 'node:timers/promises';
import type { Caller, DirEntry, Filesystem, Stat, StatFs, TimeChange } from '../../src/fuse/filesystem';
import type { NodeKind, Timespec } from '../../src/tree/node';
import { FsError } from '../../src/util/errors';

export interface CallRecord {
  op: string;
  path: string;
  caller?: Caller;
  args?: Record<string, unknown>;
}

interface MemNode {
  kind: NodeKind;
  mode: number;
  uid: number;
  gid: number;
  ino: bigint;
  data: Buffer;
  target: string;
  children: Map<string, MemNode>;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
}

export interface MemFsOptions {
  /** Reads of /slow take this long (ms), measured with a timer the test may not dilate. */
  slowMs?: number;
}

/** Inode numbers above 2^32; INO_EXACT is 2^53 + 1, which a double cannot hold. */
export const INO_BASE = 2n ** 40n;
export const INO_EXACT = 2n ** 53n + 1n;
const EPOCH: Timespec = { sec: 1_000_000_000, nsec: 0 };
const TYPE_BITS: Record<string, NodeKind> = { 0o100000: 'file', 0o040000: 'dir', 0o120000: 'symlink', 0o010000: 'fifo' };

function nowSpec(): Timespec {
  const ms = Date.now();
  return { sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1_000_000 };
}

export class MemFs implements Filesystem {
  readonly calls: CallRecord[] = [];
  private nextIno = INO_BASE + 10n;
  private nextFh = 1;
  private readonly root: MemNode;

  constructor(private readonly options: MemFsOptions = {}) {
    this.root = this.node('dir', 0o755, { uid: 0, gid: 0, pid: 0 }, INO_BASE + 1n);
    this.root.children.set('hello', { ...this.node('file', 0o644, { uid: 0, gid: 0, pid: 0 }, INO_EXACT), data: Buffer.from('hello\n') });
    this.root.children.set('slow', { ...this.node('file', 0o644, { uid: 0, gid: 0, pid: 0 }), data: Buffer.from('slow\n') });
  }

  private node(kind: NodeKind, perm: number, caller: Caller, ino?: bigint): MemNode {
    const bits = Number(Object.keys(TYPE_BITS).find((k) => TYPE_BITS[k] === kind) ?? 0o100000);
    return {
      kind, mode: bits | (perm & 0o7777), uid: caller.uid, gid: caller.gid, ino: ino ?? this.nextIno++,
      data: Buffer.alloc(0), target: '', children: new Map(), atime: EPOCH, mtime: EPOCH, ctime: EPOCH,
    };
  }

  private record(op: string, path: string, caller?: Caller, args?: Record<string, unknown>): void {
    this.calls.push({ op, path, caller, args });
  }

  private lookup(path: string): MemNode {
    let n = this.root;
    for (const part of path.split('/').filter(Boolean)) {
      if (n.kind !== 'dir') throw new FsError('ENOTDIR');
      const next = n.children.get(part);
      if (!next) throw new FsError('ENOENT', path);
      n = next;
    }
    return n;
  }

  private parentAndName(path: string): [MemNode, string] {
    const i = path.lastIndexOf('/');
    const parent = this.lookup(path.slice(0, i) || '/');
    if (parent.kind !== 'dir') throw new FsError('ENOTDIR');
    return [parent, path.slice(i + 1)];
  }

  private add(path: string, n: MemNode): void {
    const [parent, name] = this.parentAndName(path);
    if (parent.children.has(name)) throw new FsError('EEXIST', path);
    parent.children.set(name, n);
  }

  async getattr(path: string, caller: Caller): Promise<Stat> {
    this.record('getattr', path, caller);
    // Not an FsError: the adapter must answer EIO (and log it), never crash the binding.
    if (path === '/boom') throw new Error('boom: an unexpected bug');
    const n = this.lookup(path);
    const size = n.kind === 'symlink' ? Buffer.byteLength(n.target) : n.data.length;
    return {
      ino: n.ino, mode: n.mode, nlink: n.kind === 'dir' ? 2 : 1, uid: n.uid, gid: n.gid, rdev: 0, size,
      blocks: Math.ceil(size / 512), blksize: 4096, atime: n.atime, mtime: n.mtime, ctime: n.ctime,
    };
  }

  async readdir(path: string, caller: Caller): Promise<DirEntry[]> {
    this.record('readdir', path, caller);
    const n = this.lookup(path);
    return [...n.children].map(([name, c]) => ({ name, ino: c.ino, kind: c.kind }));
  }

  async open(path: string, flags: number, caller: Caller): Promise<number> {
    this.record('open', path, caller, { flags });
    const n = this.lookup(path);
    if (flags & 0o1000) n.data = Buffer.alloc(0);
    return this.nextFh++;
  }

  async opendir(path: string, flags: number, caller: Caller): Promise<number> {
    this.record('opendir', path, caller, { flags });
    this.lookup(path);
    return this.nextFh++;
  }

  async read(path: string, fh: number, buffer: Buffer, length: number, position: number): Promise<number> {
    this.record('read', path, undefined, { fh, length, position });
    if (path === '/slow' && this.options.slowMs) await sleep(this.options.slowMs);
    const n = this.lookup(path);
    return n.data.copy(buffer, 0, position, Math.min(n.data.length, position + length));
  }

  async write(path: string, fh: number, buffer: Buffer, length: number, position: number): Promise<number> {
    this.record('write', path, undefined, { fh, length, position });
    const n = this.lookup(path);
    if (position + length > n.data.length) {
      const grown = Buffer.alloc(position + length);
      n.data.copy(grown);
      n.data = grown;
    }
    buffer.copy(n.data, position, 0, length);
    return length;
  }

  async release(path: string, fh: number): Promise<void> { this.record('release', path, undefined, { fh }); }
  async releasedir(path: string, fh: number): Promise<void> { this.record('releasedir', path, undefined, { fh }); }
  async flush(path: string, fh: number): Promise<void> { this.record('flush', path, undefined, { fh }); }

  async fsync(path: string, fh: number, datasync: boolean): Promise<void> {
    this.record('fsync', path, undefined, { fh, datasync });
  }

  async readlink(path: string, caller: Caller): Promise<string> {
    this.record('readlink', path, caller);
    const n = this.lookup(path);
    if (n.kind !== 'symlink') throw new FsError('EINVAL');
    return n.target;
  }

  async statfs(path: string): Promise<StatFs> {
    this.record('statfs', path);
    return { bsize: 4096, frsize: 4096, blocks: 1000, bfree: 500, bavail: 500, files: 100, ffree: 50, favail: 50, namemax: 255 };
  }

  async create(path: string, mode: number, flags: number, caller: Caller): Promise<number> {
    this.record('create', path, caller, { mode, flags });
    this.add(path, this.node('file', mode, caller));
    return this.nextFh++;
  }

  async mkdir(path: string, mode: number, caller: Caller): Promise<void> {
    this.record('mkdir', path, caller, { mode });
    this.add(path, this.node('dir', mode, caller));
  }

  async symlink(target: string, path: string, caller: Caller): Promise<void> {
    this.record('symlink', path, caller, { target });
    this.add(path, { ...this.node('symlink', 0o777, caller), target });
  }

  async unlink(path: string, caller: Caller): Promise<void> {
    this.record('unlink', path, caller);
    const [parent, name] = this.parentAndName(path);
    if (!parent.children.delete(name)) throw new FsError('ENOENT');
  }

  async truncate(path: string, size: number, caller: Caller): Promise<void> {
    this.record('truncate', path, caller, { size });
    this.resize(this.lookup(path), size);
  }

  async ftruncate(path: string, fh: number, size: number, caller: Caller): Promise<void> {
    this.record('ftruncate', path, caller, { fh, size });
    this.resize(this.lookup(path), size);
  }

  private resize(n: MemNode, size: number): void {
    const next = Buffer.alloc(size);
    n.data.copy(next, 0, 0, Math.min(size, n.data.length));
    n.data = next;
  }

  async chmod(path: string, mode: number, caller: Caller): Promise<void> {
    this.record('chmod', path, caller, { mode });
    const n = this.lookup(path);
    n.mode = (n.mode & ~0o7777) | (mode & 0o7777);
  }

  async utimens(path: string, atime: TimeChange, mtime: TimeChange, caller: Caller): Promise<void> {
    this.record('utimens', path, caller, { atime, mtime });
    const n = this.lookup(path);
    const apply = (t: TimeChange, old: Timespec) => (t === 'omit' ? old : t === 'now' ? nowSpec() : t);
    n.atime = apply(atime, n.atime);
    n.mtime = apply(mtime, n.mtime);
    n.ctime = nowSpec();
  }
}
