// The writable overlay: a Filesystem over one lower session whose changes are staged in a staging directory.

import fsp from 'node:fs/promises';
import { constants as C } from 'node:fs';
import type { Caller, DirEntry, Filesystem, Stat, StatFs, TimeChange } from '../fuse/filesystem';
import type { LowerTree } from '../tree/lower-tree';
import type { NodeKind, Timespec } from '../tree/node';
import { FsError } from '../util/errors';
import { ContentStore, WHOLE_COPY_LIMIT, CHUNK_SIZE } from './content-store';
import { DataFiles } from './data-files';
import { emptyLowerTree } from './empty-lower';
import { bytesToName, checkNewName, isClutterName, isTrashName, nameToBytes } from './names';
import { type Located, Namespace, type Resolved } from './namespace';
import type { NodeRecord } from './node-record';
import { type MediumCapacity, SpaceAccount } from './space';
import { StagingStore } from './staging-store';
import { buildMergedTree, listChanges, type ChangeEntry, type ClutterPolicy, type MergedTreeResult } from './merged-tree';

export interface OverlayOptions {
  stagingDir: string;
  /** Identity of the medium the staged changes belong to (e.g. a hash of the newest session's PVD + start LBA). */
  identity: string;
  /** The newest session; null or absent for blank media. */
  lower?: LowerTree | null;
  /** The mounting user: shown as the owner of everything unless keepOwners. */
  owner: { uid: number; gid: number };
  keepOwners?: boolean;
  clutter?: ClutterPolicy;
  capacity: MediumCapacity;
  /** Clock (tests pin it); defaults to the wall clock. */
  now?: () => Timespec;
}

interface Handle {
  ino: bigint;
  node: Resolved;
  flags: number;
  /** Whether the opener was root: a write through the handle keeps setuid/setgid only then (CAP_FSETID). */
  privileged: boolean;
}

/** open(2) access mode bits (Linux; node's constants leave this one out). */
const O_ACCMODE = 3;
/** Mode bits node's fs constants leave out. */
const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
/** Longest symlink target Linux accepts (PATH_MAX - 1). */
const SYMLINK_MAX = 4095;
const UNCHANGED_ID = new Set([-1, 0xffffffff]);
const KIND_BY_TYPE: ReadonlyMap<number, NodeKind> = new Map([
  [C.S_IFREG, 'file'], [C.S_IFIFO, 'fifo'], [C.S_IFSOCK, 'socket'], [C.S_IFCHR, 'chardev'], [C.S_IFBLK, 'blockdev'],
]);

/** How long a lazily recorded size/time change may wait for its database write. */
const LAZY_FLUSH_MS = 1000;
/** Directories whose merged listing is kept between changes (each up to one entry object per child). */
const LISTINGS_KEPT = 16;

function later(a: Timespec, b: Timespec): boolean {
  return a.sec > b.sec || (a.sec === b.sec && a.nsec > b.nsec);
}

/**
 * Clears setuid, and setgid when group-executable (setgid without it marks mandatory locking and stays), as Linux
 * does on a write or truncate without CAP_FSETID and on chown; true when the mode changed.
 */
function dropSetId(rec: NodeRecord): boolean {
  const kill = (rec.mode & S_ISUID) | ((rec.mode & (S_ISGID | C.S_IXGRP)) === (S_ISGID | C.S_IXGRP) ? S_ISGID : 0);
  rec.mode &= ~kill;
  return kill !== 0;
}

/** True when `path` lies strictly inside the directory `dir` (both absolute mount paths). */
function isBelow(path: string, dir: string): boolean {
  return path.startsWith(dir.endsWith('/') ? dir : dir + '/');
}

function wallClock(): Timespec {
  const ms = performance.timeOrigin + performance.now();
  const sec = Math.floor(ms / 1000);
  return { sec, nsec: Math.min(999_999_999, Math.floor((ms - sec * 1000) * 1e6)) };
}

/** A listed entry whose string name is decoded only if asked: the FUSE adapter passes the raw bytes on. */
class ListedEntry implements DirEntry {
  private decoded: string | undefined;
  constructor(readonly rawName: Buffer, readonly ino: bigint, readonly kind: NodeKind) {}
  get name(): string {
    this.decoded ??= bytesToName(this.rawName);
    return this.decoded;
  }
}

export class OverlayFs implements Filesystem {
  private readonly ns: Namespace;
  private readonly files: DataFiles;
  private readonly content: ContentStore;
  private readonly space: SpaceAccount;
  private readonly now: () => Timespec;
  private readonly handles = new Map<number, Handle>();
  private readonly openCount = new Map<bigint, number>();
  private nextHandle = 1;
  private queue: Promise<unknown> = Promise.resolve();
  /** Odd while an exclusive operation runs; every change of it outdates the cached listings. */
  private generation = 0;
  private readonly listings = new Map<bigint, { generation: number; entries: DirEntry[] }>();
  private closed = false;
  private storeClosed = false;
  private entryCount = 0;
  private entryCountAt = 0;
  private flushTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly store: StagingStore,
    lower: LowerTree,
    private readonly options: OverlayOptions,
  ) {
    this.ns = new Namespace(store, lower);
    this.files = new DataFiles((ino) => store.dataPath(ino));
    this.content = new ContentStore(store, this.files, lower);
    this.space = new SpaceAccount(options.capacity, options.stagingDir);
    this.now = options.now ?? wallClock;
  }

  static async open(options: OverlayOptions): Promise<OverlayFs> {
    const store = StagingStore.open(options.stagingDir, { identity: options.identity });
    const fs = new OverlayFs(store, options.lower ?? emptyLowerTree(), options);
    await fs.recover();
    return fs;
  }

  /** Drops what a killed daemon left half-way: unlinked-but-open inodes, data files no record points at. */
  private async recover(): Promise<void> {
    await this.repairLazySizes();
    const keep = new Set<string>();
    let staged = 0;
    for (const rec of this.store.allNodes()) {
      if (rec.kind !== 'dir' && rec.nlink <= 0) {
        this.store.transaction(() => this.store.deleteNode(rec.ino));
        continue;
      }
      if (rec.content === 'whole' || rec.content === 'chunked') keep.add(rec.ino.toString(10));
      staged += this.content.stagedBytes(rec);
    }
    for (const name of await fsp.readdir(this.store.dataDir)) {
      if (!keep.has(name)) await fsp.rm(`${this.store.dataDir}/${name}`, { force: true });
    }
    this.space.stagedBytes = staged;
  }

  /**
   * A write to a file already staged whole changes only its size and times, and records that lazily (putLazily).
   * After a kill -9 the data file (its length survives in the page cache) is the truth: a record whose size differs
   * from its data file's length takes that length, and the file's mtime when newer.
   */
  private async repairLazySizes(): Promise<number> {
    let repaired = 0;
    for (const rec of this.store.allNodes()) {
      if (rec.kind !== 'file' || rec.content !== 'whole' || rec.nlink <= 0) continue;
      const st = await fsp.stat(this.store.dataPath(rec.ino), { bigint: true }).catch(() => undefined);
      if (st === undefined || Number(st.size) === rec.size) continue;
      rec.size = Number(st.size);
      const fileTime = { sec: Number(st.mtimeNs / 1_000_000_000n), nsec: Number(st.mtimeNs % 1_000_000_000n) };
      if (later(fileTime, rec.mtime)) rec.mtime = fileTime;
      if (later(rec.mtime, rec.ctime)) rec.ctime = rec.mtime;
      this.store.transaction(() => this.store.putNode(rec));
      repaired++;
    }
    return repaired;
  }

  /** Records a size/time-only change in memory; written with the next transaction, on release, or a second later. */
  private putLazily(rec: NodeRecord): void {
    this.store.putNodeLazy(rec);
    if (this.flushTimer !== undefined) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.exclusive(async () => this.store.flushLazy()).catch(() => undefined);
    }, LAZY_FLUSH_MS);
    this.flushTimer.unref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    await this.exclusive(async () => {
      await this.files.closeAll();
      this.store.close();
      this.storeClosed = true;
    });
  }

  async destroy(): Promise<void> {
    await this.close();
  }

  /** Forgets every staged change; the lower session shows through unchanged again. */
  async discard(): Promise<void> {
    await this.exclusive(async () => {
      await this.files.closeAll();
      this.store.clear();
      for (const name of await fsp.readdir(this.store.dataDir)) await fsp.rm(`${this.store.dataDir}/${name}`, { force: true });
      this.space.stagedBytes = 0;
      for (const h of this.handles.values()) this.content.forget(h.ino);
    });
  }

  // ---- reading ----

  async getattr(path: string, _caller?: Caller): Promise<Stat> {
    return this.stat(await this.ns.resolve(path));
  }

  /** Served from a cached merged listing while nothing changed: `ls` of a big directory merges it once. */
  async readdir(path: string, _caller?: Caller): Promise<DirEntry[]> {
    const generation = this.generation;
    const dir = await this.ns.resolve(path);
    const cached = this.listings.get(dir.ino);
    if (cached !== undefined && cached.generation === generation) return cached.entries.slice();
    const entries = (await this.ns.list(dir)).map((c) => new ListedEntry(c.name, c.ino, c.kind));
    // A listing merged while an operation ran (odd) or across one (changed) may be stale: not kept.
    if (generation % 2 === 0 && this.generation === generation) this.keepListing(dir.ino, generation, entries);
    return entries.slice();
  }

  private keepListing(ino: bigint, generation: number, entries: DirEntry[]): void {
    for (const [key, old] of this.listings) if (old.generation !== generation) this.listings.delete(key);
    if (this.listings.size >= LISTINGS_KEPT) this.listings.delete(this.listings.keys().next().value as bigint);
    this.listings.set(ino, { generation, entries });
  }

  async readlink(path: string, _caller?: Caller): Promise<string> {
    const node = await this.ns.resolve(path);
    if (node.rec.kind !== 'symlink' || node.rec.symlinkTarget === null) throw new FsError('EINVAL');
    return bytesToName(node.rec.symlinkTarget);
  }

  async open(path: string, flags: number, caller: Caller): Promise<number> {
    if ((flags & C.O_CREAT) !== 0) return this.create(path, 0o644, flags, caller);
    const writes = (flags & O_ACCMODE) !== C.O_RDONLY;
    if (!writes || (flags & C.O_TRUNC) === 0) return this.openNode(await this.ns.resolve(path), flags, caller);
    return this.exclusive(async () => {
      const node = await this.ns.resolve(path);
      return this.openNode(node, flags, caller);
    });
  }

  async read(_path: string, fh: number, buffer: Buffer, length: number, position: number): Promise<number> {
    const h = this.handle(fh);
    const rec = this.current(h);
    if (rec.kind === 'dir') throw new FsError('EISDIR');
    return this.content.read(rec, h.node.lower, buffer, length, position);
  }

  async release(_path: string, fh: number): Promise<void> {
    const h = this.handles.get(fh);
    if (h === undefined) return;
    this.handles.delete(fh);
    const left = (this.openCount.get(h.ino) ?? 1) - 1;
    if (left > 0) {
      this.openCount.set(h.ino, left);
      return;
    }
    this.openCount.delete(h.ino);
    await this.exclusive(async () => {
      this.store.flushLazy();
      const rec = this.store.getNode(h.ino);
      if (rec !== undefined && rec.kind !== 'dir' && rec.nlink <= 0 && !this.openCount.has(h.ino)) await this.dropInode(rec);
    });
  }

  async flush(_path?: string, _fh?: number): Promise<void> {}

  async statfs(_path?: string): Promise<StatFs> {
    return this.space.statfs(this.store.liveEntryCount());
  }

  async access(path: string, mode: number, caller: Caller): Promise<void> {
    const node = await this.ns.resolve(path);
    if (mode === C.F_OK) return;
    const perm = node.rec.mode & 0o777;
    const shown = this.shownOwner(node.rec);
    const anyExec = (perm & 0o111) !== 0 || node.rec.kind === 'dir';
    if (caller.uid === 0) {
      if ((mode & C.X_OK) !== 0 && !anyExec) throw new FsError('EACCES');
      return;
    }
    const bits = caller.uid === shown.uid ? perm >> 6 : caller.gid === shown.gid ? perm >> 3 : perm;
    if ((mode & bits & 7) !== (mode & 7)) throw new FsError('EACCES');
  }

  // ---- creating ----

  async create(path: string, mode: number, flags: number, caller: Caller): Promise<number> {
    return this.exclusive(async () => {
      const loc = await this.locateForCreate(path);
      if (loc.node !== undefined) {
        if ((flags & C.O_EXCL) !== 0) throw new FsError('EEXIST');
        return this.openNode(loc.node, flags, caller);
      }
      const rec = this.insertNode(loc, 'file', C.S_IFREG | (mode & 0o7777), caller);
      return this.openNode({ ino: rec.ino, rec, lower: undefined }, flags & ~C.O_TRUNC, caller);
    });
  }

  async mkdir(path: string, mode: number, caller: Caller): Promise<void> {
    await this.exclusive(async () => {
      const loc = await this.locateForCreate(path);
      if (loc.node !== undefined) throw new FsError('EEXIST');
      if (loc.parent.ino === this.ns.rootIno && isTrashName(loc.name)) throw new FsError('EPERM', 'no trash on a disc');
      this.insertNode(loc, 'dir', C.S_IFDIR | (mode & 0o7777), caller);
    });
  }

  async symlink(target: string, path: string, caller: Caller): Promise<void> {
    const bytes = nameToBytes(target);
    if (bytes.length > SYMLINK_MAX) throw new FsError('ENAMETOOLONG');
    await this.exclusive(async () => {
      const loc = await this.locateForCreate(path);
      if (loc.node !== undefined) throw new FsError('EEXIST');
      this.insertNode(loc, 'symlink', C.S_IFLNK | 0o777, caller, { symlinkTarget: bytes, size: bytes.length });
    });
  }

  async mknod(path: string, mode: number, rdev: number, caller: Caller): Promise<void> {
    const type = mode & C.S_IFMT;
    if (type === C.S_IFDIR) throw new FsError('EPERM');
    const kind = type === 0 ? 'file' : KIND_BY_TYPE.get(type);
    if (kind === undefined) throw new FsError('EINVAL');
    await this.exclusive(async () => {
      const loc = await this.locateForCreate(path);
      if (loc.node !== undefined) throw new FsError('EEXIST');
      const fullMode = (type === 0 ? C.S_IFREG : type) | (mode & 0o7777);
      this.insertNode(loc, kind, fullMode, caller, { rdev: kind === 'chardev' || kind === 'blockdev' ? rdev : 0 });
    });
  }

  async link(target: string, path: string, _caller?: Caller): Promise<void> {
    await this.exclusive(async () => {
      const node = await this.ns.resolve(target);
      const loc = await this.locateForCreate(path);
      if (loc.node !== undefined) throw new FsError('EEXIST');
      if (node.rec.kind === 'dir') throw new FsError('EPERM', 'hard link to a directory');
      const now = this.now();
      node.rec.nlink += 1;
      node.rec.ctime = now;
      this.store.transaction(() => {
        this.store.putNode(node.rec);
        this.store.setEntry(loc.parent.ino, loc.name, node.ino);
        this.touchDir(loc.parent, now);
      });
    });
  }

  // ---- content ----

  async write(_path: string, fh: number, buffer: Buffer, length: number, position: number): Promise<number> {
    return this.exclusive(async () => {
      const h = this.handle(fh);
      if ((h.flags & O_ACCMODE) === C.O_RDONLY) throw new FsError('EBADF');
      const rec = this.current(h);
      if (rec.kind !== 'file') throw new FsError('EINVAL');
      const pos = (h.flags & C.O_APPEND) !== 0 ? rec.size : position;
      const end = pos + length;
      this.space.check(end, this.growthOfWrite(rec, pos, length), this.liveEntries());
      const before = this.content.stagedBytes(rec);
      const wasWhole = rec.content === 'whole';
      const commit = await this.content.prepareWrite(rec, h.node.lower, pos, length);
      await this.content.write(rec, buffer, length, pos);
      const now = this.now();
      rec.size = Math.max(rec.size, end);
      rec.mtime = now;
      rec.ctime = now;
      const kept = h.privileged || !dropSetId(rec);
      if (wasWhole && kept && commit.chunks.length === 0) this.putLazily(rec);
      else this.commitContent(rec, () => this.content.commitChunks(rec.ino, commit));
      this.space.stagedBytes += this.content.stagedBytes(rec) - before;
      return length;
    });
  }

  async truncate(path: string, size: number, caller?: Caller): Promise<void> {
    await this.exclusive(async () => this.truncateNode(await this.ns.resolve(path), size, caller === undefined || caller.uid === 0));
  }

  async ftruncate(_path: string, fh: number, size: number, _caller?: Caller): Promise<void> {
    await this.exclusive(async () => {
      const h = this.handle(fh);
      await this.truncateNode({ ...h.node, rec: this.current(h) }, size, h.privileged);
    });
  }

  async fsync(_path: string, fh: number, _datasync?: boolean): Promise<void> {
    const h = this.handle(fh);
    const rec = this.current(h);
    if (rec.content === 'whole' || rec.content === 'chunked') await this.files.sync(rec.ino);
    const dir = await fsp.open(this.store.dataDir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    this.store.checkpoint();
  }

  async fsyncdir(_path?: string, _fh?: number, _datasync?: boolean): Promise<void> {
    this.store.checkpoint();
  }

  // ---- removing and moving ----

  async unlink(path: string, _caller?: Caller): Promise<void> {
    await this.exclusive(async () => {
      const loc = await this.ns.locate(path);
      if (loc === undefined) throw new FsError('EISDIR');
      const node = loc.node;
      if (node === undefined) throw new FsError('ENOENT');
      if (node.rec.kind === 'dir') throw new FsError('EISDIR');
      const lowerHas = await this.ns.lowerHas(loc.parent, loc.name);
      const now = this.now();
      this.store.transaction(() => {
        this.removeName(loc, lowerHas);
        this.touchDir(loc.parent, now);
        this.unlinkOne(node, now);
      });
      await this.afterUnlink(node.rec);
    });
  }

  async rmdir(path: string, _caller?: Caller): Promise<void> {
    await this.exclusive(async () => {
      const loc = await this.ns.locate(path);
      if (loc === undefined) throw new FsError('EBUSY');
      const node = loc.node;
      if (node === undefined) throw new FsError('ENOENT');
      if (node.rec.kind !== 'dir') throw new FsError('ENOTDIR');
      if (!(await this.ns.isEmpty(node))) throw new FsError('ENOTEMPTY');
      const lowerHas = await this.ns.lowerHas(loc.parent, loc.name);
      const now = this.now();
      this.store.transaction(() => {
        this.removeName(loc, lowerHas);
        this.touchDir(loc.parent, now);
        this.store.deleteEntriesOf(node.ino);
        this.store.deleteNode(node.ino);
      });
    });
  }

  async rename(from: string, to: string, _caller?: Caller): Promise<void> {
    await this.exclusive(async () => {
      const src = await this.ns.locate(from);
      const dst = await this.ns.locate(to);
      if (src === undefined || dst === undefined) throw new FsError('EBUSY');
      const moving = src.node;
      if (moving === undefined) throw new FsError('ENOENT');
      const isDir = moving.rec.kind === 'dir';
      if (isDir && isBelow(to, from)) throw new FsError('EINVAL', 'directory into its own subtree');
      checkNewName(dst.name);
      const target = dst.node;
      if (target !== undefined && target.ino === moving.ino) return;
      // Linux checks "target is an ancestor of the source" before the kinds.
      if (target !== undefined && isBelow(from, to)) throw new FsError('ENOTEMPTY');
      if (target !== undefined) await this.checkReplace(moving, target);
      this.checkPolicyName(dst);
      const lowerHas = await this.ns.lowerHas(src.parent, src.name);
      const now = this.now();
      this.store.transaction(() => {
        this.removeName(src, lowerHas);
        if (target !== undefined) this.dropReplaced(target, now);
        this.store.setEntry(dst.parent.ino, dst.name, moving.ino);
        moving.rec.ctime = now;
        this.store.putNode(moving.rec);
        this.touchDir(src.parent, now);
        if (dst.parent.ino !== src.parent.ino) this.touchDir(dst.parent, now);
      });
      if (target !== undefined && target.rec.kind !== 'dir') await this.afterUnlink(target.rec);
    });
  }

  // ---- metadata ----

  async chmod(path: string, mode: number, caller: Caller): Promise<void> {
    await this.changeMeta(path, caller, (rec) => {
      rec.mode = (rec.mode & C.S_IFMT) | (mode & 0o7777);
    });
  }

  async chown(path: string, uid: number, gid: number, caller: Caller): Promise<void> {
    await this.changeMeta(path, caller, (rec) => {
      if (!UNCHANGED_ID.has(uid)) rec.uid = uid;
      if (!UNCHANGED_ID.has(gid)) rec.gid = gid;
      // Linux (chown_common) clears them on every chown of a non-directory, by root too.
      if (rec.kind !== 'dir') dropSetId(rec);
    });
  }

  async utimens(path: string, atime: TimeChange, mtime: TimeChange, caller: Caller): Promise<void> {
    const pick = (t: TimeChange, old: Timespec, now: Timespec): Timespec => (t === 'now' ? now : t === 'omit' ? old : t);
    await this.changeMeta(path, caller, (rec, now) => {
      rec.atime = pick(atime, rec.atime, now);
      rec.mtime = pick(mtime, rec.mtime, now);
    });
  }

  // ---- for the engine ----

  /** Added, changed, deleted and renamed paths with their staged bytes (for messages and the commit summary). */
  async changes(): Promise<ChangeEntry[]> {
    return listChanges(this.ns, this.clutterPolicy);
  }

  /**
   * The next session's tree: untouched and renamed lower files keep their old extents, staged content is a local
   * data file. Chunked copy-ups are first completed from the medium (outside any FUSE call, so a big copy is fine).
   */
  async mergedTree(): Promise<MergedTreeResult> {
    return this.exclusive(async () => {
      await this.consolidateChunked();
      return buildMergedTree(this.ns, this.clutterPolicy, (ino) => this.store.dataPath(ino));
    });
  }

  /** Reads merged content of any file by path (what a reader of the mount would see). */
  async readPath(path: string, position: number, length: number): Promise<Buffer> {
    const node = await this.ns.resolve(path);
    const out = Buffer.alloc(Math.max(0, Math.min(length, node.rec.size - position)));
    const n = await this.content.read(node.rec, node.lower, out, out.length, position);
    return out.subarray(0, n);
  }

  // ---- internals ----

  private get clutterPolicy(): ClutterPolicy {
    return this.options.clutter ?? 'exclude';
  }

  /**
   * Entry count for the tree estimate of the space checks: counting is a table scan, so writes use a value at most
   * a second old (an entry costs ~300 bytes of estimate; statfs always counts afresh).
   */
  private liveEntries(): number {
    const now = Date.now();
    if (this.entryCountAt === 0 || now - this.entryCountAt > 1000) {
      this.entryCount = this.store.liveEntryCount();
      this.entryCountAt = now;
    }
    return this.entryCount;
  }

  private exclusive<R>(fn: () => Promise<R>): Promise<R> {
    const run = this.queue.then(async () => {
      if (this.storeClosed) throw new FsError('ENOTCONN');
      this.generation++;
      try {
        return await fn();
      } finally {
        this.generation++;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private handle(fh: number): Handle {
    const h = this.handles.get(fh);
    if (h === undefined) throw new FsError('EBADF');
    return h;
  }

  /** The handle's inode as recorded now (a lower file nobody touched has no record: its lower view then). */
  private current(h: Handle): NodeRecord {
    return this.store.getNode(h.ino) ?? { ...h.node.rec };
  }

  private async openNode(node: Resolved, flags: number, caller: Caller): Promise<number> {
    const writes = (flags & O_ACCMODE) !== C.O_RDONLY;
    if (node.rec.kind === 'dir' && writes) throw new FsError('EISDIR');
    if (writes && (flags & C.O_TRUNC) !== 0 && node.rec.kind === 'file' && node.rec.size > 0) {
      await this.truncateNode(node, 0, caller.uid === 0);
    }
    const fh = this.nextHandle++;
    this.handles.set(fh, { ino: node.ino, node, flags, privileged: caller.uid === 0 });
    this.openCount.set(node.ino, (this.openCount.get(node.ino) ?? 0) + 1);
    return fh;
  }

  private async locateForCreate(path: string): Promise<Located> {
    const loc = await this.ns.locate(path);
    if (loc === undefined) throw new FsError('EEXIST');
    checkNewName(loc.name);
    if (loc.node === undefined) this.checkPolicyName(loc);
    return loc;
  }

  private checkPolicyName(loc: Located): void {
    if (this.clutterPolicy === 'refuse' && isClutterName(loc.name)) throw new FsError('EPERM', 'desktop clutter refused');
    if (loc.parent.ino === this.ns.rootIno && isTrashName(loc.name) && loc.node === undefined) {
      throw new FsError('EPERM', 'no trash on a disc');
    }
  }

  private insertNode(loc: Located, kind: NodeKind, mode: number, caller: Caller, extra: Partial<NodeRecord> = {}): NodeRecord {
    const now = this.now();
    return this.store.transaction(() => {
      const rec: NodeRecord = {
        ino: this.store.allocateIno(), kind, mode, uid: caller.uid, gid: caller.gid, rdev: 0,
        nlink: kind === 'dir' ? 2 : 1, size: 0, atime: now, mtime: now, ctime: now,
        lowerPath: null, content: 'none', lowerLimit: 0, symlinkTarget: null, ...extra,
      };
      this.store.putNode(rec);
      if (kind === 'dir') this.store.noteNewDir(rec.ino);
      this.store.setEntry(loc.parent.ino, loc.name, rec.ino);
      this.touchDir(loc.parent, now);
      return rec;
    });
  }

  private touchDir(dir: Resolved, now: Timespec): void {
    dir.rec.mtime = now;
    dir.rec.ctime = now;
    this.store.putNode(dir.rec);
  }

  /** Takes the name away: a whiteout when the lower side has that name (else it would show through again). */
  private removeName(loc: Located, lowerHas: boolean): void {
    if (lowerHas) this.store.setEntry(loc.parent.ino, loc.name, null);
    else this.store.deleteEntry(loc.parent.ino, loc.name);
  }

  private unlinkOne(node: Resolved, now: Timespec): void {
    node.rec.nlink -= 1;
    node.rec.ctime = now;
    if (node.rec.nlink <= 0 && !this.openCount.has(node.ino)) this.store.deleteNode(node.ino);
    else this.store.putNode(node.rec);
  }

  /** After the transaction: the content of an inode that lost its last name and handle goes too. */
  private async afterUnlink(rec: NodeRecord): Promise<void> {
    if (rec.nlink <= 0 && !this.openCount.has(rec.ino)) await this.removeData(rec);
  }

  private async dropInode(rec: NodeRecord): Promise<void> {
    this.store.transaction(() => this.store.deleteNode(rec.ino));
    await this.removeData(rec);
  }

  private async removeData(rec: NodeRecord): Promise<void> {
    this.space.stagedBytes -= this.content.stagedBytes(rec);
    this.content.forget(rec.ino);
    if (rec.content === 'whole' || rec.content === 'chunked') await this.files.remove(rec.ino);
  }

  /** POSIX rename(2) replace rules. */
  private async checkReplace(moving: Resolved, target: Resolved): Promise<void> {
    const fromDir = moving.rec.kind === 'dir';
    const toDir = target.rec.kind === 'dir';
    if (fromDir && !toDir) throw new FsError('ENOTDIR');
    if (!fromDir && toDir) throw new FsError('EISDIR');
    if (toDir && !(await this.ns.isEmpty(target))) throw new FsError('ENOTEMPTY');
  }

  private dropReplaced(target: Resolved, now: Timespec): void {
    if (target.rec.kind === 'dir') {
      this.store.deleteEntriesOf(target.ino);
      this.store.deleteNode(target.ino);
    } else {
      this.unlinkOne(target, now);
    }
  }

  private async truncateNode(node: Resolved, size: number, privileged: boolean): Promise<void> {
    const rec = node.rec;
    if (rec.kind === 'dir') throw new FsError('EISDIR');
    if (rec.kind !== 'file' || size < 0 || !Number.isSafeInteger(size)) throw new FsError('EINVAL');
    this.space.check(size, Math.max(0, size - rec.size), this.liveEntries());
    const before = this.content.stagedBytes(rec);
    await this.content.truncate(rec, node.lower, size);
    const now = this.now();
    rec.size = size;
    rec.mtime = now;
    rec.ctime = now;
    if (!privileged) dropSetId(rec);
    this.commitContent(rec, () => {
      if (rec.content === 'chunked') this.content.dropChunksFrom(rec.ino, size);
    });
    this.space.stagedBytes += this.content.stagedBytes(rec) - before;
  }

  private commitContent(rec: NodeRecord, extra: () => void): void {
    try {
      this.store.transaction(() => {
        this.store.putNode(rec);
        extra();
      });
    } catch (e) {
      this.content.invalidate(rec.ino);
      throw e;
    }
  }

  /** Bytes a write adds to the staging area: the copy-up it triggers plus what it appends. */
  private growthOfWrite(rec: NodeRecord, pos: number, length: number): number {
    const appended = Math.max(0, pos + length - rec.size);
    if (rec.content === 'lower') {
      if (rec.size <= WHOLE_COPY_LIMIT) return rec.size + appended;
      return appended + (Math.ceil(length / CHUNK_SIZE) + 1) * CHUNK_SIZE;
    }
    if (rec.content === 'chunked') {
      const present = this.content.chunksOf(rec.ino);
      let absent = 0;
      for (let i = Math.floor(pos / CHUNK_SIZE); i * CHUNK_SIZE < pos + length; i++) if (!present.has(i)) absent++;
      return appended + absent * CHUNK_SIZE;
    }
    return appended;
  }

  private async changeMeta(path: string, caller: Caller, change: (rec: NodeRecord, now: Timespec) => void): Promise<void> {
    await this.exclusive(async () => {
      const node = await this.ns.resolve(path);
      if (caller.uid !== 0 && caller.uid !== this.shownOwner(node.rec).uid) throw new FsError('EPERM');
      const now = this.now();
      change(node.rec, now);
      node.rec.ctime = now;
      this.store.transaction(() => this.store.putNode(node.rec));
    });
  }

  private shownOwner(rec: NodeRecord): { uid: number; gid: number } {
    return this.options.keepOwners ? { uid: rec.uid, gid: rec.gid } : this.options.owner;
  }

  private async stat(node: Resolved): Promise<Stat> {
    const rec = node.rec;
    const owner = this.shownOwner(rec);
    return {
      ino: node.ino,
      mode: rec.mode,
      nlink: rec.kind === 'dir' ? await this.ns.dirNlink(node) : rec.nlink,
      uid: owner.uid,
      gid: owner.gid,
      rdev: rec.rdev,
      size: rec.size,
      blocks: Math.ceil(rec.size / 512),
      blksize: 4096,
      atime: rec.atime,
      mtime: rec.mtime,
      ctime: rec.ctime,
    };
  }

  private async consolidateChunked(): Promise<void> {
    for (const rec of this.store.allNodes()) {
      if (rec.content !== 'chunked') continue;
      const lowerNode = await this.ns.lowerNodeOf(rec);
      const before = this.content.stagedBytes(rec);
      await this.content.consolidate(rec, lowerNode);
      this.commitContent(rec, () => this.store.deleteChunksFrom(rec.ino, 0));
      this.content.forget(rec.ino);
      this.space.stagedBytes += this.content.stagedBytes(rec) - before;
    }
  }
}
