// Stage "write data": streams new file contents into the image in bounded buffers, block aligned and zero padded.

import fs from 'node:fs/promises';
import { BLOCK_SIZE } from '../medium/medium';
import { DiscfsError } from '../util/errors';
import type { SessionLayout } from './layout';
import { displayPath } from './source-tree';

/** One buffer's worth of copy: memory stays constant whatever the file sizes. */
export const COPY_BUFFER_BYTES = 1 << 20;

export type CommitPhase = 'plan' | 'data' | 'tree' | 'descriptors' | 'head' | 'verify';

export interface Progress {
  phase: CommitPhase;
  bytesDone: number;
  bytesTotal: number;
}

export interface WriteContext {
  image: fs.FileHandle;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DiscfsError('ENGINE_ABORTED', 'the commit was aborted; the image is unchanged', {}, { cause: signal.reason });
}

async function copyOne(ctx: WriteContext, source: string | Buffer, lba: number, bytes: number, buffer: Buffer, report: (n: number) => void): Promise<void> {
  const input = await fs.open(source, 'r');
  try {
    const st = await input.stat();
    if (st.size !== bytes) throw new DiscfsError('ENGINE_SOURCE_CHANGED', `${source.toString()} is ${st.size} bytes, planned ${bytes}`, { path: source.toString() });
    let done = 0;
    while (done < bytes) {
      throwIfAborted(ctx.signal);
      const want = Math.min(buffer.length, bytes - done);
      const { bytesRead } = await input.read(buffer, 0, want, done);
      if (bytesRead === 0) throw new DiscfsError('ENGINE_SOURCE_CHANGED', `${source.toString()} shrank while being written`, { path: source.toString() });
      // The last piece is padded to a whole block so the next file starts clean.
      const padded = done + bytesRead === bytes ? Math.ceil(bytesRead / BLOCK_SIZE) * BLOCK_SIZE : bytesRead;
      buffer.fill(0, bytesRead, padded);
      await ctx.image.write(buffer, 0, padded, lba * BLOCK_SIZE + done);
      done += bytesRead;
      report(bytesRead);
    }
  } finally {
    await input.close();
  }
}

/** Writes every new (local) file of the layout at its planned LBA. */
export async function writeData(ctx: WriteContext, layout: SessionLayout): Promise<void> {
  const bytesTotal = layout.newData.reduce((n, d) => n + d.bytes, 0);
  let bytesDone = 0;
  const buffer = Buffer.alloc(COPY_BUFFER_BYTES);
  ctx.onProgress?.({ phase: 'data', bytesDone, bytesTotal });
  for (const d of layout.newData) {
    const c = d.node.content;
    if (c?.from !== 'local') throw new Error(`internal: ${displayPath(d.node.path)} has no local content`);
    await copyOne(ctx, c.path, d.lba, d.bytes, buffer, (n) => {
      bytesDone += n;
      ctx.onProgress?.({ phase: 'data', bytesDone, bytesTotal });
    });
  }
}
