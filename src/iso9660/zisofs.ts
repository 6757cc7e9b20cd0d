// zisofs (Linux fs/isofs/compress.c, libisofs zisofs.c): a header, a table of block pointers, zlib blocks; RRIP ZF announces it.

import zlib from 'node:zlib';
import { FsError } from '../util/errors';

export const ZISOFS_MAGIC = Buffer.from([0x37, 0xe4, 0x53, 0x96, 0xc9, 0xdb, 0xd6, 0x07]);
export const ZISOFS_HEADER_MIN_LENGTH = 16;
/** Block sizes allowed by the format: 32, 64 and 128 KiB. */
export const ZISOFS_LOG2_BLOCK_SIZES: ReadonlySet<number> = new Set([15, 16, 17]);

/** Reads `length` bytes of the compressed file at `position`; rejects outside the recorded data. */
export type CompressedReader = (position: number, length: number) => Promise<Buffer>;

export interface ZisofsHeader {
  uncompressedSize: number;
  headerSize: number;
  log2BlockSize: number;
}

function damaged(what: string): FsError {
  return new FsError('EIO', `zisofs: ${what}`, { field: 'zisofs' });
}

/** Decodes the 16-byte file header: magic, LE32 size, header size / 4, log2 block size. */
export function decodeZisofsHeader(buf: Buffer): ZisofsHeader {
  if (buf.length < ZISOFS_HEADER_MIN_LENGTH || !buf.subarray(0, 8).equals(ZISOFS_MAGIC)) throw damaged('bad magic');
  const header = { uncompressedSize: buf.readUInt32LE(8), headerSize: buf[12] * 4, log2BlockSize: buf[13] };
  if (header.headerSize < ZISOFS_HEADER_MIN_LENGTH) throw damaged(`header size ${header.headerSize}`);
  if (!ZISOFS_LOG2_BLOCK_SIZES.has(header.log2BlockSize)) throw damaged(`block size 2^${header.log2BlockSize}`);
  return header;
}

function inflateBlock(compressed: Buffer, expected: number, blockSize: number): Buffer {
  let out: Buffer;
  try {
    out = zlib.inflateSync(compressed, { maxOutputLength: blockSize });
  } catch (e) {
    throw new FsError('EIO', `zisofs: block does not inflate: ${(e as Error).message}`, { field: 'zisofs' }, { cause: e });
  }
  if (out.length !== expected) throw damaged(`block inflates to ${out.length} bytes, expected ${expected}`);
  return out;
}

/**
 * Uncompressed bytes [position, position+length) clipped to the header's size. Only the pointers and
 * blocks that cover the range are read, so a corrupt size never causes a large read or allocation.
 */
export async function readZisofs(
  read: CompressedReader,
  compressedSize: number,
  position: number,
  length: number,
): Promise<Buffer> {
  const header = decodeZisofsHeader(await read(0, Math.min(ZISOFS_HEADER_MIN_LENGTH, compressedSize)));
  const end = Math.min(header.uncompressedSize, position + length);
  if (position >= end) return Buffer.alloc(0);
  const blockSize = 2 ** header.log2BlockSize;
  const first = Math.floor(position / blockSize);
  const last = Math.floor((end - 1) / blockSize);
  const pointerBytes = (last - first + 2) * 4;
  const pointerStart = header.headerSize + first * 4;
  if (pointerStart + pointerBytes > compressedSize) throw damaged('block pointer table runs past the data');
  const table = await read(pointerStart, pointerBytes);
  const pieces: Buffer[] = [];
  for (let b = first; b <= last; b++) {
    const from = table.readUInt32LE((b - first) * 4);
    const to = table.readUInt32LE((b - first + 1) * 4);
    if (to < from || to > compressedSize) throw damaged(`block ${b} pointers ${from}..${to} out of order or range`);
    // zlib never expands a block by more than a few bytes per 16 KiB; more means a corrupt pointer.
    if (to - from > blockSize + 1024) throw damaged(`block ${b} claims ${to - from} compressed bytes`);
    const expected = Math.min(blockSize, header.uncompressedSize - b * blockSize);
    // A block with no compressed bytes is all zeros by definition of the format.
    const plain = to === from ? Buffer.alloc(expected) : inflateBlock(await read(from, to - from), expected, blockSize);
    const sliceFrom = b === first ? position - b * blockSize : 0;
    const sliceTo = b === last ? end - b * blockSize : expected;
    pieces.push(plain.subarray(sliceFrom, sliceTo));
  }
  return Buffer.concat(pieces);
}
