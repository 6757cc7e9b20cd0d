// File content of overlay nodes: reads across medium, staged data and chunk maps; copy-up on the first content change.

import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { LowerNode, LowerTree } from '../tree/lower-tree';
import type { DataFiles } from './data-files';
import type { NodeRecord } from './node-record';
import type { StagingStore } from './staging-store';

/** Lower files up to this size are copied up whole on their first change; bigger ones chunk by chunk. */
export const WHOLE_COPY_LIMIT = 4 * 1024 * 1024;
export const CHUNK_SIZE = 1024 * 1024;

/** What a content change adds to the database, committed by the caller together with the node record. */
export interface ContentCommit {
  chunks: number[];
}

export class ContentStore {
  /** Present chunks of chunked files, mirrored from the chunk table. */
  private readonly chunkCache = new Map<bigint, Set<number>>();

  constructor(
    private readonly store: StagingStore,
    private readonly files: DataFiles,
    private readonly lower: LowerTree,
  ) {}

  /** Reads [position, position+length) of the node's content into buffer; returns the byte count (0 at EOF). */
  async read(rec: NodeRecord, lowerNode: LowerNode | undefined, buffer: Buffer, length: number, position: number): Promise<number> {
    const end = Math.min(rec.size, position + length);
    if (position >= end) return 0;
    const count = end - position;
    const out = buffer.subarray(0, count);
    switch (rec.content) {
      case 'lower':
        await this.readLower(lowerNode, rec.lowerLimit, out, position);
        break;
      case 'whole':
        await this.files.use(rec.ino, (fh) => readFully(fh, out, position));
        break;
      case 'chunked':
        await this.readChunked(rec, lowerNode, out, position);
        break;
      case 'none':
        out.fill(0);
    }
    return count;
  }

  /**
   * Makes [position, position+length) of the content writable in data/<ino>: copies the lower file up (whole, or
   * the touched chunks), and clears stale bytes past the size that a write which crashed before its commit left.
   * Updates rec.content in place; the caller commits rec and the returned chunks in its transaction.
   */
  async prepareWrite(rec: NodeRecord, lowerNode: LowerNode | undefined, position: number, length: number): Promise<ContentCommit> {
    if (rec.content === 'lower') await this.startCopyUp(rec, lowerNode);
    if (rec.content === 'none') {
      await this.files.create(rec.ino);
      rec.content = 'whole';
    }
    if (position > rec.size) await this.files.use(rec.ino, (fh) => fh.truncate(rec.size));
    if (rec.content !== 'chunked' || length === 0) return { chunks: [] };
    const present = this.chunksOf(rec.ino);
    const added: number[] = [];
    const last = Math.floor((position + length - 1) / CHUNK_SIZE);
    for (let idx = Math.floor(position / CHUNK_SIZE); idx <= last; idx++) {
      if (present.has(idx)) continue;
      await this.copyChunk(rec, lowerNode, idx);
      added.push(idx);
    }
    return { chunks: added };
  }

  async write(rec: NodeRecord, buffer: Buffer, length: number, position: number): Promise<void> {
    // Synchronous on the open descriptor: the page cache answers in microseconds, a thread-pool hop costs more.
    await this.files.use(rec.ino, async (fh) => {
      let done = 0;
      while (done < length) done += fs.writeSync(fh.fd, buffer, done, length - done, position + done);
    });
  }

  /** Changes the size; a lower file is copied up (small) or becomes chunked with a lowered limit (no copy). */
  async truncate(rec: NodeRecord, lowerNode: LowerNode | undefined, size: number): Promise<void> {
    if (rec.content === 'lower') {
      if (rec.size > WHOLE_COPY_LIMIT) {
        await this.files.create(rec.ino);
        rec.content = 'chunked';
      } else {
        await this.copyWhole(rec, lowerNode, Math.min(size, rec.size));
      }
    }
    if (rec.content === 'none') {
      await this.files.create(rec.ino);
      rec.content = 'whole';
    }
    await this.files.use(rec.ino, async (fh) => {
      // Cut first: bytes past the old size may be left over from a write that never committed.
      await fh.truncate(Math.min(size, rec.size));
      await fh.truncate(size);
    });
    rec.lowerLimit = Math.min(rec.lowerLimit, size);
  }

  /** Records chunks in the database (inside the caller's transaction) and in the cache. */
  commitChunks(ino: bigint, commit: ContentCommit): void {
    if (commit.chunks.length === 0) return;
    const cached = this.chunksOf(ino);
    for (const idx of commit.chunks) {
      this.store.addChunk(ino, idx);
      cached.add(idx);
    }
  }

  /** Drops chunk entries at or past `size` (after a truncate). */
  dropChunksFrom(ino: bigint, size: number): void {
    const first = Math.ceil(size / CHUNK_SIZE);
    this.store.deleteChunksFrom(ino, first);
    const cached = this.chunkCache.get(ino);
    if (cached !== undefined) for (const idx of [...cached]) if (idx >= first) cached.delete(idx);
  }

  forget(ino: bigint): void {
    this.chunkCache.delete(ino);
  }

  /** Called when a transaction failed: the cache may hold chunks the database does not. */
  invalidate(ino: bigint): void {
    this.chunkCache.delete(ino);
  }

  /** Fills every absent chunk from the medium so the data file alone holds the content (before a commit). */
  async consolidate(rec: NodeRecord, lowerNode: LowerNode | undefined): Promise<void> {
    if (rec.content !== 'chunked') return;
    const present = this.chunksOf(rec.ino);
    const chunks = Math.ceil(rec.size / CHUNK_SIZE);
    for (let idx = 0; idx < chunks; idx++) if (!present.has(idx)) await this.copyChunk(rec, lowerNode, idx);
    await this.files.use(rec.ino, (fh) => fh.truncate(rec.size));
    rec.content = 'whole';
  }

  stagedBytes(rec: NodeRecord): number {
    if (rec.content === 'whole') return rec.size;
    if (rec.content === 'chunked') return Math.min(rec.size, this.chunksOf(rec.ino).size * CHUNK_SIZE);
    return 0;
  }

  chunksOf(ino: bigint): Set<number> {
    let set = this.chunkCache.get(ino);
    if (set === undefined) {
      set = this.store.chunkIndexes(ino);
      this.chunkCache.set(ino, set);
    }
    return set;
  }

  private async startCopyUp(rec: NodeRecord, lowerNode: LowerNode | undefined): Promise<void> {
    if (rec.size <= WHOLE_COPY_LIMIT) {
      await this.copyWhole(rec, lowerNode, rec.size);
    } else {
      await this.files.create(rec.ino);
      this.chunkCache.set(rec.ino, new Set());
      rec.content = 'chunked';
    }
  }

  private async copyWhole(rec: NodeRecord, lowerNode: LowerNode | undefined, bytes: number): Promise<void> {
    await this.files.create(rec.ino);
    for (let pos = 0; pos < bytes; pos += CHUNK_SIZE) {
      const piece = Buffer.alloc(Math.min(CHUNK_SIZE, bytes - pos));
      await this.readLower(lowerNode, rec.lowerLimit, piece, pos);
      await this.write(rec, piece, piece.length, pos);
    }
    rec.content = 'whole';
  }

  /** Writes the whole chunk (medium bytes, zeros past the limit) so no stale byte of an earlier crash survives. */
  private async copyChunk(rec: NodeRecord, lowerNode: LowerNode | undefined, idx: number): Promise<void> {
    const start = idx * CHUNK_SIZE;
    const piece = Buffer.alloc(CHUNK_SIZE);
    await this.readLower(lowerNode, rec.lowerLimit, piece, start);
    await this.write(rec, piece, piece.length, start);
  }

  /** Fills `out` with lower bytes at `position`, zeros at and past `limit` (a truncate lowered it). */
  private async readLower(lowerNode: LowerNode | undefined, limit: number, out: Buffer, position: number): Promise<void> {
    const fromLower = Math.max(0, Math.min(out.length, limit - position));
    if (fromLower > 0) {
      if (lowerNode === undefined) throw new Error('overlay: lower content without its lower node');
      const got = await this.lower.read(lowerNode, position, fromLower);
      const n = Math.min(got.length, fromLower);
      got.copy(out, 0, 0, n);
      out.fill(0, n, fromLower);
    }
    out.fill(0, fromLower);
  }

  private async readChunked(rec: NodeRecord, lowerNode: LowerNode | undefined, out: Buffer, position: number): Promise<void> {
    const present = this.chunksOf(rec.ino);
    let done = 0;
    while (done < out.length) {
      const pos = position + done;
      const idx = Math.floor(pos / CHUNK_SIZE);
      const span = Math.min(out.length - done, (idx + 1) * CHUNK_SIZE - pos);
      const part = out.subarray(done, done + span);
      if (present.has(idx)) await this.files.use(rec.ino, (fh) => readFully(fh, part, pos));
      else await this.readLower(lowerNode, rec.lowerLimit, part, pos);
      done += span;
    }
  }
}

/** Reads out.length bytes at position; what lies past the data file's end reads as zeros (a sparse tail). */
async function readFully(fh: FileHandle, out: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < out.length) {
    const bytesRead = fs.readSync(fh.fd, out, done, out.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  out.fill(0, done);
}
