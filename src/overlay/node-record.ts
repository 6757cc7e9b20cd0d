// The overlay's record of one inode (a staged node, or a lower node that was touched), and its database row form.

import type { LowerNode } from '../tree/lower-tree';
import type { NodeKind, Timespec } from '../tree/node';
import { asBigint, asBuffer, asNumber, type SqlRow, type SqlValue } from './sqlite';

/**
 * Where a file's bytes are: `lower` all on the medium; `whole` all in data/<ino>; `chunked` the chunks listed in the
 * chunk table are in data/<ino> (a sparse file), the others come from the medium below `lowerLimit`, zeros above it.
 */
export type ContentState = 'none' | 'lower' | 'whole' | 'chunked';

export interface NodeRecord {
  ino: bigint;
  kind: NodeKind;
  /** Full st_mode, type bits included. */
  mode: number;
  /** The owner that will be burnt. */
  uid: number;
  gid: number;
  rdev: number;
  /** Links from directory entries (files and other non-directories; directories compute theirs). */
  nlink: number;
  size: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  /** Names from the lower root to the node this one comes from; null for nodes created in the overlay. */
  lowerPath: Buffer[] | null;
  content: ContentState;
  lowerLimit: number;
  symlinkTarget: Buffer | null;
}

export const NODE_COLUMNS =
  'ino, kind, mode, uid, gid, rdev, nlink, size, atime_s, atime_ns, mtime_s, mtime_ns, ctime_s, ctime_ns, ' +
  'lower_path, content, lower_limit, symlink';

const KINDS: readonly NodeKind[] = ['file', 'dir', 'symlink', 'fifo', 'socket', 'chardev', 'blockdev'];
const CONTENT_STATES: readonly ContentState[] = ['none', 'lower', 'whole', 'chunked'];

export function recordToRow(r: NodeRecord): SqlValue[] {
  return [
    r.ino, r.kind, r.mode, r.uid, r.gid, r.rdev, r.nlink, r.size,
    r.atime.sec, r.atime.nsec, r.mtime.sec, r.mtime.nsec, r.ctime.sec, r.ctime.nsec,
    r.lowerPath === null ? null : encodeLowerPath(r.lowerPath), r.content, r.lowerLimit, r.symlinkTarget,
  ];
}

function oneOf<T extends string>(v: SqlValue | undefined, allowed: readonly T[], field: string): T {
  const found = allowed.find((a) => a === v);
  if (found === undefined) throw new TypeError(`overlay.db: bad ${field} ${String(v)}`);
  return found;
}

export function rowToRecord(row: SqlRow): NodeRecord {
  const lowerPath = asBuffer(row.lower_path);
  return {
    ino: asBigint(row.ino),
    kind: oneOf(row.kind, KINDS, 'kind'),
    mode: asNumber(row.mode),
    uid: asNumber(row.uid),
    gid: asNumber(row.gid),
    rdev: asNumber(row.rdev),
    nlink: asNumber(row.nlink),
    size: asNumber(row.size),
    atime: { sec: asNumber(row.atime_s), nsec: asNumber(row.atime_ns) },
    mtime: { sec: asNumber(row.mtime_s), nsec: asNumber(row.mtime_ns) },
    ctime: { sec: asNumber(row.ctime_s), nsec: asNumber(row.ctime_ns) },
    lowerPath: lowerPath === null ? null : decodeLowerPath(lowerPath),
    content: oneOf(row.content, CONTENT_STATES, 'content'),
    lowerLimit: asNumber(row.lower_limit),
    symlinkTarget: asBuffer(row.symlink),
  };
}

/** The record a lower node has before anything touched it. */
export function recordFromLower(node: LowerNode, lowerPath: Buffer[]): NodeRecord {
  const a = node.attrs;
  return {
    ino: node.id,
    kind: a.kind,
    mode: a.mode,
    uid: a.uid,
    gid: a.gid,
    rdev: a.rdev,
    nlink: a.kind === 'dir' ? 2 : Math.max(1, a.nlink),
    size: a.kind === 'file' ? a.size : a.kind === 'symlink' ? (node.symlinkTarget?.length ?? 0) : 0,
    atime: a.atime,
    mtime: a.mtime,
    ctime: a.ctime,
    lowerPath,
    content: a.kind === 'file' ? 'lower' : 'none',
    lowerLimit: a.kind === 'file' ? a.size : 0,
    symlinkTarget: node.symlinkTarget ?? null,
  };
}

/** Lower path as a BLOB: for each name a 4-byte big-endian length, then the bytes (names may hold any byte). */
export function encodeLowerPath(names: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const n of names) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(n.length, 0);
    parts.push(len, n);
  }
  return Buffer.concat(parts);
}

export function decodeLowerPath(blob: Buffer): Buffer[] {
  const names: Buffer[] = [];
  let off = 0;
  while (off < blob.length) {
    if (off + 4 > blob.length) throw new TypeError('overlay.db: truncated lower path');
    const len = blob.readUInt32BE(off);
    off += 4;
    if (off + len > blob.length) throw new TypeError('overlay.db: lower path name runs past its blob');
    names.push(Buffer.from(blob.subarray(off, off + len)));
    off += len;
  }
  return names;
}

export function sameLowerPath(a: readonly Buffer[] | null, b: readonly Buffer[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((n, i) => n.equals(b[i]));
}
