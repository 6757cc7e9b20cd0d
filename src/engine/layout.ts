// Stage "layout": sizes and block addresses of everything in the new session (ECMA-119 6.8 directories, 9.4 path tables).

import { directoryRecordLength } from '../iso9660/directory-record';
import { BLOCK_SIZE } from '../medium/medium';
import type { Extent } from '../tree/node';
import type { TableLocation } from './checksum-table';
import type { PlannedDir, PlannedNode, PlannedTree } from './plan';
import { isPlannedDir } from './plan';
import { areaLength, packSystemUse, rockRidgeEntries, systemUseLength, type PackedSystemUse, type RecordRole } from './system-use';

/** ECMA-119 9.5 + libisofs: 4 GiB - 2048, the largest section a 32-bit Data Length can hold in whole blocks. */
export const DEFAULT_SECTION_SIZE = 0xffff_f800;

export type TreeKind = 'iso' | 'joliet';

export interface RecordPlan {
  node: PlannedNode;
  role: RecordRole;
  identifier: Buffer;
  /** Section number of a multi-extent file (0 for everything else). */
  section: number;
  /** Rock Ridge records only: lengths of the continuation areas (the entries are encoded again when written). */
  areaLengths?: number[];
  /** Relative (block index after the extent, byte offset) of each continuation area. */
  areaPlaces: { block: number; offset: number }[];
  length: number;
}

export interface DirectoryPlan {
  dir: PlannedDir;
  kind: TreeKind;
  records: RecordPlan[];
  extentBlocks: number;
  ceBlocks: number;
  /** Absolute LBA of the directory extent (the CE blocks follow it). */
  lba: number;
}

export interface SessionLayout {
  start: number;
  /** Descriptor blocks from start+16: PVD, [boot record], Joliet SVD, terminator. */
  descriptorCount: number;
  pathTables: { iso: { l: number; m: number; size: number }; joliet: { l: number; m: number; size: number } };
  isoDirs: DirectoryPlan[];
  jolietDirs: DirectoryPlan[];
  /** Sections of every file node (shared by hard links), absolute LBAs. */
  sections: Map<PlannedNode, Extent[]>;
  /** New data to write: owner node -> first LBA. */
  newData: { node: PlannedNode; lba: number; bytes: number }[];
  treeBlocks: number;
  dataBlocks: number;
  /** Blocks of the whole session (start .. end). */
  size: number;
  /** The SHA-256 table after the data (src/engine/checksum-table.ts), when one is written. */
  checksumTable?: TableLocation;
}

export function blocksFor(bytes: number): number {
  return Math.ceil(bytes / BLOCK_SIZE);
}

export function pathTableSize(identifiers: readonly Buffer[]): number {
  return identifiers.reduce((n, id) => n + 8 + id.length + (id.length % 2), 0);
}

function splitExtents(extents: readonly Extent[], sectionSize: number): Extent[] {
  const out: Extent[] = [];
  for (const e of extents) {
    for (let done = 0; done < e.bytes || (e.bytes === 0 && done === 0); done += sectionSize) {
      out.push({ lba: e.lba + done / BLOCK_SIZE, bytes: Math.min(sectionSize, e.bytes - done) });
      if (e.bytes === 0) break;
    }
  }
  return out.length > 0 ? out : [{ lba: 0, bytes: 0 }];
}

function localSectionCount(bytes: number, sectionSize: number): number {
  return Math.max(1, Math.ceil(bytes / sectionSize));
}

function sectionCount(node: PlannedNode, sectionSize: number): number {
  if (node.entry.attrs.kind !== 'file') return 1;
  const c = node.content;
  if (c?.from === 'old') return splitExtents(c.extents, sectionSize).length;
  return localSectionCount(node.entry.attrs.size, sectionSize);
}

/** The packed Rock Ridge System Use of a record (deterministic: layout and writer compute the same). */
export function recordSystemUse(node: PlannedNode, role: RecordRole, identifier: Buffer, isRootDir: boolean): PackedSystemUse {
  return packSystemUse(rockRidgeEntries(node, role, isRootDir && role === 'self'), identifier.length);
}

function makeRecord(node: PlannedNode, role: RecordRole, identifier: Buffer, section: number, kind: TreeKind, isRoot: boolean): RecordPlan {
  if (kind === 'joliet') return { node, role, identifier, section, areaPlaces: [], length: directoryRecordLength(identifier.length, 0) };
  // Only the sizes are kept: holding every record's encoded entries until the tree is written costs ~1 KiB per entry.
  const su = recordSystemUse(node, role, identifier, isRoot);
  const areaLengths = su.areas.length > 0 ? su.areas.map((_, a) => areaLength(su, a)) : undefined;
  return { node, role, identifier, section, areaLengths, areaPlaces: [], length: directoryRecordLength(identifier.length, systemUseLength(su)) };
}

/** Records of one directory and their placement: records never cross a sector (ECMA-119 6.8.1.1). */
export function planDirectory(dir: PlannedDir, kind: TreeKind, sectionSize: number): DirectoryPlan {
  const isRoot = dir.parent === undefined;
  const records: RecordPlan[] = [
    makeRecord(dir, 'self', Buffer.from([0]), 0, kind, isRoot),
    makeRecord(dir.parent ?? dir, 'parent', Buffer.from([1]), 0, kind, false),
  ];
  for (const child of kind === 'iso' ? dir.isoChildren : dir.jolietChildren) {
    const id = kind === 'iso' ? child.isoId : (child.jolietId as Buffer);
    for (let s = 0; s < sectionCount(child, sectionSize); s++) records.push(makeRecord(child, 'child', id, s, kind, false));
  }
  let offset = 0;
  for (const r of records) {
    if ((offset % BLOCK_SIZE) + r.length > BLOCK_SIZE) offset = Math.ceil(offset / BLOCK_SIZE) * BLOCK_SIZE;
    offset += r.length;
  }
  const extentBlocks = Math.max(1, blocksFor(offset));
  let ceOffset = 0;
  for (const r of records) {
    for (const len of r.areaLengths ?? []) {
      if ((ceOffset % BLOCK_SIZE) + len > BLOCK_SIZE) ceOffset = Math.ceil(ceOffset / BLOCK_SIZE) * BLOCK_SIZE;
      r.areaPlaces.push({ block: Math.floor(ceOffset / BLOCK_SIZE), offset: ceOffset % BLOCK_SIZE });
      ceOffset += len;
    }
  }
  return { dir, kind, records, extentBlocks, ceBlocks: blocksFor(ceOffset), lba: 0 };
}

export interface LayoutOptions {
  start: number;
  sectionSize: number;
}

function assignSections(tree: PlannedTree, firstDataLba: number, sectionSize: number): Pick<SessionLayout, 'sections' | 'newData' | 'dataBlocks'> {
  const sections = new Map<PlannedNode, Extent[]>();
  const byOwnerLink = new Map<string, Extent[]>();
  const newData: SessionLayout['newData'] = [];
  let cursor = firstDataLba;
  for (const node of tree.nodes) {
    if (node.entry.attrs.kind !== 'file' || isPlannedDir(node)) continue;
    const linkId = node.entry.linkId;
    // The first link met in layout order places the data; every other link of the group shares it.
    const shared = linkId !== undefined ? byOwnerLink.get(linkId) : undefined;
    let ext: Extent[];
    if (shared) ext = shared;
    else if (node.content?.from === 'old') ext = splitExtents(node.content.extents, sectionSize);
    else {
      const bytes = node.entry.attrs.size;
      ext = [];
      for (let s = 0; s < localSectionCount(bytes, sectionSize); s++) {
        ext.push({ lba: bytes === 0 ? 0 : cursor + (s * sectionSize) / BLOCK_SIZE, bytes: Math.min(sectionSize, bytes - s * sectionSize) });
      }
      if (bytes > 0) newData.push({ node, lba: cursor, bytes });
      cursor += blocksFor(bytes);
    }
    sections.set(node, ext);
    if (linkId !== undefined) byOwnerLink.set(linkId, ext);
  }
  return { sections, newData, dataBlocks: cursor - firstDataLba };
}

/** Lays out the session at `start`: descriptors, path tables, ISO then Joliet directories, then new file data. */
export function layoutSession(tree: PlannedTree, opts: LayoutOptions): SessionLayout {
  if (opts.sectionSize <= 0 || opts.sectionSize % BLOCK_SIZE !== 0 || opts.sectionSize > DEFAULT_SECTION_SIZE) {
    throw new RangeError(`section size ${opts.sectionSize} must be a positive multiple of ${BLOCK_SIZE} up to ${DEFAULT_SECTION_SIZE}`);
  }
  const descriptorCount = 3 + (tree.bootRecord ? 1 : 0);
  let cursor = opts.start + 16 + descriptorCount;
  const table = (dirs: PlannedDir[], id: (d: PlannedDir) => Buffer): { l: number; m: number; size: number } => {
    const size = pathTableSize(dirs.map(id));
    const l = cursor;
    const m = l + blocksFor(size);
    cursor = m + blocksFor(size);
    return { l, m, size };
  };
  const pathTables = { iso: table(tree.isoDirs, (d) => d.isoId), joliet: table(tree.jolietDirs, (d) => d.jolietId as Buffer) };
  const place = (plans: DirectoryPlan[]): DirectoryPlan[] => {
    for (const p of plans) {
      p.lba = cursor;
      cursor += p.extentBlocks + p.ceBlocks;
    }
    return plans;
  };
  const isoDirs = place(tree.isoDirs.map((d) => planDirectory(d, 'iso', opts.sectionSize)));
  const jolietDirs = place(tree.jolietDirs.map((d) => planDirectory(d, 'joliet', opts.sectionSize)));
  const treeBlocks = cursor - opts.start;
  const data = assignSections(tree, cursor, opts.sectionSize);
  return { start: opts.start, descriptorCount, pathTables, isoDirs, jolietDirs, ...data, treeBlocks, size: treeBlocks + data.dataBlocks };
}
