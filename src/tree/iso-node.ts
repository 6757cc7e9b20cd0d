// Turns the record group of one ISO 9660 / Joliet / Rock Ridge entry into a LowerNode (names, kinds, modes, ids, times).

import { BLOCK_SIZE } from '../medium/medium';
import { isDirectory, type DirectoryRecord } from '../iso9660/directory-record';
import { isoDisplayName } from '../iso9660/iso-names';
import { decodeJolietName } from '../iso9660/joliet';
import type { RockRidgeInfo, ZisofsInfo } from '../iso9660/rrip';
import type { LowerNode } from './lower-tree';
import type { Extent, NodeAttributes, NodeKind, Timespec } from './node';
import type { ReadRecord } from './iso-directory-reader';

export type VolumeView = 'rr' | 'joliet' | 'iso9660';

/** Modes implied when no Rock Ridge PX exists (documented in docs/reading.md). */
export const PLAIN_FILE_MODE = 0o100444;
export const PLAIN_DIR_MODE = 0o040555;
/** Ids of nodes without a PX serial: 2^32 + record position / 32 (records are >= 34 bytes, so distinct). */
export const LOCATION_ID_BASE = 1n << 32n;
const RECORD_POSITION_UNIT = 32;

const S_IFMT = 0o170000;
const KIND_BY_TYPE: ReadonlyMap<number, NodeKind> = new Map([
  [0o100000, 'file'],
  [0o040000, 'dir'],
  [0o120000, 'symlink'],
  [0o010000, 'fifo'],
  [0o140000, 'socket'],
  [0o020000, 'chardev'],
  [0o060000, 'blockdev'],
]);

export interface IsoNode extends LowerNode {
  /** Display path inside the volume, for warnings. */
  readonly path: string;
  /** For directories: where its records are. */
  readonly dirExtent?: Extent;
  /** A directory that must be shown empty (alias of another directory, or a loop). */
  readonly showEmpty?: boolean;
  readonly zisofs?: ZisofsInfo;
  /** Why reading the data must fail (EIO), when known at listing time. */
  readonly unreadable?: string;
  readonly parent?: IsoNode;
}

export function locationId(position: number): bigint {
  return LOCATION_ID_BASE + BigInt(Math.floor(position / RECORD_POSITION_UNIT));
}

/** The entry's name in the chosen view, or a reason why it cannot be shown. */
export function entryName(view: VolumeView, first: ReadRecord): { name: Buffer; defects: string[] } {
  const rec = first.record;
  if (view === 'rr' && first.rr?.name !== undefined && !first.rr.nameIsDotOrDotDot) return { name: first.rr.name, defects: [] };
  if (view === 'joliet') return decodeJolietName(rec.identifier, !isDirectory(rec));
  const defects = view === 'rr' && first.rr?.nameIsDotOrDotDot ? ['NM names "." or ".."; ISO name used'] : [];
  return { name: isDirectory(rec) ? Buffer.from(rec.identifier) : isoDisplayName(rec.identifier), defects };
}

/** Names that must never reach the kernel: empty, ".", "..", or containing "/" or NUL. */
export function unsafeNameReason(name: Buffer): string | undefined {
  if (name.length === 0) return 'empty name';
  if (name.length === 1 && name[0] === 0x2e) return 'name "."';
  if (name.length === 2 && name[0] === 0x2e && name[1] === 0x2e) return 'name ".."';
  if (name.includes(0x2f)) return 'name contains "/"';
  if (name.includes(0)) return 'name contains NUL';
  return undefined;
}

function kindOf(rec: DirectoryRecord, rr: RockRidgeInfo | undefined, defects: string[]): NodeKind {
  const recordKind: NodeKind = isDirectory(rec) ? 'dir' : 'file';
  if (rr?.px === undefined) return recordKind;
  const rrKind = KIND_BY_TYPE.get(rr.px.mode & S_IFMT);
  if (rrKind === undefined) {
    defects.push(`PX mode ${rr.px.mode.toString(8)} has no known file type`);
    return recordKind;
  }
  // The record's directory flag decides the structure; PX may only refine a non-directory.
  if ((rrKind === 'dir') !== (recordKind === 'dir')) {
    defects.push(`PX says ${rrKind} but the record says ${recordKind}`);
    return recordKind;
  }
  return rrKind;
}

const EPOCH: Timespec = { sec: 0, nsec: 0 };

export interface AttributeInput {
  group: readonly ReadRecord[];
  /** For a relocated directory: the "." record of its real place holds the attributes. */
  attributesFrom?: ReadRecord;
  size: number;
  symlinkTarget?: Buffer;
}

export function nodeAttributes(input: AttributeInput, defects: string[]): NodeAttributes {
  const first = input.attributesFrom ?? input.group[0];
  const rr = first.rr?.px !== undefined ? first.rr : input.group[0].rr;
  const kind = kindOf(input.group[0].record, rr, defects);
  const recorded = input.group[0].record.recordingDate ?? EPOCH;
  const mtime = rr?.times.modify ?? recorded;
  const px = rr?.px;
  const plainMode = kind === 'dir' ? PLAIN_DIR_MODE : PLAIN_FILE_MODE;
  return {
    kind,
    mode: px !== undefined ? px.mode & 0o177777 : plainMode,
    uid: px?.uid ?? 0,
    gid: px?.gid ?? 0,
    nlink: px !== undefined && px.nlink > 0 ? px.nlink : 1,
    size: input.size,
    rdev: kind === 'chardev' || kind === 'blockdev' ? rr?.rdev ?? 0 : 0,
    atime: rr?.times.access ?? mtime,
    mtime,
    ctime: rr?.times.attributes ?? mtime,
  };
}

/** File sections in file order; the extended attribute record (9.1.2) precedes each section's data. */
export function fileExtents(group: readonly ReadRecord[]): Extent[] {
  return group.map(({ record }) => ({ lba: record.extentLocation + record.extAttrLength, bytes: record.dataLength }));
}

/** Why the extents cannot be read, checked against the end of the medium only (old sessions are fine). */
export function extentProblem(extents: readonly Extent[], mediumBlocks: number): string | undefined {
  for (const e of extents) {
    if (e.bytes > 0 && e.lba + Math.ceil(e.bytes / BLOCK_SIZE) > mediumBlocks) {
      return `extent at block ${e.lba} (${e.bytes} bytes) ends beyond the medium end (${mediumBlocks} blocks)`;
    }
  }
  return undefined;
}
