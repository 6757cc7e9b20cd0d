// Sequential recording through WRITE(10) (MMC-5 6.44, 4.5 incremental/sequential recording): strictly ascending, aligned chunks, one in flight.
import type { BlockTarget } from '../engine/data-writer';
import { BLOCK_SIZE } from '../medium/medium';
import { readBufferCapacity } from '../mmc/read-buffer-capacity';
import { writeBlocks } from '../mmc/read-write';
import { realSleep, type Sleep } from '../mmc/retry';
import { ScsiError } from '../mmc/scsi-error';
import type { Transport } from '../mmc/transport';
import { DiscfsError } from '../util/errors';

/** 64 KiB per WRITE: the upper end of what MMC drives stream well, and a multiple of every write unit. */
export const WRITE_CHUNK_BLOCKS = 32;
/** Chunks waiting for the drive: 2 MiB in user space keeps the drive buffer fed while the engine reads files. */
export const QUEUE_CHUNKS = 32;
/** "Long write in progress" (2/04/08) while the drive buffer is full: how often and how long to try again. */
const BUSY_RETRIES = 50;
const BUSY_DELAY_MS = 20;
/** READ BUFFER CAPACITY every this many chunks (progress only). */
const BUFFER_POLL_CHUNKS = 16;

export interface WriteProgress {
  /** Blocks acknowledged by the drive. */
  blocksWritten: number;
  /** Drive buffer fill 0..1 when the drive reports it. */
  bufferFill?: number;
}

export interface SequentialWriterOptions {
  /** First LBA: the NWA (write-once) or the session start (overwritable). */
  readonly startLba: number;
  /** WRITE length and alignment unit in blocks (DVD 16, BD 32, CD 1). */
  readonly writeUnitBlocks: number;
  readonly onProgress?: (p: WriteProgress) => void;
  readonly sleep?: Sleep;
}

/** A failed WRITE: where, and the drive's sense. */
export function writeFailure(lba: number, cause: unknown): DiscfsError {
  const sense = cause instanceof ScsiError ? ` (${cause.message})` : cause instanceof Error ? ` (${cause.message})` : '';
  const at = cause instanceof ScsiError && cause.sense?.information !== undefined ? cause.sense.information : lba;
  return new DiscfsError('DRIVE_WRITE', `writing at LBA ${at} failed${sense}`, {
    lba: at,
    chunkLba: lba,
    senseKey: cause instanceof ScsiError ? cause.senseKey : undefined,
    asc: cause instanceof ScsiError ? cause.asc : undefined,
    ascq: cause instanceof ScsiError ? cause.ascq : undefined,
  }, { cause });
}

/**
 * The engine writes through this as it would into a file, but only forward: a write below the cursor is an
 * internal error, a gap is filled with zeros. Bytes are cut into chunks aligned to absolute LBAs; a background
 * loop sends them one WRITE at a time; `write` waits while the queue is full, so memory stays bounded.
 */
export class SequentialWriter implements BlockTarget {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Byte position (absolute, LBA * 2048) of the next byte the engine may write. */
  private cursor: number;
  /** LBA of the first block in `pending`. */
  private pendingLba: number;
  private readonly queue: { lba: number; data: Buffer }[] = [];
  private pump: Promise<void> = Promise.resolve();
  /** Set and cleared synchronously with the loop's own check, so no chunk can be queued while nobody sends. */
  private running = false;
  private failure: DiscfsError | undefined;
  private spaceWaiters: (() => void)[] = [];
  private written = 0;
  private chunksSent = 0;
  private readonly chunkBlocks: number;

  constructor(
    private readonly transport: Transport,
    private readonly options: SequentialWriterOptions,
  ) {
    const unit = Math.max(1, options.writeUnitBlocks);
    this.chunkBlocks = Math.max(unit, Math.floor(WRITE_CHUNK_BLOCKS / unit) * unit);
    this.cursor = options.startLba * BLOCK_SIZE;
    this.pendingLba = options.startLba;
  }

  /** Next LBA the session reaches once everything written so far is flushed. */
  get endLba(): number {
    return Math.ceil(this.cursor / BLOCK_SIZE);
  }

  get blocksWritten(): number {
    return this.written;
  }

  async write(buffer: Buffer, offset: number, length: number, position: number): Promise<unknown> {
    this.throwIfFailed();
    if (position < this.cursor) {
      throw new DiscfsError('DRIVE_ORDER', `internal: write at byte ${position} after byte ${this.cursor} on sequential media`, { position });
    }
    if (position > this.cursor) this.append(Buffer.alloc(position - this.cursor));
    this.append(Buffer.from(buffer.subarray(offset, offset + length)));
    await this.cutChunks(false);
    return { bytesWritten: length };
  }

  /** Waits until the queue has drained (no padding). */
  async sync(): Promise<void> {
    await this.drain();
  }

  /** Pads the last partial block and the write unit with zeros, sends everything, waits for the drive. */
  async finish(padToBlocks = 0): Promise<number> {
    const unit = Math.max(1, this.options.writeUnitBlocks);
    let end = Math.max(this.endLba, this.options.startLba + padToBlocks);
    end = this.options.startLba + Math.ceil((end - this.options.startLba) / unit) * unit;
    if (end * BLOCK_SIZE > this.cursor) this.append(Buffer.alloc(end * BLOCK_SIZE - this.cursor));
    await this.cutChunks(true);
    await this.drain();
    return end;
  }

  private append(b: Buffer): void {
    if (b.length === 0) return;
    this.pending.push(b);
    this.pendingBytes += b.length;
    this.cursor += b.length;
  }

  /** Moves whole chunks (ending on a chunk-aligned LBA) from `pending` to the queue. */
  private async cutChunks(all: boolean): Promise<void> {
    let joined = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    for (;;) {
      const alignedEnd = (Math.floor(this.pendingLba / this.chunkBlocks) + 1) * this.chunkBlocks;
      const want = (alignedEnd - this.pendingLba) * BLOCK_SIZE;
      const available = all ? Math.floor(joined.length / BLOCK_SIZE) * BLOCK_SIZE : joined.length;
      if (available === 0 || (!all && available < want)) break;
      const take = Math.min(want, available);
      const chunk = joined.subarray(0, take);
      joined = joined.subarray(take);
      this.pendingLba += take / BLOCK_SIZE;
      await this.enqueue(this.pendingLba - take / BLOCK_SIZE, chunk);
    }
    if (joined.length > 0) {
      this.pending = [joined];
      this.pendingBytes = joined.length;
    }
  }

  private async enqueue(lba: number, data: Buffer): Promise<void> {
    while (this.queue.length >= QUEUE_CHUNKS) {
      this.throwIfFailed();
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    }
    this.throwIfFailed();
    this.queue.push({ lba, data });
    if (!this.running) {
      this.running = true;
      this.pump = this.run();
    }
  }

  /**
   * The one sender. `running` is cleared in the same synchronous step as the empty-queue check: an `await`
   * between them would let `enqueue` see a sender that is about to stop and strand its chunk.
   */
  private async run(): Promise<void> {
    for (;;) {
      if (this.queue.length === 0 || this.failure) {
        this.queue.length = 0;
        this.running = false;
        this.wakeWriters();
        return;
      }
      const item = this.queue[0];
      try {
        await this.sendWithBusyRetry(item.lba, item.data);
        this.written += item.data.length / BLOCK_SIZE;
        await this.reportProgress();
      } catch (e) {
        this.failure = writeFailure(item.lba, e);
      }
      this.queue.shift();
      this.wakeWriters();
    }
  }

  private async sendWithBusyRetry(lba: number, data: Buffer): Promise<void> {
    const sleep = this.options.sleep ?? realSleep;
    for (let attempt = 1; ; attempt++) {
      try {
        await writeBlocks(this.transport, lba, data);
        return;
      } catch (e) {
        // Only "becoming ready / long write in progress" is retried: a unit attention mid-burn may be a new medium.
        if (!(e instanceof ScsiError && e.isBecomingReady) || attempt >= BUSY_RETRIES) throw e;
        await sleep(BUSY_DELAY_MS);
      }
    }
  }

  private async reportProgress(): Promise<void> {
    if (!this.options.onProgress) return;
    this.chunksSent += 1;
    let bufferFill: number | undefined;
    if (this.chunksSent % BUFFER_POLL_CHUNKS === 0) {
      const c = await readBufferCapacity(this.transport).catch(() => undefined);
      if (c?.unit === 'bytes' && c.bufferLength > 0) bufferFill = 1 - c.blankLength / c.bufferLength;
    }
    this.options.onProgress({ blocksWritten: this.written, bufferFill });
  }

  private wakeWriters(): void {
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const w of waiters) w();
  }

  private async drain(): Promise<void> {
    while (this.running) await this.pump;
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}
