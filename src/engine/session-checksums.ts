// The new session's checksum table: new data hashed while written, unchanged data's checksums carried from the previous table.

import { openImageFile } from '../medium/image-file';
import type { ExistingSession, ImageState } from './growing-image';
import { encodeTable, entryKey, tableBlocks, type ChecksumEntry } from './checksum-table';
import type { SessionLayout } from './layout';
import type { PlannedNode, PlannedTree } from './plan';
import { readChecksumTable } from './stored-checksums';

/** The previous session's table of an image (empty when blank or written by another tool). */
export async function previousChecksums(state: ImageState): Promise<Map<string, Buffer>> {
  const last: ExistingSession | undefined = state.sessions[state.sessions.length - 1];
  if (state.blank || !last) return new Map();
  const medium = await openImageFile(state.imagePath);
  try {
    return (await readChecksumTable(medium, last.start, last.blocks)) ?? new Map();
  } finally {
    await medium.close();
  }
}

function oldEntries(planned: PlannedTree, layout: SessionLayout, previous: ReadonlyMap<string, Buffer>): ChecksumEntry[] {
  const out = new Map<string, ChecksumEntry>();
  for (const node of planned.nodes) {
    if (node.entry.attrs.kind !== 'file' || node.content?.from !== 'old' || node.entry.attrs.size === 0) continue;
    const first = layout.sections.get(node)?.[0];
    if (!first) continue;
    const key = entryKey(first.lba, node.entry.attrs.size);
    const sha256 = previous.get(key);
    if (sha256) out.set(key, { lba: first.lba, size: node.entry.attrs.size, sha256 });
  }
  return [...out.values()];
}

export interface ChecksumPlan {
  carried: ChecksumEntry[];
}

/** Reserves the table's blocks at the end of the session (after the data) and records where it is. */
export function reserveChecksumTable(planned: PlannedTree, layout: SessionLayout, previous: ReadonlyMap<string, Buffer>): ChecksumPlan {
  const carried = oldEntries(planned, layout, previous);
  const entries = carried.length + layout.newData.length;
  if (entries === 0) return { carried };
  const blocks = tableBlocks(entries);
  layout.checksumTable = { lba: layout.start + layout.size, blocks, entries };
  layout.size += blocks;
  return { carried };
}

/** The table's blocks, once the new data's hashes are known. */
export function encodeSessionTable(layout: SessionLayout, plan: ChecksumPlan, hashes: ReadonlyMap<PlannedNode, Buffer>): Buffer {
  const fresh = layout.newData.map((d) => {
    const sha256 = hashes.get(d.node);
    if (!sha256) throw new Error('internal: new data written without a hash');
    return { lba: d.lba, size: d.bytes, sha256 };
  });
  return encodeTable([...plan.carried, ...fresh]);
}
