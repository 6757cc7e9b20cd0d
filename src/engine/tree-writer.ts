// Stage "write tree": directory extents with their CE blocks (ECMA-119 9.1, SUSP 5.1) and path tables (9.4).

import { encodeDirectoryRecord, FileFlags } from '../iso9660/directory-record';
import { encodePathTable } from '../iso9660/path-table';
import { BLOCK_SIZE } from '../medium/medium';
import type { Extent } from '../tree/node';
import { recordSystemUse, type DirectoryPlan, type RecordPlan, type SessionLayout, type TreeKind } from './layout';
import type { PlannedDir, PlannedNode } from './plan';
import { isPlannedDir } from './plan';
import { encodeArea, encodeRecordSystemUse, type AreaPlace } from './system-use';

export class TreeIndex {
  private readonly plans: Record<TreeKind, Map<PlannedDir, DirectoryPlan>> = { iso: new Map(), joliet: new Map() };

  constructor(readonly layout: SessionLayout) {
    for (const p of layout.isoDirs) this.plans.iso.set(p.dir, p);
    for (const p of layout.jolietDirs) this.plans.joliet.set(p.dir, p);
  }

  dirPlan(dir: PlannedDir, kind: TreeKind): DirectoryPlan {
    const p = this.plans[kind].get(dir);
    if (!p) throw new Error(`internal: directory ${dir.path.join('/')} has no ${kind} plan`);
    return p;
  }

  /** Extent (LBA, bytes) a record points at. */
  extentOf(node: PlannedNode, section: number, kind: TreeKind): Extent {
    if (isPlannedDir(node)) {
      const p = this.dirPlan(node, kind);
      return { lba: p.lba, bytes: p.extentBlocks * BLOCK_SIZE };
    }
    const sections = this.layout.sections.get(node);
    return sections ? sections[section] : { lba: 0, bytes: 0 };
  }

  sectionCount(node: PlannedNode): number {
    return this.layout.sections.get(node)?.length ?? 1;
  }
}

function recordFlags(r: RecordPlan, index: TreeIndex): number {
  if (isPlannedDir(r.node)) return FileFlags.directory;
  return r.role === 'child' && r.section < index.sectionCount(r.node) - 1 ? FileFlags.multiExtent : 0;
}

function absolutePlaces(plan: DirectoryPlan, r: RecordPlan): AreaPlace[] {
  return r.areaPlaces.map((p) => ({ lba: plan.lba + plan.extentBlocks + p.block, offset: p.offset }));
}

/** The directory extent followed by its continuation-area blocks, as one buffer. */
export function encodeDirectory(plan: DirectoryPlan, index: TreeIndex): Buffer {
  const buf = Buffer.alloc((plan.extentBlocks + plan.ceBlocks) * BLOCK_SIZE);
  const ceBase = plan.extentBlocks * BLOCK_SIZE;
  let offset = 0;
  for (const r of plan.records) {
    if ((offset % BLOCK_SIZE) + r.length > BLOCK_SIZE) offset = Math.ceil(offset / BLOCK_SIZE) * BLOCK_SIZE;
    const extent = index.extentOf(r.node, r.section, plan.kind);
    const places = absolutePlaces(plan, r);
    const su = plan.kind === 'iso' ? recordSystemUse(r.node, r.role, r.identifier, plan.dir.parent === undefined) : undefined;
    const systemUse = su ? encodeRecordSystemUse(su, places) : Buffer.alloc(0);
    const rec = encodeDirectoryRecord({
      extentLocation: extent.lba,
      dataLength: extent.bytes,
      recordingDate: r.node.entry.attrs.mtime,
      flags: recordFlags(r, index),
      identifier: r.identifier,
      systemUse,
    });
    if (rec.length !== r.length) throw new Error(`internal: record length ${rec.length} differs from the planned ${r.length}`);
    rec.copy(buf, offset);
    offset += rec.length;
    if (su) r.areaPlaces.forEach((p, i) => encodeArea(su, places, i).copy(buf, ceBase + p.block * BLOCK_SIZE + p.offset));
  }
  return buf;
}

/** The 34-byte root record of a volume descriptor (9.1 without system use). */
export function rootRecordFor(plan: DirectoryPlan): Buffer {
  return encodeDirectoryRecord({
    extentLocation: plan.lba,
    dataLength: plan.extentBlocks * BLOCK_SIZE,
    recordingDate: plan.dir.entry.attrs.mtime,
    flags: FileFlags.directory,
    identifier: Buffer.from([0]),
    systemUse: Buffer.alloc(0),
  });
}

/** L and M path tables of one tree, each padded to whole blocks. */
export function encodePathTables(plans: readonly DirectoryPlan[]): { l: Buffer; m: Buffer } {
  const numbers = new Map<PlannedDir, number>();
  plans.forEach((p, i) => numbers.set(p.dir, i + 1));
  const records = plans.map((p) => ({
    extentLocation: p.lba,
    parentNumber: p.dir.parent ? (numbers.get(p.dir.parent) as number) : 1,
    identifier: p.kind === 'iso' ? p.dir.isoId : (p.dir.jolietId as Buffer),
  }));
  const pad = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc(Math.ceil(b.length / BLOCK_SIZE) * BLOCK_SIZE - b.length)]);
  return { l: pad(encodePathTable(records, true)), m: pad(encodePathTable(records, false)) };
}
