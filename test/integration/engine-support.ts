// Shared by the engine tests: deterministic trees, tree snapshots, and the xorriso/osirrox oracle.

import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const EPOCH = '1700000000';
export const TOOL_ENV = { ...process.env, LC_ALL: 'C.UTF-8', SOURCE_DATE_EPOCH: EPOCH };

export function tempDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `discfs-engine-${tag}-`));
}

export function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { env: TOOL_ENV, encoding: 'utf8', timeout: 30_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout + r.stderr;
}

function write(p: string, data: Buffer | string, mtimeSec = 1_600_000_000): void {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
  fs.utimesSync(p, mtimeSec, mtimeSec);
}

/** Bytes from a fixed-seed generator (xorshift): same seed, same bytes. */
export function seededBytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

export const UNICODE_NAMES = ['caf\u00e9-\u4e2d\u6587', '\u{1F600}-smp', '\u{20000}-sip', '\u{30000}-tip', '\u{E0041}-ssp', '\u{F0000}-pua', '\u{10FFFD}-pua16'];

/** The rich first-session tree of the task: every kind, edge sizes, long names, odd times and modes. */
export function makeRichTree(root: string): void {
  write(path.join(root, 'empty'), '');
  write(path.join(root, 'exact2048'), seededBytes(2048, 1));
  write(path.join(root, 'exact2049'), seededBytes(2049, 2));
  write(path.join(root, 'deep/a/b/c/d/e/f/g/h/i/j/leaf.txt'), 'deep\n');
  write(path.join(root, 'old1969'), 'x', -86_400 * 100);
  write(path.join(root, 'future2100'), 'y', 4_102_444_800 + 86_400);
  write(path.join(root, 'x'.repeat(255)), '255');
  write(path.join(root, 'j'.repeat(70) + '-one.txt'), '1');
  write(path.join(root, 'j'.repeat(70) + '-two.txt'), '2');
  for (const n of UNICODE_NAMES) write(path.join(root, 'uni', n), n);
  write(path.join(root, 'setuid'), '#!/bin/sh\n');
  fs.chmodSync(path.join(root, 'setuid'), 0o4755);
  fs.mkdirSync(path.join(root, 'sticky'));
  fs.chmodSync(path.join(root, 'sticky'), 0o1777);
  fs.symlinkSync('x//y', path.join(root, 'dslash'));
  fs.symlinkSync(Array.from({ length: 9 }, (_, i) => String(i).repeat(99)).join('/'), path.join(root, 'long-link'));
  fs.symlinkSync('/abs/./../t', path.join(root, 'abs-link'));
  write(path.join(root, 'hl1'), 'hard');
  fs.linkSync(path.join(root, 'hl1'), path.join(root, 'deep/hl2'));
  execFileSync('mkfifo', [path.join(root, 'fifo')]);
  execFileSync('mknod', [path.join(root, 'chardev'), 'c', '1', '3']);
  execFileSync('mknod', [path.join(root, 'blockdev'), 'b', '8', '1']);
  fs.utimesSync(path.join(root, 'sticky'), 1_500_000_000, 1_500_000_000);
}

export interface Snap {
  kind: string;
  mode: number;
  uid: number;
  gid: number;
  size?: number;
  mtime: number;
  rdev?: number;
  target?: string;
  sha?: string;
  link?: string;
}

/** path -> metadata; hard links are named by the smallest path of their group. */
export function snapshot(root: string, opts: { mtimes?: boolean } = {}): Record<string, Snap> {
  const out: Record<string, Snap> = {};
  const inodes = new Map<string, string>();
  const walk = (rel: string): void => {
    const p = path.join(root, rel);
    const st = fs.lstatSync(p);
    const kind = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : st.isFIFO() ? 'fifo' : st.isCharacterDevice() ? 'chardev' : 'blockdev';
    const s: Snap = { kind, mode: st.mode, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
    if (opts.mtimes === false || kind === 'dir' || kind === 'symlink') s.mtime = 0;
    if (kind === 'file') {
      s.size = st.size;
      s.sha = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        if (!inodes.has(key)) inodes.set(key, rel);
        s.link = inodes.get(key);
      }
    }
    if (kind === 'chardev' || kind === 'blockdev') s.rdev = st.rdev;
    if (kind === 'symlink') s.target = fs.readlinkSync(p);
    if (rel !== '') out[rel] = s;
    if (kind === 'dir') for (const n of fs.readdirSync(p).sort()) walk(rel === '' ? n : `${rel}/${n}`);
  };
  walk('');
  return out;
}

/** osirrox extraction of the newest session, or of the session at `sbsector`. */
export function extract(image: string, dest: string, sbsector?: number): void {
  const load = sbsector === undefined ? [] : ['-load', 'sbsector', String(sbsector)];
  run('xorriso', ['-osirrox', 'on:device_files', '-hardlinks', 'on', '-indev', image, ...load, '-extract', '/', dest]);
}

/** Session start LBAs from `xorriso -toc`. */
export function tocStarts(image: string): number[] {
  const out = run('xorriso', ['-indev', image, '-toc']);
  return [...out.matchAll(/^ISO session\s*:\s*\d+\s*,\s*(\d+)\s*,/gm)].map((m) => Number(m[1]));
}

export function rmrf(p: string): void {
  fs.rmSync(p, { recursive: true, force: true });
}
