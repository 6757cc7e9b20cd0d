// Stage "write data": streams new file contents into the image in bounded buffers, block aligned and zero padded.

import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import { BLOCK_SIZE } from '../medium/medium';
import { DiscfsError } from '../util/errors';
import type { SessionLayout } from './layout';
import type { PlannedNode } from './plan';
import { displayPath } from './source-tree';

/** One buffer's worth of copy: memory stays constant whatever the file sizes. */
export const COPY_BUFFER_BYTES = 1 << 20;

export type CommitPhase = 'plan' | 'data' | 'tree' | 'descriptors' | 'head' | 'verify';

export interface Progress {
  phase: CommitPhase;
  bytesDone: number;
  bytesTotal: number;
}

/**
 * Where session blocks go, by byte position: an image file's FileHandle, or a drive's sequential writer
 * (src/drive/sequential-writer.ts), which takes the writes in ascending order only.
 */
export interface BlockTarget {
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<unknown>;
  sync(): Promise<void>;
}

export interface WriteContext {
  image: BlockTarget;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DiscfsError('ENGINE_ABORTED', 'the commit was aborted; the image is unchanged', {}, { cause: signal.reason });
}

/** Streams one file with two buffers: the next piece is read while the current one is written. */
async function copyOne(ctx: WriteContext, source: string | Buffer, lba: number, bytes: number, buffers: readonly [Buffer, Buffer], report: (n: number) => void): Promise<Buffer> {
  const hash = crypto.createHash('sha256');
  const input = await fs.open(source, 'r');
  try {
    const st = await input.stat();
    if (st.size !== bytes) throw new DiscfsError('ENGINE_SOURCE_CHANGED', `${source.toString()} is ${st.size} bytes, planned ${bytes}`, { path: source.toString() });
    const readAt = (buf: Buffer, position: number): Promise<{ bytesRead: number }> => {
      const p = input.read(buf, 0, Math.min(buf.length, bytes - position), position);
      p.catch(() => undefined); // awaited below; a write failure meanwhile must not leave it unhandled
      return p;
    };
    let done = 0;
    let turn = 0;
    let pending = readAt(buffers[0], 0);
    while (done < bytes) {
      throwIfAborted(ctx.signal);
      const buffer = buffers[turn % 2];
      const { bytesRead } = await pending;
      if (bytesRead === 0) throw new DiscfsError('ENGINE_SOURCE_CHANGED', `${source.toString()} shrank while being written`, { path: source.toString() });
      if (done + bytesRead < bytes) pending = readAt(buffers[(turn + 1) % 2], done + bytesRead);
      // The last piece is padded to a whole block so the next file starts clean.
      const padded = done + bytesRead === bytes ? Math.ceil(bytesRead / BLOCK_SIZE) * BLOCK_SIZE : bytesRead;
      hash.update(buffer.subarray(0, bytesRead));
      buffer.fill(0, bytesRead, padded);
      await ctx.image.write(buffer, 0, padded, lba * BLOCK_SIZE + done);
      done += bytesRead;
      turn++;
      report(bytesRead);
    }
  } finally {
    await input.close();
  }
  return hash.digest();
}

/** Reads a whole small file into its own block-padded buffer, checking the planned size. */
async function readSmall(source: string | Buffer, bytes: number): Promise<Buffer> {
  const input = await fs.open(source, 'r');
  try {
    const buf = Buffer.alloc(Math.ceil(bytes / BLOCK_SIZE) * BLOCK_SIZE);
    // One byte more than planned shows a file that grew; fewer shows one that shrank.
    const probe = Buffer.alloc(1);
    const { bytesRead } = await input.read(buf, 0, bytes, 0);
    const { bytesRead: extra } = await input.read(probe, 0, 1, bytes);
    if (bytesRead !== bytes || extra !== 0) throw new DiscfsError('ENGINE_SOURCE_CHANGED', `${source.toString()} is no longer ${bytes} bytes`, { path: source.toString() });
    return buf;
  } finally {
    await input.close();
  }
}

/** Small files read ahead while earlier ones are written: open/read/close latency, not bandwidth, bounds small files. */
const READ_AHEAD_FILES = 16;

/**
 * Writes every new (local) file of the layout at its planned LBA, in ascending order (a drive's sequential writer
 * takes nothing else). Files up to one buffer are read ahead (at most READ_AHEAD_FILES buffers in memory).
 */
export async function writeData(ctx: WriteContext, layout: SessionLayout): Promise<Map<PlannedNode, Buffer>> {
  const hashes = new Map<PlannedNode, Buffer>();
  const bytesTotal = layout.newData.reduce((n, d) => n + d.bytes, 0);
  let bytesDone = 0;
  const report = (n: number): void => {
    bytesDone += n;
    ctx.onProgress?.({ phase: 'data', bytesDone, bytesTotal });
  };
  const buffers: [Buffer, Buffer] = [Buffer.alloc(COPY_BUFFER_BYTES), Buffer.alloc(COPY_BUFFER_BYTES)];
  const ahead = new Map<number, Promise<Buffer | undefined>>();
  const sourceOf = (i: number): string | Buffer => {
    const c = layout.newData[i].node.content;
    if (c?.from !== 'local') throw new Error(`internal: ${displayPath(layout.newData[i].node.path)} has no local content`);
    return c.path;
  };
  const start = (i: number): void => {
    const d = layout.newData[i];
    const p = d.bytes <= COPY_BUFFER_BYTES ? readSmall(sourceOf(i), d.bytes) : Promise.resolve(undefined);
    p.catch(() => undefined); // awaited in order below; a failure ahead must not count as unhandled meanwhile
    ahead.set(i, p);
  };
  ctx.onProgress?.({ phase: 'data', bytesDone, bytesTotal });
  let started = 0;
  for (let i = 0; i < layout.newData.length; i++) {
    throwIfAborted(ctx.signal);
    for (; started < Math.min(layout.newData.length, i + READ_AHEAD_FILES); started++) start(started);
    const d = layout.newData[i];
    const small = await ahead.get(i);
    ahead.delete(i);
    if (small) {
      await ctx.image.write(small, 0, small.length, d.lba * BLOCK_SIZE);
      hashes.set(d.node, crypto.createHash('sha256').update(small.subarray(0, d.bytes)).digest());
      report(d.bytes);
    } else hashes.set(d.node, await copyOne(ctx, sourceOf(i), d.lba, d.bytes, buffers, report));
  }
  return hashes;
}
