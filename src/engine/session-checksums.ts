// The new session's checksum table: new data hashed while written; older data's checksums stay in the chained older tables.

import { openImageFile } from '../medium/image-file';
import type { ExistingSession, ImageState } from './growing-image';
import { encodeTable, readMarker, tableBlocks } from './checksum-table';
import type { SessionLayout } from './layout';
import type { PlannedNode } from './plan';

/** Start LBA of the image's newest session, if it carries a checksum table (the new table chains to it). */
export async function previousChecksumSession(state: ImageState): Promise<number | undefined> {
  const last: ExistingSession | undefined = state.sessions[state.sessions.length - 1];
  if (state.blank || !last) return undefined;
  const medium = await openImageFile(state.imagePath);
  try {
    return readMarker(await medium.read(last.start + 16, 1)) ? last.start : undefined;
  } finally {
    await medium.close();
  }
}

/** Reserves the table's blocks at the end of the session (after the data): one entry per newly written file. */
export function reserveChecksumTable(layout: SessionLayout, previousSession: number | undefined): void {
  const entries = layout.newData.length;
  const blocks = tableBlocks(entries);
  layout.checksumTable = { lba: layout.start + layout.size, blocks, entries, previousSession };
  layout.size += blocks;
}

/** The table's blocks, once the new data's hashes are known. */
export function encodeSessionTable(layout: SessionLayout, hashes: ReadonlyMap<PlannedNode, Buffer>): Buffer {
  return encodeTable(
    layout.newData.map((d) => {
      const sha256 = hashes.get(d.node);
      if (!sha256) throw new Error('internal: new data written without a hash');
      return { lba: d.lba, size: d.bytes, sha256 };
    }),
  );
}
