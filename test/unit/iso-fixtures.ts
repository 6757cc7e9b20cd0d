// Test helpers for the ISO read path: small deterministic images made with xorriso/genisoimage, record patching, walks.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LowerNode, LowerTree } from '../../src/tree/lower-tree';

export const EPOCH = 1700000000;
const TOOL_TIMEOUT_MS = 30_000;

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `discfs-${prefix}-`));
}

export function removeDir(dir: string | undefined): void {
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
}

/** Runs a tool with a fixed environment; throws with its stderr on failure. */
export function run(cmd: string, args: string[], cwd?: string): string {
  return execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    timeout: TOOL_TIMEOUT_MS,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_ALL: 'C.UTF-8', TZ: 'UTC', SOURCE_DATE_EPOCH: String(EPOCH) },
  });
}

/** Content that differs per file and per offset, so a misplaced extent shows up. */
export function content(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  let filled = 0;
  for (let i = 0; filled < size; i++) filled += out.write(`${seed}:${i.toString().padStart(9, '0')}|`, filled);
  return out;
}

/** Writes files ("a/b.txt": Buffer) into dir and stamps every entry with EPOCH. */
export function writeTree(dir: string, files: Record<string, Buffer | { symlink: string } | 'dir'>): void {
  for (const [rel, what] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(what === 'dir' ? p : path.dirname(p), { recursive: true });
    if (Buffer.isBuffer(what)) fs.writeFileSync(p, what);
    else if (what !== 'dir') fs.symlinkSync(what.symlink, p);
  }
  stampTree(dir, EPOCH);
}

export function stampTree(dir: string, sec: number): void {
  run('find', [dir, '-depth', '-exec', 'touch', '-h', '-d', `@${sec}`, '{}', '+']);
}

export const XORRISO_QUIET = ['-no_rc', '-abort_on', 'FAILURE', '-report_about', 'SORRY'];

/** A Rock Ridge + Joliet image of `tree` written by xorriso native mode. */
export function xorrisoImage(out: string, tree: string, extra: string[] = []): void {
  run('xorriso', [...XORRISO_QUIET, '-outdev', out, '-joliet', 'on', '-md5', 'off', ...extra, '-map', tree, '/', '-commit']);
}

/** Byte offset of the directory record whose identifier is exactly `identifier` (plain ISO 9660 names). */
export function findRecords(img: Buffer, identifier: string): number[] {
  const id = Buffer.from(identifier, 'latin1');
  const hits: number[] = [];
  for (let i = img.indexOf(id); i >= 0; i = img.indexOf(id, i + 1)) {
    const start = i - 33;
    if (start < 0 || img[i - 1] !== id.length) continue;
    const len = img[start];
    if (len >= 33 + id.length && Math.floor(start / 2048) === Math.floor((start + len - 1) / 2048)) hits.push(start);
  }
  return hits;
}

export function findRecord(img: Buffer, identifier: string): number {
  const hits = findRecords(img, identifier);
  if (hits.length === 0) throw new Error(`no directory record "${identifier}"`);
  return hits[0];
}

export function writeBoth32(buf: Buffer, offset: number, value: number): void {
  buf.writeUInt32LE(value >>> 0, offset);
  buf.writeUInt32BE(value >>> 0, offset + 4);
}

/** Walks read at most this much of each file: a corrupt size must not make a test allocate gigabytes. */
export const MAX_WALK_READ = 4 * 1024 * 1024;

export interface WalkedEntry {
  node: LowerNode;
  data?: Buffer;
  error?: string;
}

/** Every entry below the root by path, reading all file data (errors recorded, not thrown). */
export async function walkTree(tree: LowerTree, maxEntries = 100_000): Promise<Map<string, WalkedEntry>> {
  const out = new Map<string, WalkedEntry>();
  const todo: [LowerNode, string][] = [[tree.root, '']];
  while (todo.length > 0 && out.size < maxEntries) {
    const [dir, prefix] = todo.shift() as [LowerNode, string];
    for (const child of await tree.list(dir)) {
      const p = `${prefix}/${child.name.toString('utf8')}`;
      const entry: WalkedEntry = { node: child };
      if (child.attrs.kind === 'file') {
        try {
          entry.data = await tree.read(child, 0, Math.min(child.attrs.size, MAX_WALK_READ));
        } catch (e) {
          entry.error = (e as { errno?: string }).errno ?? String(e);
        }
      }
      out.set(p, entry);
      if (child.attrs.kind === 'dir') todo.push([child, p]);
    }
  }
  return out;
}
