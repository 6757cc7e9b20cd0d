// A read-only directory tree of one session, as the overlay and the engine see it.
// Implemented by the ISO 9660 reader (src/tree/iso-volume.ts); names and link targets are raw bytes.

import type { ZisofsInfo } from '../iso9660/rrip';
import type { Extent, NodeAttributes } from './node';

export interface LowerNode {
  /** Stable inode number: the Rock Ridge PX serial when recorded, else derived from the record's own location. */
  readonly id: bigint;
  /** The entry's name as recorded in the chosen view (empty for the root). */
  readonly name: Buffer;
  readonly attrs: NodeAttributes;
  /** File data on the medium, in file order. Empty for non-files and empty files. */
  readonly extents: readonly Extent[];
  /** Symlink target bytes (kind 'symlink' only). */
  readonly symlinkTarget?: Buffer;
  /** True when the data is zisofs-compressed on the medium (reads decompress; extents hold the compressed form). */
  readonly compressed?: boolean;
  /** The ZF parameters of compressed data (set with `compressed`), so a new session can carry the entry over. */
  readonly zisofs?: ZisofsInfo;
}

export interface LowerTree {
  readonly root: LowerNode;
  /** Children of a directory, in recorded order, without "." and "..". Loaded lazily and cached. */
  list(dir: LowerNode): Promise<readonly LowerNode[]>;
  lookup(dir: LowerNode, name: Buffer): Promise<LowerNode | undefined>;
  /** File content bytes [position, position+length) clipped to the size; rejects with FsError('EIO') on damage. */
  read(node: LowerNode, position: number, length: number): Promise<Buffer>;
  /** Defects found so far (path, field, what): shown as warnings, never thrown. */
  readonly warnings: readonly string[];
}
