// Writing one laid-out session in ascending LBA order (ECMA-119 6.2 system area, 8 descriptors, 9.4 path tables, 6.8 directories, data).
import { writeTree } from '../engine/commit';
import { writeData, type Progress, type WriteContext } from '../engine/data-writer';
import { encodeDescriptorSet } from '../engine/descriptors';
import { DEFAULT_SECTION_SIZE, layoutSession, type SessionLayout } from '../engine/layout';
import { planTree, type PlannedTree } from '../engine/plan';
import type { SourceTree } from '../engine/source-tree';
import { BLOCK_SIZE } from '../medium/medium';
import type { Timespec } from '../tree/node';
import type { SequentialWriter } from './sequential-writer';

export interface SessionContent {
  planned: PlannedTree;
  layout: SessionLayout;
}

export interface SessionIdentity {
  volumeId: string;
  now: Timespec;
}

/** Plans and lays out the tree at an absolute start LBA (the NWA, or the growing-layout start). */
export function layOutAt(tree: SourceTree, start: number, sectionSize = DEFAULT_SECTION_SIZE): SessionContent {
  const planned = planTree(tree);
  return { planned, layout: layoutSession(planned, { start, sectionSize }) };
}

/**
 * The engine's stages in the order their blocks lie: system area, the session's own descriptor set (it only
 * needs the layout, so it can come first), path tables and directories, then file data. On sequential media
 * nothing may be written twice or backwards, unlike the image path, which writes the descriptors last.
 */
export async function writeSessionInOrder(
  writer: SequentialWriter,
  content: SessionContent,
  id: SessionIdentity,
  onProgress?: (p: Progress) => void,
  signal?: AbortSignal,
): Promise<void> {
  const { layout, planned } = content;
  const ctx: WriteContext = { image: writer, signal, onProgress };
  const systemArea = Buffer.alloc(16 * BLOCK_SIZE);
  await writer.write(systemArea, 0, systemArea.length, layout.start * BLOCK_SIZE);
  onProgress?.({ phase: 'descriptors', bytesDone: 0, bytesTotal: 1 });
  const own = encodeDescriptorSet(layout, { volumeId: id.volumeId, now: id.now, volumeSpaceSize: layout.size, bootRecord: planned.bootRecord });
  await writer.write(own, 0, own.length, (layout.start + 16) * BLOCK_SIZE);
  onProgress?.({ phase: 'tree', bytesDone: 0, bytesTotal: layout.isoDirs.length + layout.jolietDirs.length });
  await writeTree(ctx, layout);
  await writeData(ctx, layout);
}

/** The 32-block head of an overwritable medium: LBA 0..15 kept, then the newest set with the absolute end as Volume Space Size. */
export function encodeHead(systemArea: Buffer, content: SessionContent, id: SessionIdentity, headBlocks: number): Buffer {
  const { layout, planned } = content;
  const head = Buffer.alloc(headBlocks * BLOCK_SIZE);
  systemArea.copy(head, 0, 0, Math.min(systemArea.length, 16 * BLOCK_SIZE));
  const set = encodeDescriptorSet(layout, {
    volumeId: id.volumeId,
    now: id.now,
    volumeSpaceSize: layout.start + layout.size,
    bootRecord: planned.bootRecord,
  });
  set.copy(head, 16 * BLOCK_SIZE);
  return head;
}
