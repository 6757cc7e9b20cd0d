// ECMA-119 9.4: path table records. Decoded only to validate and report; the directory tree is read from records.

import { requireBytes } from './bounds';

export const PATH_TABLE_RECORD_FIXED_LENGTH = 8;
/** A path table names at most 65535 directories (parent numbers are 16 bits). */
export const MAX_PATH_TABLE_RECORDS = 65535;

export interface PathTableRecord {
  extentLocation: number;
  parentNumber: number;
  identifier: Buffer;
}

export interface PathTableCheck {
  records: PathTableRecord[];
  defects: string[];
}

/**
 * Decodes a type L (little-endian) or type M (big-endian) table of `size` bytes from `buf`.
 * Stops at the first malformed record; every defect is reported, nothing is thrown.
 */
export function decodePathTable(buf: Buffer, size: number, littleEndian: boolean): PathTableCheck {
  const records: PathTableRecord[] = [];
  const defects: string[] = [];
  const end = Math.min(size, buf.length);
  if (size > buf.length) defects.push(`path table size ${size} exceeds the ${buf.length} bytes read`);
  let offset = 0;
  while (offset + PATH_TABLE_RECORD_FIXED_LENGTH <= end && records.length < MAX_PATH_TABLE_RECORDS) {
    const idLength = buf[offset];
    if (idLength === 0) {
      defects.push(`path table record at byte ${offset} has identifier length 0`);
      break;
    }
    const recordLength = PATH_TABLE_RECORD_FIXED_LENGTH + idLength + (idLength % 2);
    if (offset + PATH_TABLE_RECORD_FIXED_LENGTH + idLength > end) {
      defects.push(`path table record at byte ${offset} runs past the table end`);
      break;
    }
    requireBytes(buf, offset, PATH_TABLE_RECORD_FIXED_LENGTH + idLength, 'path table record');
    const extentLocation = littleEndian ? buf.readUInt32LE(offset + 2) : buf.readUInt32BE(offset + 2);
    const parentNumber = littleEndian ? buf.readUInt16LE(offset + 6) : buf.readUInt16BE(offset + 6);
    if (parentNumber === 0 || parentNumber > records.length + 1) {
      defects.push(`path table record ${records.length + 1} names parent ${parentNumber}, which precedes no record`);
    }
    records.push({ extentLocation, parentNumber, identifier: Buffer.from(buf.subarray(offset + 8, offset + 8 + idLength)) });
    offset += recordLength;
  }
  return { records, defects };
}

// ---- Encoders (engine) ----

export interface PathTableInput {
  extentLocation: number;
  parentNumber: number;
  identifier: Buffer;
}

/** ECMA-119 9.4: encodes a type L (little-endian) or type M (big-endian) table; records must be in 9.4 order. */
export function encodePathTable(records: readonly PathTableInput[], littleEndian: boolean): Buffer {
  if (records.length > MAX_PATH_TABLE_RECORDS) {
    throw new RangeError(`${records.length} directories exceed the ${MAX_PATH_TABLE_RECORDS} a path table can name`);
  }
  const size = records.reduce((n, r) => n + PATH_TABLE_RECORD_FIXED_LENGTH + r.identifier.length + (r.identifier.length % 2), 0);
  const buf = Buffer.alloc(size);
  let offset = 0;
  for (const r of records) {
    buf[offset] = r.identifier.length;
    if (littleEndian) {
      buf.writeUInt32LE(r.extentLocation, offset + 2);
      buf.writeUInt16LE(r.parentNumber, offset + 6);
    } else {
      buf.writeUInt32BE(r.extentLocation, offset + 2);
      buf.writeUInt16BE(r.parentNumber, offset + 6);
    }
    r.identifier.copy(buf, offset + PATH_TABLE_RECORD_FIXED_LENGTH);
    offset += PATH_TABLE_RECORD_FIXED_LENGTH + r.identifier.length + (r.identifier.length % 2);
  }
  return buf;
}
