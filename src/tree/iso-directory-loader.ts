// Lazily lists directories of one volume: builds child nodes, closes loops and aliases, hides Rock Ridge relocation.

import { isDirectory } from '../iso9660/directory-record';
import { readDirectory, readSelfRecord, type DirectorySource, type ReadRecord } from './iso-directory-reader';
import {
  entryName,
  extentProblem,
  fileExtents,
  locationId,
  nodeAttributes,
  unsafeNameReason,
  type IsoNode,
  type VolumeView,
} from './iso-node';
import type { Extent } from './node';

/** RRIP 1.12 4.1.5: the directory holding relocated deep directories, as mkisofs and libisofs name it. */
const RELOCATION_DIR_NAMES: ReadonlySet<string> = new Set(['rr_moved', '.rr_moved', 'RR_MOVED']);

type Warn = (path: string, what: string) => void;

interface Listing {
  children: IsoNode[];
  byName: Map<string, IsoNode>;
  /** Records hidden because they are relocated directories (RRIP RE), shown at their CL placeholder. */
  relocated: number;
}

function nameKey(name: Buffer): string {
  return name.toString('latin1');
}

function childPath(parent: IsoNode, name: Buffer): string {
  return (parent.path === '/' ? '/' : `${parent.path}/`) + name.toString('utf8');
}

export class DirectoryLoader {
  private readonly listings = new Map<IsoNode, Promise<Listing>>();
  /** Directory extent LBA -> path of the one node allowed to show it. */
  private readonly claimed = new Map<number, string>();
  /** PX serial -> kind it was first given to (a directory serial may not be shared). */
  private readonly serials = new Map<number, string>();

  constructor(
    private readonly source: DirectorySource,
    private readonly view: VolumeView,
    private readonly warn: Warn,
  ) {}

  claimDirectory(node: IsoNode): boolean {
    if (node.dirExtent === undefined) return true;
    const owner = this.claimed.get(node.dirExtent.lba);
    if (owner !== undefined) {
      this.warn(node.path, `directory at block ${node.dirExtent.lba} is already shown as ${owner} (loop or alias): shown empty`);
      return false;
    }
    this.claimed.set(node.dirExtent.lba, node.path);
    return true;
  }

  async list(dir: IsoNode): Promise<IsoNode[]> {
    return (await this.listing(dir)).children;
  }

  async lookup(dir: IsoNode, name: Buffer): Promise<IsoNode | undefined> {
    return (await this.listing(dir)).byName.get(nameKey(name));
  }

  private listing(dir: IsoNode): Promise<Listing> {
    let p = this.listings.get(dir);
    if (p === undefined) {
      p = this.load(dir);
      this.listings.set(dir, p);
    }
    return p;
  }

  private async load(dir: IsoNode): Promise<Listing> {
    const listing: Listing = { children: [], byName: new Map(), relocated: 0 };
    if (dir.attrs.kind !== 'dir' || dir.dirExtent === undefined || dir.showEmpty) return listing;
    const read = await readDirectory(this.source, dir.dirExtent);
    for (const d of read.defects) this.warn(dir.path, d);
    for (const group of read.groups) {
      if (this.view === 'rr' && group[0].rr?.relocated) {
        listing.relocated += 1;
        continue;
      }
      const node = await this.buildChild(dir, group);
      if (node === undefined) continue;
      const key = nameKey(node.name);
      if (listing.byName.has(key)) {
        this.warn(node.path, 'duplicate name in its directory: later entry hidden');
        continue;
      }
      if (await this.isEmptyRelocationDir(dir, node)) continue;
      listing.byName.set(key, node);
      listing.children.push(node);
    }
    return listing;
  }

  private async isEmptyRelocationDir(parent: IsoNode, node: IsoNode): Promise<boolean> {
    if (this.view !== 'rr' || parent.parent !== undefined || node.attrs.kind !== 'dir') return false;
    if (!RELOCATION_DIR_NAMES.has(node.name.toString('latin1'))) return false;
    // Only the writer's own, emptied relocation directory: a user's empty "rr_moved" stays visible.
    const inside = await this.listing(node);
    return inside.children.length === 0 && inside.relocated > 0;
  }

  private async buildChild(parent: IsoNode, group: ReadRecord[]): Promise<IsoNode | undefined> {
    const first = group[0];
    const named = entryName(this.view, first);
    const provisional = childPath(parent, named.name);
    for (const d of [...named.defects, ...group.flatMap((r) => r.defects ?? [])]) this.warn(provisional, d);
    const unsafe = unsafeNameReason(named.name);
    if (unsafe !== undefined) {
      this.warn(`${parent.path} (record at byte ${first.position})`, `${unsafe}: entry skipped`);
      return undefined;
    }
    const childLink = this.view === 'rr' ? first.rr?.childLink : undefined;
    if (childLink !== undefined) return this.buildRelocated(parent, first, named.name, childLink);
    if (isDirectory(first.record)) {
      const extent = fileExtents([first])[0];
      return this.buildDirectory(parent, [first], named.name, extent, first);
    }
    return this.buildFile(parent, group, named.name);
  }

  private idFor(first: ReadRecord, kind: string, path: string): bigint {
    const ino = first.rr?.px?.ino;
    if (this.view !== 'rr' || ino === undefined || ino === 0) return locationId(first.position);
    const seen = this.serials.get(ino);
    if (seen === undefined) {
      this.serials.set(ino, kind);
      return BigInt(ino);
    }
    if (seen === 'dir' || kind === 'dir' || seen !== kind) {
      this.warn(path, `PX serial ${ino} is shared with another ${seen}: a location-based inode number is used`);
      return locationId(first.position);
    }
    return BigInt(ino);
  }

  private buildDirectory(parent: IsoNode, attrGroup: ReadRecord[], name: Buffer, dirExtent: Extent, idRecord: ReadRecord): IsoNode {
    const path = childPath(parent, name);
    const defects: string[] = [];
    const attrs = nodeAttributes({ group: attrGroup, size: dirExtent.bytes }, defects);
    for (const d of defects) this.warn(path, d);
    const base = { id: this.idFor(idRecord, 'dir', path), name, attrs, extents: [], path, dirExtent, parent };
    const node: IsoNode = { ...base, showEmpty: false };
    return this.claimDirectory(node) ? node : { ...base, showEmpty: true };
  }

  private async buildRelocated(parent: IsoNode, first: ReadRecord, name: Buffer, childLink: number): Promise<IsoNode> {
    const self = await readSelfRecord(this.source, childLink);
    if (typeof self === 'string') {
      const path = childPath(parent, name);
      this.warn(path, `CL target: ${self}: shown empty`);
      const dirRecord = { ...first, record: { ...first.record, flags: first.record.flags | 2 } };
      const node = this.buildDirectory(parent, [dirRecord], name, { lba: childLink, bytes: 0 }, first);
      return { ...node, showEmpty: true };
    }
    // Attributes live in the relocated directory's "." record; the placeholder's PX is the fallback.
    const attrRecord: ReadRecord = self.rr?.px !== undefined ? self : { ...self, rr: first.rr };
    return this.buildDirectory(parent, [attrRecord], name, { lba: childLink, bytes: self.record.dataLength }, attrRecord.rr?.px ? attrRecord : first);
  }

  private buildFile(parent: IsoNode, group: ReadRecord[], name: Buffer): IsoNode {
    const path = childPath(parent, name);
    const first = group[0];
    const defects: string[] = [];
    const rr = this.view === 'rr' ? first.rr : undefined;
    let extents = fileExtents(group);
    let size = extents.reduce((s, e) => s + e.bytes, 0);
    const zf = rr?.zisofs;
    const compressed = zf !== undefined && zf.algorithm === 'pz';
    if (zf !== undefined && !compressed) defects.push(`ZF algorithm "${zf.algorithm}" is unknown: data shown as recorded`);
    if (compressed) size = zf.uncompressedSize;
    const symlinkTarget = rr?.symlinkTarget;
    const attrs0 = nodeAttributes({ group, size, symlinkTarget }, defects);
    let unreadable: string | undefined;
    if (attrs0.kind === 'symlink') {
      if (symlinkTarget === undefined) defects.push('symlink without SL entries: empty target');
      size = symlinkTarget?.length ?? 0;
      extents = [];
    } else if (attrs0.kind !== 'file') {
      size = 0;
      extents = [];
    } else {
      unreadable = extentProblem(extents, this.source.medium.blocks);
      if (first.record.fileUnitSize !== 0 || first.record.interleaveGap !== 0) unreadable = 'interleaved files are not supported';
      if (unreadable !== undefined) defects.push(`${unreadable}: reads fail with EIO`);
    }
    for (const d of defects) this.warn(path, d);
    const attrs = { ...attrs0, size };
    const node: IsoNode = {
      id: this.idFor(first, attrs.kind, path),
      name,
      attrs,
      extents,
      path,
      parent,
      ...(attrs.kind === 'symlink' ? { symlinkTarget: symlinkTarget ?? Buffer.alloc(0) } : {}),
      ...(compressed && attrs.kind === 'file' ? { compressed: true, zisofs: zf } : {}),
      ...(unreadable !== undefined ? { unreadable } : {}),
    };
    return node;
  }
}
