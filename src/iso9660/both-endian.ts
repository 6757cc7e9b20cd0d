// ECMA-119 7.2 / 7.3: 8-, 16- and 32-bit numbers, including the both-byte-order forms of 7.2.3 and 7.3.3.

import { requireBytes } from './bounds';

/** A both-byte-order number: the little-endian half is used (as Linux isofs does); a mismatch is a defect. */
export interface BothEndianNumber {
  value: number;
  mismatch: boolean;
}

/** ECMA-119 7.2.3: 16-bit LE then BE (4 bytes). */
export function readBoth16(buf: Buffer, offset: number, field = 'both-endian 16'): BothEndianNumber {
  requireBytes(buf, offset, 4, field);
  const value = buf.readUInt16LE(offset);
  return { value, mismatch: value !== buf.readUInt16BE(offset + 2) };
}

/** ECMA-119 7.3.3: 32-bit LE then BE (8 bytes). */
export function readBoth32(buf: Buffer, offset: number, field = 'both-endian 32'): BothEndianNumber {
  requireBytes(buf, offset, 8, field);
  const value = buf.readUInt32LE(offset);
  return { value, mismatch: value !== buf.readUInt32BE(offset + 4) };
}

/** ECMA-119 7.3.1: 32-bit little-endian. */
export function readLe32(buf: Buffer, offset: number, field = 'uint32 LE'): number {
  requireBytes(buf, offset, 4, field);
  return buf.readUInt32LE(offset);
}

/** ECMA-119 7.3.2: 32-bit big-endian. */
export function readBe32(buf: Buffer, offset: number, field = 'uint32 BE'): number {
  requireBytes(buf, offset, 4, field);
  return buf.readUInt32BE(offset);
}

/** ECMA-119 7.1.1: 8-bit unsigned. */
export function readUint8(buf: Buffer, offset: number, field = 'uint8'): number {
  requireBytes(buf, offset, 1, field);
  return buf[offset];
}

// ---- Encoders (engine) ----

/** ECMA-119 7.2.3: writes a 16-bit number LE then BE (4 bytes). */
export function writeBoth16(buf: Buffer, offset: number, value: number): void {
  requireBytes(buf, offset, 4, 'both-endian 16');
  buf.writeUInt16LE(value, offset);
  buf.writeUInt16BE(value, offset + 2);
}

/** ECMA-119 7.3.3: writes a 32-bit number LE then BE (8 bytes). */
export function writeBoth32(buf: Buffer, offset: number, value: number): void {
  requireBytes(buf, offset, 8, 'both-endian 32');
  buf.writeUInt32LE(value, offset);
  buf.writeUInt32BE(value, offset + 4);
}
