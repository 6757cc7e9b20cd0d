// discfs checksum table: SHA-256 per file extent in blocks no directory points at, announced in the PVD's
// Application Use field (ECMA-119 8.4.32, content "not specified" by the standard). Layout documented in docs/engine.md.

import { BLOCK_SIZE } from '../medium/medium';

/**
 * At PVD offset 883 (Application Use): magic, then table LBA, block count, entry count and the previous session's
 * start LBA (u32 LE each; 0xFFFFFFFF: none). A table lists only the data its session wrote; older data's checksums
 * are found by following the chain of previous sessions.
 */
export const MARKER_MAGIC = Buffer.from('DISCFS-SHA256-TABLE-2\0', 'latin1');
export const APPLICATION_USE_OFFSET = 883;
const MARKER_LENGTH = MARKER_MAGIC.length + 16;
const NO_PREVIOUS = 0xffff_ffff;

/** One entry: first LBA (u32 LE), size (u64 LE), SHA-256 of the file's content as read back (32 bytes). */
export const ENTRY_BYTES = 44;
export const ENTRIES_PER_BLOCK = Math.floor(BLOCK_SIZE / ENTRY_BYTES);

export interface ChecksumEntry {
  lba: number;
  size: number;
  sha256: Buffer;
}

export interface TableLocation {
  lba: number;
  blocks: number;
  entries: number;
  /** Start LBA of the previous session, whose own marker continues the chain. */
  previousSession?: number;
}

export function tableBlocks(entries: number): number {
  return Math.ceil(entries / ENTRIES_PER_BLOCK);
}

/** The key an entry is found by: a file's first extent and its size. */
export function entryKey(lba: number, size: number): string {
  return `${lba}:${size}`;
}

export function writeMarker(pvd: Buffer, at: TableLocation): void {
  const o = APPLICATION_USE_OFFSET;
  MARKER_MAGIC.copy(pvd, o);
  pvd.writeUInt32LE(at.lba, o + MARKER_MAGIC.length);
  pvd.writeUInt32LE(at.blocks, o + MARKER_MAGIC.length + 4);
  pvd.writeUInt32LE(at.entries, o + MARKER_MAGIC.length + 8);
  pvd.writeUInt32LE(at.previousSession ?? NO_PREVIOUS, o + MARKER_MAGIC.length + 12);
}

/** The table's place from a PVD, or undefined when it has no (or an inconsistent) marker. */
export function readMarker(pvd: Buffer): TableLocation | undefined {
  const o = APPLICATION_USE_OFFSET;
  if (pvd.length < o + MARKER_LENGTH || !pvd.subarray(o, o + MARKER_MAGIC.length).equals(MARKER_MAGIC)) return undefined;
  const at = {
    lba: pvd.readUInt32LE(o + MARKER_MAGIC.length),
    blocks: pvd.readUInt32LE(o + MARKER_MAGIC.length + 4),
    entries: pvd.readUInt32LE(o + MARKER_MAGIC.length + 8),
  };
  const previous = pvd.readUInt32LE(o + MARKER_MAGIC.length + 12);
  if (at.blocks !== tableBlocks(at.entries)) return undefined;
  return previous === NO_PREVIOUS ? at : { ...at, previousSession: previous };
}

/** Entries sorted by LBA, packed ENTRIES_PER_BLOCK to a block (no entry crosses a block). */
export function encodeTable(entries: readonly ChecksumEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => a.lba - b.lba || a.size - b.size);
  const buf = Buffer.alloc(tableBlocks(sorted.length) * BLOCK_SIZE);
  sorted.forEach((e, i) => {
    const at = Math.floor(i / ENTRIES_PER_BLOCK) * BLOCK_SIZE + (i % ENTRIES_PER_BLOCK) * ENTRY_BYTES;
    buf.writeUInt32LE(e.lba, at);
    buf.writeBigUInt64LE(BigInt(e.size), at + 4);
    e.sha256.copy(buf, at + 12, 0, 32);
  });
  return buf;
}

/** Decodes `count` entries from one block of the table (the entries it holds: index `first` onward). */
export function decodeTableBlock(block: Buffer, first: number, total: number): ChecksumEntry[] {
  const out: ChecksumEntry[] = [];
  for (let i = 0; i < ENTRIES_PER_BLOCK && first + i < total; i++) {
    const at = i * ENTRY_BYTES;
    if (at + ENTRY_BYTES > block.length) break;
    out.push({ lba: block.readUInt32LE(at), size: Number(block.readBigUInt64LE(at + 4)), sha256: Buffer.from(block.subarray(at + 12, at + 44)) });
  }
  return out;
}
