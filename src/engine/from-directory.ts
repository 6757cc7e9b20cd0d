// A local directory -> SourceTree with every file's content local (first sessions, tests, benchmarks).

import fs from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import type { NodeAttributes, NodeKind, Timespec } from '../tree/node';
import { FILE_CONCURRENCY, mapLimited } from './pool';
import type { SourceEntry, SourceTree } from './source-tree';

const NS_PER_SEC = 1_000_000_000n;

export function timespecFromNs(ns: bigint): Timespec {
  let sec = ns / NS_PER_SEC;
  let nsec = ns % NS_PER_SEC;
  if (nsec < 0n) {
    nsec += NS_PER_SEC;
    sec -= 1n;
  }
  return { sec: Number(sec), nsec: Number(nsec) };
}

export function kindOfStats(st: BigIntStats): NodeKind {
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'chardev';
  if (st.isBlockDevice()) return 'blockdev';
  return 'file';
}

export function attributesFromStats(st: BigIntStats): NodeAttributes {
  return {
    kind: kindOfStats(st),
    mode: Number(st.mode),
    uid: Number(st.uid),
    gid: Number(st.gid),
    nlink: Number(st.nlink),
    size: Number(st.size),
    rdev: Number(st.rdev),
    atime: timespecFromNs(st.atimeNs),
    mtime: timespecFromNs(st.mtimeNs),
    ctime: timespecFromNs(st.ctimeNs),
  };
}

function joinPath(dir: Buffer, name: Buffer): Buffer {
  return Buffer.concat([dir, Buffer.from('/'), name]);
}

async function entryFromPath(path: Buffer, name: Buffer): Promise<SourceEntry> {
  const st = await fs.lstat(path, { bigint: true });
  const attrs = attributesFromStats(st);
  const entry: SourceEntry = { name, attrs };
  switch (attrs.kind) {
    case 'dir': {
      const names = (await fs.readdir(path, { encoding: 'buffer' })).sort(Buffer.compare);
      entry.children = await mapLimited(names, FILE_CONCURRENCY, (child) => entryFromPath(joinPath(path, child), child));
      break;
    }
    case 'symlink':
      entry.symlinkTarget = await fs.readlink(path, { encoding: 'buffer' });
      break;
    case 'file':
      entry.content = { from: 'local', path };
      if (st.nlink > 1n) entry.linkId = `${st.dev}:${st.ino}`;
      break;
    default:
      break;
  }
  return entry;
}

/** Reads `dir` recursively (lstat: symlinks are not followed); children are sorted by name bytes. */
export async function sourceTreeFromDirectory(dir: string): Promise<SourceTree> {
  return { root: await entryFromPath(Buffer.from(dir), Buffer.alloc(0)) };
}
