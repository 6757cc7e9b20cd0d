// ECMA-119 9.1: directory records, and the walk over a directory's sectors (9.1 / 6.8.1.1: records never cross a sector).

import type { Timespec } from '../tree/node';
import { requireBytes, StructureError } from './bounds';
import { readBoth16, readBoth32, writeBoth16, writeBoth32 } from './both-endian';
import { decodeShortDate, encodeShortDate } from './datetime';

/** Length of the fixed part before the file identifier (ECMA-119 9.1.1..9.1.10). */
export const DIRECTORY_RECORD_FIXED_LENGTH = 33;
/** The smallest legal record: fixed part + a 1-byte identifier (the root's "\0"). */
export const MIN_DIRECTORY_RECORD_LENGTH = 34;
export const SECTOR_SIZE = 2048;

/** Byte positions of ECMA-119 9.1 fields (offset, length). */
export const DIRECTORY_RECORD_FIELDS = {
  length: [0, 1],
  extAttrLength: [1, 1],
  extentLocation: [2, 8],
  dataLength: [10, 8],
  recordingDate: [18, 7],
  fileFlags: [25, 1],
  fileUnitSize: [26, 1],
  interleaveGap: [27, 1],
  volumeSequenceNumber: [28, 4],
  identifierLength: [32, 1],
  identifier: [33, 0],
} as const satisfies Record<string, readonly [number, number]>;

/** ECMA-119 9.1.6 file flag bits. */
export const FileFlags = {
  hidden: 0x01,
  directory: 0x02,
  associated: 0x04,
  record: 0x08,
  protection: 0x10,
  multiExtent: 0x80,
} as const;

/** The two special identifiers of 9.1.11 / 6.8.2.2. */
export const SELF_IDENTIFIER = Buffer.from([0]);
export const PARENT_IDENTIFIER = Buffer.from([1]);

export interface DirectoryRecord {
  /** LEN_DR: total record length including identifier, padding and system use. */
  length: number;
  extAttrLength: number;
  extentLocation: number;
  dataLength: number;
  recordingDate?: Timespec;
  flags: number;
  fileUnitSize: number;
  interleaveGap: number;
  /** Raw identifier bytes (d-/d1-characters with ";version", Joliet UCS-2, or 0x00 / 0x01). */
  identifier: Buffer;
  /** The system use area (SUSP entries), after the padding byte. */
  systemUse: Buffer;
  defects: string[];
}

export function isDirectory(r: DirectoryRecord): boolean {
  return (r.flags & FileFlags.directory) !== 0;
}

export function isMultiExtent(r: DirectoryRecord): boolean {
  return (r.flags & FileFlags.multiExtent) !== 0;
}

/** Record identifier 0x00 (this directory) or 0x01 (its parent). */
export function isSpecialIdentifier(id: Buffer): boolean {
  return id.length === 1 && (id[0] === 0 || id[0] === 1);
}

/**
 * Decodes the record at `offset`. The record must lie wholly inside `buf` and its identifier inside
 * the record; any violation throws StructureError naming the field.
 */
export function decodeDirectoryRecord(buf: Buffer, offset: number): DirectoryRecord {
  requireBytes(buf, offset, 1, 'record length');
  const length = buf[offset];
  if (length < MIN_DIRECTORY_RECORD_LENGTH) {
    throw new StructureError('length', `record length ${length} is shorter than ${MIN_DIRECTORY_RECORD_LENGTH}`);
  }
  requireBytes(buf, offset, length, 'record');
  const rec = buf.subarray(offset, offset + length);
  const defects: string[] = [];
  const location = readBoth32(rec, DIRECTORY_RECORD_FIELDS.extentLocation[0], 'extentLocation');
  const dataLength = readBoth32(rec, DIRECTORY_RECORD_FIELDS.dataLength[0], 'dataLength');
  const volSeq = readBoth16(rec, DIRECTORY_RECORD_FIELDS.volumeSequenceNumber[0], 'volumeSequenceNumber');
  if (location.mismatch) defects.push('extentLocation: little- and big-endian halves differ');
  if (dataLength.mismatch) defects.push('dataLength: little- and big-endian halves differ');
  if (volSeq.mismatch) defects.push('volumeSequenceNumber: little- and big-endian halves differ');
  const idLength = rec[DIRECTORY_RECORD_FIELDS.identifierLength[0]];
  if (idLength === 0) throw new StructureError('identifierLength', 'identifier length is 0');
  const idEnd = DIRECTORY_RECORD_FIXED_LENGTH + idLength;
  if (idEnd > length) {
    throw new StructureError('identifierLength', `identifier length ${idLength} runs past the record end (${length})`);
  }
  // 9.1.12: a padding byte follows an even-length identifier.
  const suStart = idEnd + (idLength % 2 === 0 ? 1 : 0);
  return {
    length,
    extAttrLength: rec[DIRECTORY_RECORD_FIELDS.extAttrLength[0]],
    extentLocation: location.value,
    dataLength: dataLength.value,
    recordingDate: decodeShortDate(rec, DIRECTORY_RECORD_FIELDS.recordingDate[0]),
    flags: rec[DIRECTORY_RECORD_FIELDS.fileFlags[0]],
    fileUnitSize: rec[DIRECTORY_RECORD_FIELDS.fileUnitSize[0]],
    interleaveGap: rec[DIRECTORY_RECORD_FIELDS.interleaveGap[0]],
    identifier: Buffer.from(rec.subarray(DIRECTORY_RECORD_FIXED_LENGTH, idEnd)),
    systemUse: Buffer.from(rec.subarray(Math.min(suStart, length), length)),
    defects,
  };
}

export interface LocatedRecord {
  record: DirectoryRecord;
  /** Byte offset of the record inside the directory's data. */
  offset: number;
}

export interface DirectoryWalk {
  records: LocatedRecord[];
  defects: string[];
}

/**
 * Walks the records of a directory extent. A zero length byte means "rest of this sector is padding"
 * (6.8.1.1); a record that would cross a sector boundary, or is malformed, is reported and the walk
 * resumes at the next sector, so one bad record never hides the rest of the directory.
 */
export function walkDirectoryRecords(data: Buffer): DirectoryWalk {
  const records: LocatedRecord[] = [];
  const defects: string[] = [];
  let offset = 0;
  while (offset < data.length) {
    const sectorEnd = Math.min(data.length, (Math.floor(offset / SECTOR_SIZE) + 1) * SECTOR_SIZE);
    const length = data[offset];
    if (length === 0) {
      offset = sectorEnd;
      continue;
    }
    if (offset + length > sectorEnd) {
      defects.push(`record at byte ${offset} (length ${length}) crosses the sector boundary at ${sectorEnd}`);
      offset = sectorEnd;
      continue;
    }
    try {
      records.push({ record: decodeDirectoryRecord(data.subarray(0, sectorEnd), offset), offset });
      offset += length;
    } catch (e) {
      if (!(e instanceof StructureError)) throw e;
      defects.push(`record at byte ${offset}: ${e.message}`);
      offset = sectorEnd;
    }
  }
  return { records, defects };
}

// ---- Encoders (engine) ----

export const MAX_DIRECTORY_RECORD_LENGTH = 255;

export interface DirectoryRecordInput {
  extentLocation: number;
  dataLength: number;
  recordingDate: Timespec;
  flags: number;
  identifier: Buffer;
  /** SUSP entries; the caller keeps the record within MAX_DIRECTORY_RECORD_LENGTH. */
  systemUse: Buffer;
}

/** Length of a record with this identifier and system use area: 9.1.12 pad byte, 9.1.13 even total. */
export function directoryRecordLength(identifierLength: number, systemUseLength: number): number {
  const base = DIRECTORY_RECORD_FIXED_LENGTH + identifierLength + (identifierLength % 2 === 0 ? 1 : 0);
  const total = base + systemUseLength;
  return total + (total % 2);
}

/** ECMA-119 9.1: encodes one record (volume sequence number 1, no interleaving, no extended attributes). */
export function encodeDirectoryRecord(input: DirectoryRecordInput): Buffer {
  const length = directoryRecordLength(input.identifier.length, input.systemUse.length);
  if (length > MAX_DIRECTORY_RECORD_LENGTH || input.identifier.length === 0) {
    throw new StructureError('length', `directory record of ${length} bytes (identifier ${input.identifier.length}) cannot be encoded`);
  }
  const rec = Buffer.alloc(length);
  rec[DIRECTORY_RECORD_FIELDS.length[0]] = length;
  writeBoth32(rec, DIRECTORY_RECORD_FIELDS.extentLocation[0], input.extentLocation);
  writeBoth32(rec, DIRECTORY_RECORD_FIELDS.dataLength[0], input.dataLength);
  encodeShortDate(input.recordingDate).copy(rec, DIRECTORY_RECORD_FIELDS.recordingDate[0]);
  rec[DIRECTORY_RECORD_FIELDS.fileFlags[0]] = input.flags;
  writeBoth16(rec, DIRECTORY_RECORD_FIELDS.volumeSequenceNumber[0], 1);
  rec[DIRECTORY_RECORD_FIELDS.identifierLength[0]] = input.identifier.length;
  input.identifier.copy(rec, DIRECTORY_RECORD_FIXED_LENGTH);
  const suStart = DIRECTORY_RECORD_FIXED_LENGTH + input.identifier.length + (input.identifier.length % 2 === 0 ? 1 : 0);
  input.systemUse.copy(rec, suStart);
  return rec;
}
