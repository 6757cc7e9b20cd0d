// A read-only Filesystem (src/fuse/filesystem.ts) over one LowerTree: the mounted view of a single session.

import { constants } from 'node:fs';
import type { Caller, DirEntry, Filesystem, Stat, StatFs } from '../fuse/filesystem';
import { decodeName, encodeName } from '../util/name-codec';
import { FsError } from '../util/errors';
import type { LowerNode, LowerTree } from './lower-tree';

export const SESSION_FS_BLOCK_SIZE = 2048;
const STAT_BLOCK = 512;
const NAME_MAX = 255;
const ACCESS_MODE = 0o3;

export interface SessionFsOptions {
  /** Blocks of the medium (statfs total; nothing is free on a read-only session). */
  mediumBlocks: number;
}

function statOf(node: LowerNode): Stat {
  const a = node.attrs;
  return {
    ino: node.id,
    mode: a.mode,
    nlink: a.nlink,
    uid: a.uid,
    gid: a.gid,
    rdev: a.rdev,
    size: a.size,
    blocks: Math.ceil(a.size / STAT_BLOCK),
    blksize: SESSION_FS_BLOCK_SIZE,
    atime: a.atime,
    mtime: a.mtime,
    ctime: a.ctime,
  };
}

/** Permission bits for `caller` (owner, group or other); root may read and search everything. */
function allowed(node: LowerNode, mode: number, caller: Caller): boolean {
  const a = node.attrs;
  if (caller.uid === 0) return (mode & constants.X_OK) === 0 || a.kind === 'dir' || (a.mode & 0o111) !== 0;
  const shift = caller.uid === a.uid ? 6 : caller.gid === a.gid ? 3 : 0;
  const bits = (a.mode >> shift) & 0o7;
  return (mode & bits & 0o7) === (mode & 0o7);
}

/**
 * Resolved paths kept (a session never changes while mounted). The high-level FUSE API names every request by
 * its full path, so without this each getattr walks every component again: the cost of a request would grow
 * with the depth of the tree. Cleared when full rather than evicted one by one: refilling is cheap.
 */
const MAX_CACHED_PATHS = 262_144;

function parentPath(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export class SessionFs implements Filesystem {
  private readonly handles = new Map<number, LowerNode>();
  private nextHandle = 1;
  private readonly resolved = new Map<string, LowerNode>();

  constructor(
    private readonly tree: LowerTree,
    private readonly options: SessionFsOptions,
  ) {}

  /** Walks the path by name bytes; ENOENT for a missing component, ENOTDIR through a non-directory. */
  resolve(path: string): Promise<LowerNode> {
    const known = path === '/' || path === '' ? this.tree.root : this.resolved.get(path);
    return known !== undefined ? Promise.resolve(known) : this.resolveUncached(path);
  }

  private async resolveUncached(path: string): Promise<LowerNode> {
    const parentKey = parentPath(path);
    // Only canonical paths ("/a/b", as the kernel sends them) go through the cache; anything else is walked.
    const canonical = path.startsWith('/') && !path.endsWith('/') && !path.includes('//');
    const parent = canonical ? await this.resolve(parentKey) : await this.walk(parentKey);
    const name = path.slice(path.lastIndexOf('/') + 1);
    const node = name === '' ? parent : await this.child(parent, name, path);
    if (canonical) {
      if (this.resolved.size >= MAX_CACHED_PATHS) this.resolved.clear();
      this.resolved.set(path, node);
    }
    return node;
  }

  private async walk(path: string): Promise<LowerNode> {
    let node = this.tree.root;
    for (const part of path.split('/')) if (part !== '') node = await this.child(node, part, path);
    return node;
  }

  private async child(dir: LowerNode, name: string, path: string): Promise<LowerNode> {
    if (dir.attrs.kind !== 'dir') throw new FsError('ENOTDIR', `${path}: a component is not a directory`, { path });
    const next = await this.tree.lookup(dir, encodeName(name));
    if (next === undefined) throw new FsError('ENOENT', `${path}: no such entry`, { path });
    return next;
  }

  async getattr(path: string, _caller?: Caller): Promise<Stat> {
    return statOf(await this.resolve(path));
  }

  async readdir(path: string, _caller?: Caller): Promise<DirEntry[]> {
    const dir = await this.resolve(path);
    if (dir.attrs.kind !== 'dir') throw new FsError('ENOTDIR', `${path} is not a directory`, { path });
    return (await this.tree.list(dir)).map((c) => ({ name: decodeName(c.name), ino: c.id, kind: c.attrs.kind }));
  }

  async open(path: string, flags: number, _caller?: Caller): Promise<number> {
    const node = await this.resolve(path);
    if ((flags & ACCESS_MODE) !== constants.O_RDONLY || (flags & constants.O_TRUNC) !== 0) {
      throw new FsError('EROFS', `${path}: read-only session`, { path });
    }
    if (node.attrs.kind === 'dir') throw new FsError('EISDIR', `${path} is a directory`, { path });
    const fh = this.nextHandle++;
    this.handles.set(fh, node);
    return fh;
  }

  async read(path: string, fh: number, buffer: Buffer, length: number, position: number): Promise<number> {
    const node = this.handles.get(fh) ?? (await this.resolve(path));
    if (node.attrs.kind !== 'file') throw new FsError('EINVAL', `${path} is not a regular file`, { path });
    const want = Math.min(length, buffer.length);
    const data = await this.tree.read(node, position, want);
    return data.copy(buffer, 0, 0, Math.min(data.length, want));
  }

  async release(_path: string, fh: number): Promise<void> {
    this.handles.delete(fh);
  }

  async readlink(path: string, _caller?: Caller): Promise<string> {
    const node = await this.resolve(path);
    if (node.attrs.kind !== 'symlink' || node.symlinkTarget === undefined) throw new FsError('EINVAL', `${path} is not a symlink`, { path });
    return decodeName(node.symlinkTarget);
  }

  async statfs(_path?: string): Promise<StatFs> {
    return {
      bsize: SESSION_FS_BLOCK_SIZE,
      frsize: SESSION_FS_BLOCK_SIZE,
      blocks: this.options.mediumBlocks,
      bfree: 0,
      bavail: 0,
      files: 0,
      ffree: 0,
      favail: 0,
      namemax: NAME_MAX,
    };
  }

  async access(path: string, mode: number, caller: Caller): Promise<void> {
    const node = await this.resolve(path);
    if (mode & constants.W_OK) throw new FsError('EROFS', `${path}: read-only session`, { path });
    if (!allowed(node, mode, caller)) throw new FsError('EACCES', `${path}: permission denied`, { path });
  }
}
