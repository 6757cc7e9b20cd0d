// Reads one ISO 9660 directory extent (ECMA-119 6.8.1, 9.1) into record groups: one group per file, several for Multi-Extent.

import type { Medium } from '../medium/medium';
import { BLOCK_SIZE } from '../medium/medium';
import {
  decodeDirectoryRecord,
  isMultiExtent,
  PARENT_IDENTIFIER,
  SELF_IDENTIFIER,
  walkDirectoryRecords,
  type DirectoryRecord,
} from '../iso9660/directory-record';
import { StructureError } from '../iso9660/bounds';
import { decodeRockRidge, type RockRidgeInfo } from '../iso9660/rrip';
import { collectSuspEntries, type ContinuationReader } from '../iso9660/susp';
import type { Extent } from './node';

/** Directory extents are read in chunks of this many blocks: memory follows the records, never a length field. */
const CHUNK_BLOCKS = 32;
const MAX_CE_OFFSET = BLOCK_SIZE;

export interface DirectorySource {
  medium: Medium;
  /** Decode SUSP / Rock Ridge entries (the Rock Ridge view). */
  rockRidge: boolean;
  /** SP "bytes to skip" at the start of every System Use field (SUSP 5.3). */
  suspSkip: number;
}

export interface ReadRecord {
  record: DirectoryRecord;
  /** Absolute byte position of the record on the medium (its identity when no PX serial exists). */
  position: number;
  rr?: RockRidgeInfo;
  /** SUSP / Rock Ridge defects of this record, reported under the entry's path. */
  defects?: string[];
}

export interface DirectoryListing {
  /** The "." record (holds SP in the root, and the attributes of a CL target). */
  self?: ReadRecord;
  /** One array per entry, in recorded order; Multi-Extent sections in recorded order. */
  groups: ReadRecord[][];
  defects: string[];
}

export function continuationReader(medium: Medium): ContinuationReader {
  return async (lba, offset, length) => {
    if (offset >= MAX_CE_OFFSET) throw new Error(`offset ${offset} is not inside a block`);
    const blocks = Math.ceil((offset + length) / BLOCK_SIZE);
    const data = await medium.read(lba, Math.max(1, blocks));
    return data.subarray(offset, offset + length);
  };
}

async function withRockRidge(src: DirectorySource, rec: DirectoryRecord, defects: string[], where: string): Promise<RockRidgeInfo | undefined> {
  if (!src.rockRidge) return undefined;
  const susp = await collectSuspEntries(rec.systemUse.subarray(Math.min(src.suspSkip, rec.systemUse.length)), continuationReader(src.medium));
  const rr = decodeRockRidge(susp.entries);
  for (const d of [...susp.defects, ...rr.defects]) defects.push(`${where}: ${d}`);
  return rr;
}

function extentEnd(extent: Extent): number {
  return extent.lba + Math.ceil(extent.bytes / BLOCK_SIZE);
}

/** Reads every record of the directory at `extent`. Never throws for damage: defects are returned. */
export async function readDirectory(src: DirectorySource, extent: Extent): Promise<DirectoryListing> {
  const defects: string[] = [];
  const records: ReadRecord[] = [];
  if (extent.bytes === 0) defects.push('directory has data length 0');
  if (extentEnd(extent) > src.medium.blocks) {
    defects.push(`directory extent (block ${extent.lba}, ${extent.bytes} bytes) ends beyond the medium end (${src.medium.blocks} blocks)`);
    return { groups: [], defects };
  }
  for (let done = 0; done < extent.bytes; done += CHUNK_BLOCKS * BLOCK_SIZE) {
    const bytes = Math.min(CHUNK_BLOCKS * BLOCK_SIZE, extent.bytes - done);
    let chunk: Buffer;
    try {
      chunk = (await src.medium.read(extent.lba + done / BLOCK_SIZE, Math.ceil(bytes / BLOCK_SIZE))).subarray(0, bytes);
    } catch (e) {
      defects.push(`directory block ${extent.lba + done / BLOCK_SIZE} cannot be read: ${(e as Error).message}`);
      break;
    }
    const walk = walkDirectoryRecords(chunk);
    defects.push(...walk.defects.map((d) => `${d} (directory at block ${extent.lba})`));
    for (const { record, offset } of walk.records) {
      const position = extent.lba * BLOCK_SIZE + done + offset;
      const recordDefects = record.defects.map((d) => `record at byte ${position}: ${d}`);
      const rr = await withRockRidge(src, record, recordDefects, `record at byte ${position}`);
      records.push({ record, position, rr, defects: recordDefects });
    }
  }
  return groupRecords(records, defects);
}

function groupRecords(records: ReadRecord[], defects: string[]): DirectoryListing {
  let self: ReadRecord | undefined;
  const groups: ReadRecord[][] = [];
  let pending: ReadRecord[] = [];
  const flushPending = (why: string): void => {
    if (pending.length === 0) return;
    defects.push(`Multi-Extent file "${pending[0].record.identifier.toString('latin1')}" ${why}; its ${pending.length} section(s) are kept`);
    groups.push(pending);
    pending = [];
  };
  for (const r of records) {
    const id = r.record.identifier;
    if (id.equals(SELF_IDENTIFIER) || id.equals(PARENT_IDENTIFIER)) {
      if (id.equals(SELF_IDENTIFIER) && self === undefined) self = r;
      continue;
    }
    if (pending.length > 0 && !pending[0].record.identifier.equals(id)) flushPending('is followed by a different file');
    if (isMultiExtent(r.record)) {
      pending.push(r);
      continue;
    }
    if (pending.length > 0) {
      pending.push(r);
      groups.push(pending);
      pending = [];
    } else groups.push([r]);
  }
  flushPending('is followed by nothing');
  return { self, groups, defects };
}

/** The "." record of the directory starting at `lba` (for a Rock Ridge CL target). */
export async function readSelfRecord(src: DirectorySource, lba: number): Promise<ReadRecord | string> {
  if (lba >= src.medium.blocks) return `block ${lba} lies beyond the medium end`;
  let block: Buffer;
  try {
    block = await src.medium.read(lba, 1);
  } catch (e) {
    return `block ${lba} cannot be read: ${(e as Error).message}`;
  }
  try {
    const record = decodeDirectoryRecord(block, 0);
    if (!record.identifier.equals(SELF_IDENTIFIER)) return `block ${lba} does not start with a "." record`;
    const defects: string[] = [];
    const rr = await withRockRidge(src, record, defects, `"." record at block ${lba}`);
    return { record, position: lba * BLOCK_SIZE, rr };
  } catch (e) {
    if (e instanceof StructureError) return `block ${lba}: ${e.message}`;
    throw e;
  }
}
