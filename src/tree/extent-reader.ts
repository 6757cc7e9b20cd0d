// File data through its extents (ECMA-119 6.5 / 9.1: sections of a Multi-Extent file, in file order).

import type { Medium } from '../medium/medium';
import { BLOCK_SIZE } from '../medium/medium';
import { FsError } from '../util/errors';
import type { Extent } from './node';

/**
 * Bytes [position, position+length) of the concatenated extents. Rejects with FsError('EIO') when a
 * needed block cannot be read or the range runs past the recorded sections; never fills with zeros.
 */
export async function readExtents(medium: Medium, extents: readonly Extent[], position: number, length: number): Promise<Buffer> {
  const out = Buffer.alloc(length);
  let filled = 0;
  let extentStart = 0;
  for (const e of extents) {
    if (filled >= length) break;
    const extentEnd = extentStart + e.bytes;
    const want = position + filled;
    if (want < extentEnd && e.bytes > 0) {
      const from = want - extentStart;
      const take = Math.min(extentEnd - want, length - filled);
      const firstBlock = Math.floor(from / BLOCK_SIZE);
      const lastBlock = Math.floor((from + take - 1) / BLOCK_SIZE);
      const data = await medium.read(e.lba + firstBlock, lastBlock - firstBlock + 1);
      const skip = from - firstBlock * BLOCK_SIZE;
      data.copy(out, filled, skip, skip + take);
      filled += take;
    }
    extentStart = extentEnd;
  }
  if (filled < length) throw new FsError('EIO', `range ${position}+${length} runs past the recorded data (${extentStart} bytes)`);
  return out;
}
