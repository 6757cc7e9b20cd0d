// Space accounting: what the medium can still take after the pending session, and what the staging disk holds.

import fs from 'node:fs';
import { BLOCK_SIZE } from '../medium/medium';
import type { StatFs } from '../fuse/filesystem';
import { FsError } from '../util/errors';
import { NAME_MAX } from './names';

export interface MediumCapacity {
  /** Capacity of the medium in 2048-byte blocks (statfs f_blocks). */
  blocks: number;
  /** Blocks still writable before the pending session. */
  freeBlocks: number;
  /** Blocks the directory tree of the lower session needs when written again in the new session. */
  baseTreeBlocks?: number;
}

/**
 * Bytes the new session's tree needs per staged entry: an ISO 9660 record with Rock Ridge (~130), a Joliet record
 * (~100) and path table shares; deliberately generous, since running out at commit is worse than at write.
 */
const TREE_BYTES_PER_ENTRY = 300;
/** The volume descriptor set and session lead-in overhead of an appended session. */
const SESSION_OVERHEAD_BLOCKS = 32;

export class SpaceAccount {
  /** Staged content bytes (whole copies, chunks), kept exact per operation and recomputed at open. */
  stagedBytes = 0;

  constructor(
    private readonly capacity: MediumCapacity,
    private readonly stagingDir: string,
  ) {}

  get mediumBytes(): number {
    return this.capacity.blocks * BLOCK_SIZE;
  }

  pendingBlocks(liveEntries: number): number {
    const data = Math.ceil(this.stagedBytes / BLOCK_SIZE);
    const tree = Math.ceil((liveEntries * TREE_BYTES_PER_ENTRY) / BLOCK_SIZE) + (this.capacity.baseTreeBlocks ?? 0);
    return data + tree + SESSION_OVERHEAD_BLOCKS;
  }

  /** Free bytes for new content: the medium after the pending session, bounded by the staging disk. */
  availableBytes(liveEntries: number): number {
    const medium = Math.max(0, this.capacity.freeBlocks - this.pendingBlocks(liveEntries)) * BLOCK_SIZE;
    return Math.min(medium, this.stagingFreeBytes());
  }

  /** EFBIG for a size the medium could never hold, ENOSPC when `growth` more bytes do not fit now. */
  check(newSize: number, growth: number, liveEntries: number): void {
    if (newSize > this.mediumBytes) throw new FsError('EFBIG', `size ${newSize} exceeds the medium`);
    if (growth > 0 && growth > this.availableBytes(liveEntries)) throw new FsError('ENOSPC');
  }

  statfs(liveEntries: number): StatFs {
    const free = Math.floor(this.availableBytes(liveEntries) / BLOCK_SIZE);
    return {
      bsize: BLOCK_SIZE,
      frsize: BLOCK_SIZE,
      blocks: this.capacity.blocks,
      bfree: free,
      bavail: free,
      files: liveEntries + free,
      ffree: free,
      favail: free,
      namemax: NAME_MAX,
    };
  }

  private stagingFreeBytes(): number {
    const s = fs.statfsSync(this.stagingDir);
    return s.bavail * s.bsize;
  }
}
