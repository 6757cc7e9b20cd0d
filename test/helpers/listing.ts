// Canonical listing of a directory tree (a FUSE mount or an extracted folder) for field-by-field
// comparison with an oracle. Paths are the raw name bytes held in a latin1 string, so any byte sequence
// (including invalid UTF-8) survives and sorting the strings sorts by bytes.

import crypto from 'node:crypto';
import fs from 'node:fs';

export type EntryType = 'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'chardev' | 'blockdev';

export interface Entry {
  /** '.' for the root, else 'a/b' relative to it: raw bytes as a latin1 string (see toLatin1Path). */
  path: string;
  type: EntryType;
  /** Byte size, for files only. */
  size?: number;
  /** st_mode & 0o7777. */
  mode?: number;
  /** Modification time in whole seconds (may be negative). */
  mtime?: number;
  /** Symlink target, raw bytes as a latin1 string. */
  target?: string;
  /** Hex SHA-256 of the content, for files only. */
  sha256?: string;
  /** For files with more than one name: the smallest path of the group (the same for every member). */
  linkGroup?: string;
  /** Device number (Linux encoding) of chardev/blockdev entries. */
  rdev?: number;
}

export type EntryField = Exclude<keyof Entry, 'path'>;
export const ALL_FIELDS: readonly EntryField[] = ['type', 'size', 'mode', 'mtime', 'target', 'sha256', 'linkGroup', 'rdev'];

export interface ListOptions {
  /** Hash file contents (default true). */
  content?: boolean;
}

/** A UTF-8 path (as tests write them) in the listing's raw-bytes form. */
export function toLatin1Path(utf8: string): string {
  return Buffer.from(utf8, 'utf8').toString('latin1');
}

/** A listing path for messages: UTF-8 where valid, \xNN escapes otherwise. */
export function displayPath(latin1: string): string {
  const bytes = Buffer.from(latin1, 'latin1');
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : [...bytes].map(escapeByte).join('');
}

function escapeByte(b: number): string {
  return b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
}

/** Lists every entry under root (root included as '.'), sorted by path bytes. */
export async function listTree(root: string, options: ListOptions = {}): Promise<Entry[]> {
  const content = options.content ?? true;
  const entries: Entry[] = [];
  const inodes = new Map<string, string[]>();
  const walk = async (abs: Buffer, rel: string): Promise<void> => {
    const st = await fs.promises.lstat(abs, { bigint: true });
    const entry = await describe(abs, rel, st, content);
    entries.push(entry);
    if (entry.type === 'file' && st.nlink > 1n) {
      const key = `${st.dev}:${st.ino}`;
      inodes.set(key, [...(inodes.get(key) ?? []), rel]);
    }
    if (entry.type !== 'dir') return;
    const names = (await fs.promises.readdir(abs, { encoding: 'buffer' })).sort(Buffer.compare);
    for (const name of names) {
      const childRel = rel === '.' ? name.toString('latin1') : `${rel}/${name.toString('latin1')}`;
      await walk(Buffer.concat([abs, Buffer.from('/'), name]), childRel);
    }
  };
  await walk(Buffer.from(root), '.');
  assignLinkGroups(entries, [...inodes.values()]);
  return sortEntries(entries);
}

/** Sets linkGroup on every member of each group of paths naming one file (groups of one are ignored). */
export function assignLinkGroups(entries: Entry[], groups: string[][]): void {
  const byPath = new Map(entries.map((e) => [e.path, e]));
  for (const group of groups) {
    if (group.length < 2) continue;
    const id = [...group].sort(compareBytes)[0];
    for (const p of group) {
      const e = byPath.get(p);
      if (e) e.linkGroup = id;
    }
  }
}

export function sortEntries(entries: Entry[]): Entry[] {
  return entries.sort((a, b) => compareBytes(a.path, b.path));
}

function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0; // latin1 strings: code unit order is byte order
}

async function describe(abs: Buffer, rel: string, st: fs.BigIntStats, content: boolean): Promise<Entry> {
  const type = typeOf(st);
  const entry: Entry = { path: rel, type, mode: Number(st.mode & 0o7777n), mtime: Number(floorDiv(st.mtimeNs, 1_000_000_000n)) };
  if (type === 'file') {
    entry.size = Number(st.size);
    if (content) entry.sha256 = await sha256File(abs);
  } else if (type === 'symlink') {
    entry.target = (await fs.promises.readlink(abs, { encoding: 'buffer' })).toString('latin1');
  } else if (type === 'chardev' || type === 'blockdev') {
    entry.rdev = Number(st.rdev);
  }
  return entry;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

function typeOf(st: fs.BigIntStats): EntryType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'chardev';
  return 'blockdev';
}

export async function sha256File(file: Buffer | string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface DiffOptions {
  /** Fields to compare (default all). A field is compared only where the expected entry has it. */
  fields?: readonly EntryField[];
  /** At most this many lines (default 60); a final line says how many were left out. */
  limit?: number;
}

/**
 * Differences between an expected listing (usually the oracle) and an actual one, one readable line each:
 * missing and unexpected paths, then field mismatches. An empty array means "equal".
 */
export function diffListings(expected: readonly Entry[], actual: readonly Entry[], options: DiffOptions = {}): string[] {
  const fields = options.fields ?? ALL_FIELDS;
  const limit = options.limit ?? 60;
  const got = new Map(actual.map((e) => [e.path, e]));
  const want = new Map(expected.map((e) => [e.path, e]));
  const lines: string[] = [];
  for (const e of expected) if (!got.has(e.path)) lines.push(`missing: ${displayPath(e.path)} (${e.type})`);
  for (const e of actual) if (!want.has(e.path)) lines.push(`unexpected: ${displayPath(e.path)} (${e.type})`);
  for (const e of expected) {
    const a = got.get(e.path);
    if (!a) continue;
    for (const f of fields) {
      if (e[f] === undefined || e[f] === a[f]) continue;
      lines.push(`${displayPath(e.path)}: ${f} expected ${show(f, e[f])}, got ${show(f, a[f])}`);
    }
  }
  if (lines.length <= limit) return lines;
  return [...lines.slice(0, limit), `... and ${lines.length - limit} more differences`];
}

function show(field: EntryField, value: Entry[EntryField]): string {
  if (value === undefined) return 'nothing';
  if (field === 'mode' && typeof value === 'number') return '0' + value.toString(8);
  if ((field === 'target' || field === 'linkGroup') && typeof value === 'string') return JSON.stringify(displayPath(value));
  return JSON.stringify(value);
}

/** diffListings joined for an assertion message ('' when equal). */
export function formatDiff(expected: readonly Entry[], actual: readonly Entry[], options: DiffOptions = {}): string {
  return diffListings(expected, actual, options).join('\n');
}
