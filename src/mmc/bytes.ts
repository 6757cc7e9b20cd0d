// Big-endian field access for CDBs and replies (SPC-4 4.3.1 byte order); every reply read is bounds-checked.
import { DiscfsError } from '../util/errors';

/** A zeroed CDB of `length` bytes with the opcode in byte 0. */
export function cdb(opcode: number, length: 6 | 10 | 12 | 16): Buffer {
  const b = Buffer.alloc(length);
  b[0] = opcode;
  return b;
}

function checkRange(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name} must be an integer in 0..${max}, got ${value}`);
  }
}

export function putU8(b: Buffer, offset: number, value: number, name = 'field'): void {
  checkRange(name, value, 0xff);
  b[offset] = value;
}

export function putU16(b: Buffer, offset: number, value: number, name = 'field'): void {
  checkRange(name, value, 0xffff);
  b.writeUInt16BE(value, offset);
}

export function putU24(b: Buffer, offset: number, value: number, name = 'field'): void {
  checkRange(name, value, 0xffffff);
  b.writeUIntBE(value, offset, 3);
}

export function putU32(b: Buffer, offset: number, value: number, name = 'field'): void {
  checkRange(name, value, 0xffffffff);
  b.writeUInt32BE(value, offset);
}

/**
 * A reply limited to what the device both sent and declared: drives send short replies, and some pad to the
 * allocation length with junk, so the usable length is min(received, header length field + its own size).
 */
export class ReplyView {
  readonly length: number;

  constructor(
    readonly command: string,
    private readonly bytes: Buffer,
    usable: number = bytes.length,
  ) {
    this.length = Math.max(0, Math.min(usable, bytes.length));
  }

  /** A view whose end is set by a length field at `offset` (of `size` bytes) counting the bytes after it. */
  static byLengthField(command: string, reply: Buffer, offset: number, size: 1 | 2 | 4): ReplyView {
    const raw = new ReplyView(command, reply);
    raw.require(offset + size, 'reply header');
    const declared = raw.uint(offset, size) + offset + size;
    return new ReplyView(command, reply, declared);
  }

  has(offset: number, size = 1): boolean {
    return offset >= 0 && offset + size <= this.length;
  }

  require(end: number, what: string): void {
    if (end > this.length) {
      throw new DiscfsError('MMC_SHORT_REPLY', `${this.command}: reply too short for ${what} (${this.length} < ${end} bytes)`, {
        command: this.command,
        length: this.length,
        needed: end,
      });
    }
  }

  private uint(offset: number, size: number): number {
    this.require(offset + size, `byte ${offset}`);
    return this.bytes.readUIntBE(offset, size);
  }

  u8(offset: number): number {
    return this.uint(offset, 1);
  }
  u16(offset: number): number {
    return this.uint(offset, 2);
  }
  u24(offset: number): number {
    return this.uint(offset, 3);
  }
  u32(offset: number): number {
    return this.uint(offset, 4);
  }
  bit(offset: number, bit: number): boolean {
    return ((this.u8(offset) >> bit) & 1) === 1;
  }
  /** `width` bits ending at bit `low` of byte `offset`. */
  bits(offset: number, low: number, width: number): number {
    return (this.u8(offset) >> low) & ((1 << width) - 1);
  }
  /** Printable ASCII with trailing spaces/NULs trimmed (INQUIRY identification strings). */
  ascii(offset: number, size: number): string {
    const end = Math.min(offset + size, this.length);
    if (end <= offset) return '';
    return this.bytes
      .subarray(offset, end)
      .toString('latin1')
      .replace(/[^\x20-\x7e]/g, ' ')
      .trimEnd();
  }
  /** Copy of bytes offset..offset+size clipped to the usable length. */
  slice(offset: number, size: number): Buffer {
    const end = Math.min(offset + size, this.length);
    return end <= offset ? Buffer.alloc(0) : Buffer.from(this.bytes.subarray(offset, end));
  }
  /** Sub-view starting at `offset` of at most `size` bytes. */
  view(offset: number, size: number): ReplyView {
    const start = Math.min(offset, this.length);
    const end = Math.min(offset + size, this.length);
    return new ReplyView(this.command, this.bytes.subarray(start, end));
  }
}
