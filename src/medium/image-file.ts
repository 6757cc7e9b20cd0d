// A Medium over an image file: read-only descriptor, positional reads, nothing outside the file.

import fs from 'node:fs/promises';
import { DiscfsError, FsError } from '../util/errors';
import { BLOCK_SIZE, type Medium } from './medium';

/** Largest single read: keeps one request (and its buffer) bounded whatever a caller computes. */
export const MAX_READ_BLOCKS = 512;

export class ImageFileMedium implements Medium {
  private closed = false;

  private constructor(
    readonly description: string,
    private readonly handle: fs.FileHandle,
    /** Whole 2048-byte blocks in the file; a partial last block is not readable. */
    readonly blocks: number,
    readonly byteLength: number,
  ) {}

  static async open(path: string): Promise<ImageFileMedium> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(path, 'r');
    } catch (e) {
      throw new DiscfsError('IMAGE_OPEN', `cannot open image ${path}: ${(e as Error).message}`, { path }, { cause: e });
    }
    const st = await handle.stat();
    if (!st.isFile() && !st.isBlockDevice()) {
      await handle.close();
      throw new DiscfsError('IMAGE_NOT_FILE', `${path} is not a regular file or block device`, { path });
    }
    const size = st.isFile() ? st.size : await blockDeviceSize(handle);
    return new ImageFileMedium(path, handle, Math.floor(size / BLOCK_SIZE), size);
  }

  async read(lba: number, count: number): Promise<Buffer> {
    if (this.closed) throw new FsError('EIO', `${this.description}: medium is closed`);
    if (!Number.isSafeInteger(lba) || !Number.isSafeInteger(count) || lba < 0 || count < 0 || lba + count > this.blocks) {
      throw new FsError('EIO', `${this.description}: blocks ${lba}..${lba + count - 1} lie outside 0..${this.blocks - 1}`, { lba, count });
    }
    if (count > MAX_READ_BLOCKS) {
      const parts: Buffer[] = [];
      for (let at = 0; at < count; at += MAX_READ_BLOCKS) parts.push(await this.read(lba + at, Math.min(MAX_READ_BLOCKS, count - at)));
      return Buffer.concat(parts);
    }
    const buf = Buffer.alloc(count * BLOCK_SIZE);
    let done = 0;
    while (done < buf.length) {
      const { bytesRead } = await this.handle.read(buf, done, buf.length - done, lba * BLOCK_SIZE + done);
      if (bytesRead === 0) throw new FsError('EIO', `${this.description}: short read at block ${lba} (file shrank?)`, { lba });
      done += bytesRead;
    }
    return buf;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}

async function blockDeviceSize(handle: fs.FileHandle): Promise<number> {
  // fstat gives 0 for block devices; the end position found by reading is not needed: seek via a 1-byte probe search.
  let low = 0;
  let high = 2 ** 44;
  const probe = Buffer.alloc(1);
  while (low < high) {
    const mid = Math.floor((low + high + 1) / 2);
    const { bytesRead } = await handle.read(probe, 0, 1, mid - 1);
    if (bytesRead === 1) low = mid;
    else high = mid - 1;
  }
  return low;
}

export function openImageFile(path: string): Promise<ImageFileMedium> {
  return ImageFileMedium.open(path);
}
