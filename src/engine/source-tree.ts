// The engine's input: the desired state of the next session as a tree of entries (names and link targets are bytes).

import type { ZisofsInfo } from '../iso9660/rrip';
import type { Extent, NodeAttributes } from '../tree/node';

/** Where a file's bytes come from. */
export type SourceContent =
  /** Data already on the medium (an older session): never rewritten, the new records point at these extents. */
  | {
      from: 'old';
      extents: readonly Extent[];
      /** The old extents hold zisofs data (attrs.size is the uncompressed size): the new record carries a ZF entry. */
      zisofs?: ZisofsInfo;
    }
  /** A file in the staging directory, streamed into the new session. */
  | { from: 'local'; path: string | Buffer };

export interface SourceEntry {
  /** Name bytes (empty for the root). Must not contain '/' or NUL, nor be "." or "..". */
  name: Buffer;
  attrs: NodeAttributes;
  /** Entries with the same linkId are hard links of one inode (files only; one content is used). */
  linkId?: string;
  /** Target bytes, for attrs.kind === 'symlink'. */
  symlinkTarget?: Buffer;
  /** File content, for attrs.kind === 'file' (absent: an empty file). */
  content?: SourceContent;
  /** Directory children, for attrs.kind === 'dir'. */
  children?: SourceEntry[];
  /** Desktop clutter (.DS_Store, Thumbs.db, ...) the overlay's policy chose to commit anyway. */
  clutter?: boolean;
}

export interface SourceTree {
  root: SourceEntry;
  /** A previous session's El Torito boot record block (2048 bytes), carried into the new VD set verbatim. */
  bootRecord?: Buffer;
}

export function isDirEntry(e: SourceEntry): boolean {
  return e.attrs.kind === 'dir';
}

/** Depth-first walk (pre-order), children in the given order. */
export function* walkSourceTree(root: SourceEntry, path: Buffer[] = []): Generator<{ entry: SourceEntry; path: Buffer[] }> {
  yield { entry: root, path };
  for (const child of root.children ?? []) yield* walkSourceTree(child, [...path, child.name]);
}

/** The display path of an entry, for messages. */
export function displayPath(path: readonly Buffer[]): string {
  return '/' + path.map((p) => p.toString('utf8')).join('/');
}
