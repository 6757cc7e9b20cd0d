// Test support for the overlay: an in-memory LowerTree built from a small spec, and helpers to drive an OverlayFs.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Caller } from '../../src/fuse/filesystem';
import type { LowerNode, LowerTree } from '../../src/tree/lower-tree';
import type { NodeKind } from '../../src/tree/node';
import { FsError } from '../../src/util/errors';
import { OverlayFs, type OverlayOptions } from '../../src/overlay/overlay-fs';

export type FixtureNode =
  | string
  | Buffer
  | { dir: FixtureSpec }
  | { symlink: string }
  | { hardlinkOf: string }
  | { random: number; seed: number };
export type FixtureSpec = Record<string, FixtureNode>;

export const ROOT: Caller = { uid: 0, gid: 0, pid: 1 };
export const T0 = { sec: 1_700_000_000, nsec: 0 };

/** Deterministic bytes (xorshift32): big lower files without fixture files on disk. */
export function randomBytes(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

interface MemNode extends LowerNode {
  children: MemNode[];
  data: Buffer;
}

const MODE: Record<NodeKind, number> = {
  file: 0o100644, dir: 0o040755, symlink: 0o120777, fifo: 0o010644, socket: 0o140644, chardev: 0o020644, blockdev: 0o060644,
};

export function memoryLowerTree(spec: FixtureSpec): LowerTree & { contentOf(p: string): Buffer } {
  let nextId = 100n;
  const byPath = new Map<string, MemNode>();
  const make = (name: string, kind: NodeKind, data: Buffer, extra: Partial<MemNode> = {}): MemNode => ({
    id: nextId++,
    name: Buffer.from(name, 'latin1'),
    attrs: {
      kind, mode: MODE[kind], uid: 1000, gid: 1000, nlink: kind === 'dir' ? 2 : 1, size: kind === 'file' ? data.length : 0,
      rdev: 0, atime: T0, mtime: T0, ctime: T0,
    },
    extents: kind === 'file' && data.length > 0 ? [{ lba: Number(nextId) * 10, bytes: data.length }] : [],
    children: [],
    data,
    ...extra,
  });
  const links: [MemNode, string, string][] = [];
  const build = (dir: MemNode, s: FixtureSpec, at: string): void => {
    for (const [name, n] of Object.entries(s)) {
      const p = `${at}/${name}`;
      let node: MemNode;
      if (typeof n === 'string' || Buffer.isBuffer(n)) node = make(name, 'file', Buffer.from(n));
      else if ('dir' in n) {
        node = make(name, 'dir', Buffer.alloc(0));
        build(node, n.dir, p);
        dir.attrs.nlink += 0;
      } else if ('symlink' in n) node = make(name, 'symlink', Buffer.alloc(0), { symlinkTarget: Buffer.from(n.symlink) });
      else if ('random' in n) node = make(name, 'file', randomBytes(n.random, n.seed));
      else {
        links.push([dir, name, n.hardlinkOf]);
        continue;
      }
      dir.children.push(node);
      byPath.set(p, node);
    }
    dir.attrs.nlink = 2 + dir.children.filter((c) => c.attrs.kind === 'dir').length;
  };
  const root = make('', 'dir', Buffer.alloc(0));
  build(root, spec, '');
  for (const [dir, name, target] of links) {
    const t = byPath.get(target);
    if (t === undefined) throw new Error(`fixture: no ${target}`);
    t.attrs.nlink += 1;
    const alias: MemNode = { ...t, name: Buffer.from(name, 'latin1') };
    dir.children.push(alias);
  }
  const asMem = (n: LowerNode): MemNode => n as MemNode;
  return {
    root,
    warnings: [],
    list: async (d) => asMem(d).children,
    lookup: async (d, name) => asMem(d).children.find((c) => c.name.equals(name)),
    read: async (n, position, length) => {
      const data = asMem(n).data;
      if (position < 0) throw new FsError('EIO');
      return Buffer.from(data.subarray(position, Math.min(data.length, position + length)));
    },
    contentOf: (p) => {
      const n = byPath.get(p);
      if (n === undefined) throw new Error(`fixture: no ${p}`);
      return n.data;
    },
  };
}

/** The lower tree most overlay tests use. */
export const STANDARD_SPEC: FixtureSpec = {
  'hello.txt': 'hello from the disc\n',
  docs: { dir: { 'a.txt': 'aaa', 'b.txt': 'bbbb', sub: { dir: { 'deep.txt': 'deep' } } } },
  empty: { dir: {} },
  big: { random: 6 * 1024 * 1024 + 12345, seed: 7 },
  link: { symlink: '/etc/passwd' },
  'hard1': 'linked content',
  'hard2': { hardlinkOf: '/hard1' },
};

export interface OverlayHarness {
  fs: OverlayFs;
  dir: string;
  lower: ReturnType<typeof memoryLowerTree>;
  options: OverlayOptions;
  reopen(): Promise<OverlayFs>;
  cleanup(): Promise<void>;
}

export async function makeOverlay(spec: FixtureSpec = STANDARD_SPEC, extra: Partial<OverlayOptions> = {}): Promise<OverlayHarness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'discfs-overlay-'));
  const lower = memoryLowerTree(spec);
  let clock = T0.sec + 1000;
  const options: OverlayOptions = {
    stagingDir: path.join(dir, 'staging'),
    identity: 'test-medium',
    lower,
    owner: { uid: 4242, gid: 4343 },
    capacity: { blocks: 200_000, freeBlocks: 150_000 },
    now: () => ({ sec: clock++, nsec: 123 }),
    ...extra,
  };
  const h: OverlayHarness = {
    fs: await OverlayFs.open(options),
    dir,
    lower,
    options,
    reopen: async () => {
      await h.fs.close();
      h.fs = await OverlayFs.open(options);
      return h.fs;
    },
    cleanup: async () => {
      await h.fs.close().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

export async function writeFile(o: OverlayFs, p: string, data: Buffer | string, flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC): Promise<void> {
  const buf = Buffer.from(data);
  const fh = await o.create(p, 0o644, flags, ROOT);
  try {
    if (buf.length > 0) await o.write(p, fh, buf, buf.length, 0);
  } finally {
    await o.release(p, fh);
  }
}

export async function pwrite(o: OverlayFs, p: string, data: Buffer | string, position: number, flags = fs.constants.O_WRONLY): Promise<void> {
  const buf = Buffer.from(data);
  const fh = await o.open(p, flags, ROOT);
  try {
    await o.write(p, fh, buf, buf.length, position);
  } finally {
    await o.release(p, fh);
  }
}

export async function readFile(o: OverlayFs, p: string): Promise<Buffer> {
  const st = await o.getattr(p, ROOT);
  const fh = await o.open(p, fs.constants.O_RDONLY, ROOT);
  try {
    const parts: Buffer[] = [];
    let pos = 0;
    for (;;) {
      const buf = Buffer.alloc(256 * 1024);
      const n = await o.read(p, fh, buf, buf.length, pos);
      if (n === 0) break;
      parts.push(buf.subarray(0, n));
      pos += n;
    }
    const out = Buffer.concat(parts);
    if (out.length !== st.size) throw new Error(`read ${out.length} bytes of ${st.size}`);
    return out;
  } finally {
    await o.release(p, fh);
  }
}

export async function names(o: OverlayFs, p: string): Promise<string[]> {
  return (await o.readdir(p, ROOT)).map((e) => e.name).sort();
}

/** The errno an operation fails with (assert.rejects with a matcher reads worse in long lists). */
export async function errnoOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof FsError) return e.errno;
    throw e;
  }
  return 'OK';
}

export interface SnapshotEntry {
  kind: string;
  mode: number;
  size: number;
  nlink: number;
  /** sha256 of the content (files) or the link target (symlinks). */
  data: string;
}

/** Everything a reader of the mount sees, except times and inode numbers: for comparing two states. */
export async function snapshot(o: OverlayFs): Promise<Record<string, SnapshotEntry>> {
  const out: Record<string, SnapshotEntry> = {};
  const visit = async (p: string): Promise<void> => {
    for (const e of (await o.readdir(p, ROOT)).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const child = p === '/' ? `/${e.name}` : `${p}/${e.name}`;
      const st = await o.getattr(child, ROOT);
      let data = '';
      if (e.kind === 'file') data = createHash('sha256').update(await readFile(o, child)).digest('hex');
      if (e.kind === 'symlink') data = await o.readlink(child, ROOT);
      out[child] = { kind: e.kind, mode: st.mode, size: st.size, nlink: st.nlink, data };
      if (e.kind === 'dir') await visit(child);
    }
  };
  const root = await o.getattr('/', ROOT);
  out['/'] = { kind: 'dir', mode: root.mode, size: 0, nlink: root.nlink, data: '' };
  await visit('/');
  return out;
}
