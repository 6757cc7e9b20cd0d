// Rock Ridge System Use fields of one directory record (RRIP 1.12 4.1, SUSP 1.12 5.1 CE continuation areas).

import { writeBoth32 } from '../iso9660/both-endian';
import { directoryRecordLength, MAX_DIRECTORY_RECORD_LENGTH } from '../iso9660/directory-record';
import { encodeNm, encodePn, encodePx, encodeSl, encodeTf, RRIP_1_12_EXTENSION, type ZisofsInfo } from '../iso9660/rrip';
import { CE_ENTRY_LENGTH, encodeContinuation, encodeExtensionReference, encodeSharingProtocol, encodeSuspEntry } from '../iso9660/susp';
import { BLOCK_SIZE } from '../medium/medium';
import type { PlannedNode } from './plan';

/** zisofs ZF entry (libisofs / Linux fs/isofs/rock.c): algorithm, header size / 4, log2 block size, uncompressed size. */
export function encodeZf(zf: ZisofsInfo): Buffer {
  const data = Buffer.alloc(12);
  data.write(zf.algorithm.slice(0, 2), 0, 'latin1');
  data[2] = zf.headerSizeDiv4;
  data[3] = zf.log2BlockSize;
  writeBoth32(data, 4, zf.uncompressedSize);
  return encodeSuspEntry('ZF', 1, data);
}

export type RecordRole = 'self' | 'parent' | 'child';

/** The Rock Ridge entries of a record, in the order they are recorded (SP first in the root's "."). */
export function rockRidgeEntries(node: PlannedNode, role: RecordRole, isRootSelf: boolean): Buffer[] {
  const a = node.entry.attrs;
  const out: Buffer[] = [];
  if (isRootSelf) out.push(encodeSharingProtocol());
  out.push(encodePx({ mode: a.mode, nlink: node.nlink, uid: a.uid, gid: a.gid, ino: node.ino }));
  out.push(encodeTf({ modify: a.mtime, access: a.atime, attributes: a.ctime }));
  if (a.kind === 'chardev' || a.kind === 'blockdev') out.push(encodePn(a.rdev));
  if (role === 'child') out.push(...encodeNm(node.entry.name));
  if (a.kind === 'symlink') out.push(...encodeSl(node.entry.symlinkTarget ?? Buffer.alloc(0)));
  if (node.content?.from === 'old' && node.content.zisofs && a.kind === 'file') out.push(encodeZf(node.content.zisofs));
  // ER is long: it is appended last so that it lands in a continuation area, keeping "." small.
  if (isRootSelf) out.push(encodeExtensionReference(RRIP_1_12_EXTENSION));
  return out;
}

/** A System Use field split into the part inside the record and continuation areas (each within one block). */
export interface PackedSystemUse {
  inRecord: Buffer[];
  areas: Buffer[][];
}

function total(entries: readonly Buffer[]): number {
  return entries.reduce((n, e) => n + e.length, 0);
}

/** Packs entries: as many as fit into the record (leaving room for a CE), the rest into <= 2048-byte areas. */
export function packSystemUse(entries: readonly Buffer[], identifierLength: number): PackedSystemUse {
  const fitsRecord = (su: number): boolean => directoryRecordLength(identifierLength, su) <= MAX_DIRECTORY_RECORD_LENGTH;
  if (fitsRecord(total(entries))) return { inRecord: [...entries], areas: [] };
  const inRecord: Buffer[] = [];
  let i = 0;
  while (i < entries.length && fitsRecord(total(inRecord) + entries[i].length + CE_ENTRY_LENGTH)) inRecord.push(entries[i++]);
  const areas: Buffer[][] = [];
  while (i < entries.length) {
    const area: Buffer[] = [];
    const rest = total(entries.slice(i));
    const limit = rest <= BLOCK_SIZE ? BLOCK_SIZE : BLOCK_SIZE - CE_ENTRY_LENGTH;
    while (i < entries.length && total(area) + entries[i].length <= limit) area.push(entries[i++]);
    areas.push(area);
  }
  return { inRecord, areas };
}

export function areaLength(packed: PackedSystemUse, index: number): number {
  return total(packed.areas[index]) + (index < packed.areas.length - 1 ? CE_ENTRY_LENGTH : 0);
}

export function systemUseLength(packed: PackedSystemUse): number {
  return total(packed.inRecord) + (packed.areas.length > 0 ? CE_ENTRY_LENGTH : 0);
}

/** Where each continuation area of a directory lies (absolute LBA + offset). */
export interface AreaPlace {
  lba: number;
  offset: number;
}

/** The record's System Use bytes with its CE pointing at the first area. */
export function encodeRecordSystemUse(packed: PackedSystemUse, places: readonly AreaPlace[]): Buffer {
  const parts = [...packed.inRecord];
  if (packed.areas.length > 0) parts.push(encodeContinuation({ ...places[0], length: areaLength(packed, 0) }));
  return Buffer.concat(parts);
}

/** Continuation area `index`, chained to the next one by a CE. */
export function encodeArea(packed: PackedSystemUse, places: readonly AreaPlace[], index: number): Buffer {
  const parts = [...packed.areas[index]];
  if (index < packed.areas.length - 1) parts.push(encodeContinuation({ ...places[index + 1], length: areaLength(packed, index + 1) }));
  return Buffer.concat(parts);
}
