// The merged namespace: path lookup and directory listing over the lower session plus the overlay's entries.

import type { LowerNode, LowerTree } from '../tree/lower-tree';
import type { NodeKind } from '../tree/node';
import { FsError } from '../util/errors';
import { NAME_MAX, splitPath } from './names';
import { recordFromLower, type NodeRecord } from './node-record';
import type { StagingStore } from './staging-store';

/** A node found in the merged tree: its current record, and the lower node it comes from (if any). */
export interface Resolved {
  ino: bigint;
  rec: NodeRecord;
  lower: LowerNode | undefined;
}

/** A path split into its parent directory and last name; `node` is what the name points at now. */
export interface Located {
  parent: Resolved;
  name: Buffer;
  node: Resolved | undefined;
}

export interface MergedChild {
  name: Buffer;
  ino: bigint;
  kind: NodeKind;
}

export class Namespace {
  /** Lower nodes by lower path key, so stored records find their medium data again. */
  private readonly lowerByPath = new Map<string, LowerNode>();

  constructor(
    private readonly store: StagingStore,
    private readonly lower: LowerTree,
  ) {}

  get rootIno(): bigint {
    return this.lower.root.id;
  }

  root(): Resolved {
    const ln = this.lower.root;
    return { ino: ln.id, rec: this.store.getNode(ln.id) ?? recordFromLower(ln, []), lower: ln };
  }

  async resolve(path: string): Promise<Resolved> {
    let cur = this.root();
    for (const name of splitPath(path)) {
      const next = await this.child(cur, name);
      if (next === undefined) throw new FsError('ENOENT', path);
      cur = next;
    }
    return cur;
  }

  /** The parent of `path` and what its last name points at; undefined for "/" (it has no parent). */
  async locate(path: string): Promise<Located | undefined> {
    const names = splitPath(path);
    const name = names.pop();
    if (name === undefined) return undefined;
    let parent = this.root();
    for (const n of names) {
      const next = await this.child(parent, n);
      if (next === undefined) throw new FsError('ENOENT', path);
      parent = next;
    }
    return { parent, name, node: await this.child(parent, name) };
  }

  async child(dir: Resolved, name: Buffer): Promise<Resolved | undefined> {
    if (dir.rec.kind !== 'dir') throw new FsError('ENOTDIR');
    if (name.length > NAME_MAX) throw new FsError('ENAMETOOLONG');
    const entry = this.store.getEntry(dir.ino, name);
    if (entry !== undefined) return entry.ino === null ? undefined : this.load(entry.ino);
    if (dir.lower === undefined || dir.rec.lowerPath === null) return undefined;
    const ln = await this.lower.lookup(dir.lower, name);
    return ln === undefined ? undefined : this.fromLower(ln, [...dir.rec.lowerPath, name]);
  }

  /** True when the directory's lower side has `name` (removing the name then needs a whiteout). */
  async lowerHas(dir: Resolved, name: Buffer): Promise<boolean> {
    if (dir.lower === undefined || dir.rec.lowerPath === null) return false;
    return (await this.lower.lookup(dir.lower, name)) !== undefined;
  }

  /** True when the name in this directory is the overlay's (a staged, moved or linked node, or a whiteout). */
  hasOverlayEntry(dir: Resolved, name: Buffer): boolean {
    return this.store.getEntry(dir.ino, name) !== undefined;
  }

  /** A node an overlay entry points at (it always has a record). */
  async load(ino: bigint): Promise<Resolved> {
    const rec = this.store.getNode(ino);
    if (rec === undefined) throw new FsError('EIO', `overlay entry points at missing inode ${ino}`);
    return { ino, rec, lower: await this.lowerNodeOf(rec) };
  }

  async lowerNodeOf(rec: NodeRecord): Promise<LowerNode | undefined> {
    if (rec.lowerPath === null) return undefined;
    const key = pathKey(rec.lowerPath);
    const cached = this.lowerByPath.get(key);
    if (cached !== undefined) return cached;
    let node = this.lower.root;
    for (const name of rec.lowerPath) {
      const next = await this.lower.lookup(node, name);
      if (next === undefined) throw new FsError('EIO', 'a staged node lost its place on the medium');
      node = next;
    }
    this.lowerByPath.set(key, node);
    return node;
  }

  /** The merged entries of a directory: lower entries not shadowed by the overlay, then the overlay's own. */
  async list(dir: Resolved): Promise<MergedChild[]> {
    if (dir.rec.kind !== 'dir') throw new FsError('ENOTDIR');
    const upper = this.store.listEntries(dir.ino);
    const out: MergedChild[] = [];
    if (dir.lower !== undefined && dir.rec.lowerPath !== null) {
      // Built only here: a directory made in the overlay has no lower entries to shadow.
      const shadowed = new Set(upper.map((e) => e.name.toString('latin1')));
      for (const ln of await this.lower.list(dir.lower)) {
        if (!shadowed.has(ln.name.toString('latin1'))) out.push({ name: ln.name, ino: ln.id, kind: ln.attrs.kind });
      }
    }
    for (const e of upper) {
      if (e.ino === null) continue;
      const kind = this.store.kindOf(e.ino);
      if (kind !== undefined) out.push({ name: e.name, ino: e.ino, kind });
    }
    return out;
  }

  /** Resolved children (for tree walks): like list, with records and lower nodes. */
  async children(dir: Resolved): Promise<{ name: Buffer; node: Resolved }[]> {
    const out: { name: Buffer; node: Resolved }[] = [];
    for (const c of await this.list(dir)) {
      const node = await this.child(dir, c.name);
      if (node !== undefined) out.push({ name: c.name, node });
    }
    return out;
  }

  /** Directory link count: 2 + subdirectories; an untouched lower directory keeps what the medium records. */
  async dirNlink(dir: Resolved): Promise<number> {
    if (!this.store.hasEntries(dir.ino)) {
      if (dir.lower === undefined || dir.rec.lowerPath === null) return 2;
      if (dir.lower.attrs.nlink >= 2) return dir.lower.attrs.nlink;
    }
    // Counted without listing: getattr of a directory must not cost one row per child (10k files = 10k rows a stat).
    let subdirs = this.store.subdirEntryCount(dir.ino);
    if (dir.lower !== undefined && dir.rec.lowerPath !== null) {
      for (const ln of await this.lower.list(dir.lower)) {
        if (ln.attrs.kind === 'dir' && this.store.getEntry(dir.ino, ln.name) === undefined) subdirs++;
      }
    }
    return 2 + subdirs;
  }

  /** The directory's lower entries, shadowed or not (empty for a directory made in the overlay). */
  async lowerChildren(dir: Resolved): Promise<readonly LowerNode[]> {
    if (dir.lower === undefined || dir.rec.lowerPath === null) return [];
    return this.lower.list(dir.lower);
  }

  async isEmpty(dir: Resolved): Promise<boolean> {
    return (await this.list(dir)).length === 0;
  }

  private fromLower(ln: LowerNode, lowerPath: Buffer[]): Resolved {
    this.lowerByPath.set(pathKey(lowerPath), ln);
    return { ino: ln.id, rec: this.store.getNode(ln.id) ?? recordFromLower(ln, lowerPath), lower: ln };
  }
}

function pathKey(names: readonly Buffer[]): string {
  return names.map((n) => n.toString('hex')).join('/');
}
