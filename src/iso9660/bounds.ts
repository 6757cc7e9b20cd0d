// Bounds checks shared by every ISO 9660 / SUSP / RRIP decoder: no read may leave its buffer.

/** A structure could not be decoded because its bytes are missing or inconsistent. */
export class StructureError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'StructureError';
  }
}

/** Throws StructureError unless buf[offset, offset+length) lies inside the buffer. */
export function requireBytes(buf: Buffer, offset: number, length: number, field: string): void {
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > buf.length) {
    throw new StructureError(field, `${field}: needs bytes ${offset}..${offset + length} but only ${buf.length} are present`);
  }
}

/** A bounded copy of buf[offset, offset+length), clipped to the buffer (never longer than what exists). */
export function sliceClipped(buf: Buffer, offset: number, length: number): Buffer {
  const start = Math.max(0, Math.min(offset, buf.length));
  const end = Math.max(start, Math.min(offset + Math.max(0, length), buf.length));
  return buf.subarray(start, end);
}
