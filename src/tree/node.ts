// The directory tree model shared by the reader (an old session), the overlay and the engine.

export type NodeKind = 'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'chardev' | 'blockdev';

/** Seconds may be negative (before 1970); nsec is 0..999,999,999. */
export interface Timespec {
  sec: number;
  nsec: number;
}

/** One contiguous run of file data on the medium. `bytes` may be 0 (an empty section). */
export interface Extent {
  lba: number;
  bytes: number;
}

/** Metadata of one entry as recorded on the medium (the Rock Ridge view, or what plain ISO 9660/Joliet implies). */
export interface NodeAttributes {
  kind: NodeKind;
  /** Full st_mode, type bits included. */
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  size: number;
  /** Device number for chardev/blockdev (Linux encoding: makedev(major, minor)). */
  rdev: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
}
