// One pass of `discfs mirror`: makes the tree under DST (a discfs mount) identical to SRC in content, mode, mtime,
// symlinks and hard links. A file that moved in SRC since the previous pass (same dev/ino, size and mtime at a path
// that is gone) is renamed in DST, so the next session refers to its old data instead of writing it again.

import fs from 'node:fs';
import path from 'node:path';

export interface Entry {
  kind: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
  /** Whole seconds: a committed session keeps mtimes to the second, finer differences would re-copy every file. */
  mtimeSec: number;
  mtimeMs: number;
  size: number;
  dev: number;
  ino: number;
  nlink: number;
  target?: string;
}

export type Snapshot = Map<string, Entry>;

export interface SyncCounts {
  added: number;
  changed: number;
  deleted: number;
  renamed: number;
  linked: number;
  skipped: string[];
}

function entryOf(st: fs.Stats, abs: string): Entry {
  const kind = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
  return {
    kind,
    mode: st.mode & 0o7777,
    mtimeSec: Math.floor(st.mtimeMs / 1000),
    mtimeMs: st.mtimeMs,
    size: kind === 'dir' ? 0 : st.size,
    dev: st.dev,
    ino: st.ino,
    nlink: st.nlink,
    target: kind === 'symlink' ? fs.readlinkSync(abs) : undefined,
  };
}

/** Relative paths (posix, no leading slash) of everything under root, parents before children. */
export function scan(root: string): Snapshot {
  const out: Snapshot = new Map();
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const abs = path.join(root, r);
      let st: fs.Stats;
      try {
        st = fs.lstatSync(abs);
      } catch {
        continue; // removed while we looked: the next pass sees the new state
      }
      const e = entryOf(st, abs);
      out.set(r, e);
      if (e.kind === 'dir') walk(r);
    }
  };
  walk('');
  return out;
}

const depth = (p: string) => p.split('/').length;

function sameContent(a: Entry, b: Entry): boolean {
  return a.size === b.size && a.mtimeSec === b.mtimeSec;
}

/** Renames in DST for SRC entries that moved since `prev`; directories first, so their contents move with them. */
function applyRenames(src: Snapshot, prev: Snapshot | undefined, dstRoot: string, counts: SyncCounts): void {
  if (!prev) return;
  const gone = new Map<string, string>();
  for (const [p, e] of prev) if (!src.has(p)) gone.set(`${e.dev}:${e.ino}`, p);
  const order = [...src.keys()].filter((p) => !prev.has(p)).sort((a, b) => depth(a) - depth(b));
  for (const p of order) {
    const e = src.get(p) as Entry;
    const from = gone.get(`${e.dev}:${e.ino}`);
    if (!from || (e.kind === 'file' && !sameContent(e, prev.get(from) as Entry))) continue;
    const a = path.join(dstRoot, from);
    const b = path.join(dstRoot, p);
    if (!fs.existsSync(a) || fs.existsSync(b) || !fs.existsSync(path.dirname(b))) continue;
    fs.renameSync(a, b);
    gone.delete(`${e.dev}:${e.ino}`);
    counts.renamed += 1;
  }
}

function remove(abs: string, e: Entry): void {
  if (e.kind === 'dir') fs.rmSync(abs, { recursive: true, force: true });
  else fs.unlinkSync(abs);
}

function copyFile(from: string, to: string, mode: number): void {
  // Write in place: the overlay stages a changed copy-up, and no temp name ever reaches the mount.
  fs.copyFileSync(from, to);
  fs.chmodSync(to, mode);
}

/** One full pass; `prev` is the SRC snapshot of the previous pass (rename detection). Returns the new snapshot. */
export function syncOnce(srcRoot: string, dstRoot: string, prev: Snapshot | undefined, counts: SyncCounts): Snapshot {
  const src = scan(srcRoot);
  applyRenames(src, prev, dstRoot, counts);
  let dst = scan(dstRoot);
  // Deletions (and kind changes), deepest first, so a directory empties before it goes.
  for (const p of [...dst.keys()].sort((a, b) => depth(b) - depth(a))) {
    const d = dst.get(p) as Entry;
    const s = src.get(p);
    if (s && s.kind === d.kind && s.kind !== 'other') continue;
    try {
      remove(path.join(dstRoot, p), d);
      counts.deleted += 1;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // gone with its directory already
    }
  }
  dst = scan(dstRoot);
  const firstOfInode = new Map<string, string>();
  for (const [p, s] of src) {
    const abs = path.join(dstRoot, p);
    const d = dst.get(p);
    if (s.kind === 'other') {
      counts.skipped.push(p);
      continue;
    }
    if (s.kind === 'dir') {
      if (!d) {
        fs.mkdirSync(abs, { mode: s.mode });
        counts.added += 1;
      }
      if (!d || d.mode !== s.mode) fs.chmodSync(abs, s.mode);
      continue;
    }
    if (s.kind === 'symlink') {
      if (d && d.target === s.target) continue;
      if (d) fs.unlinkSync(abs);
      fs.symlinkSync(s.target as string, abs);
      fs.lutimesSync(abs, s.mtimeMs / 1000, s.mtimeMs / 1000);
      counts[d ? 'changed' : 'added'] += 1;
      continue;
    }
    syncFile(srcRoot, dstRoot, p, s, d, firstOfInode, counts);
  }
  // Directory mtimes last (the root's too): every change inside a directory above touched it.
  const dirs = [...src.keys()].filter((p) => src.get(p)?.kind === 'dir').sort((a, b) => depth(b) - depth(a));
  for (const p of [...dirs, '']) {
    const s = p ? (src.get(p) as Entry) : entryOf(fs.lstatSync(srcRoot), srcRoot);
    const abs = path.join(dstRoot, p);
    const d = fs.lstatSync(abs);
    if (p === '' && (d.mode & 0o7777) !== s.mode) fs.chmodSync(abs, s.mode);
    if (Math.floor(d.mtimeMs / 1000) !== s.mtimeSec) fs.utimesSync(abs, s.mtimeMs / 1000, s.mtimeMs / 1000);
  }
  return src;
}

function syncFile(srcRoot: string, dstRoot: string, p: string, s: Entry, d: Entry | undefined, firstOfInode: Map<string, string>, counts: SyncCounts): void {
  const abs = path.join(dstRoot, p);
  const key = `${s.dev}:${s.ino}`;
  const first = s.nlink > 1 ? firstOfInode.get(key) : undefined;
  if (first !== undefined) {
    const f = fs.lstatSync(path.join(dstRoot, first));
    if (d && d.ino === f.ino && d.dev === f.dev) return;
    if (d) fs.unlinkSync(abs);
    fs.linkSync(path.join(dstRoot, first), abs);
    counts.linked += 1;
    return;
  }
  if (s.nlink > 1) firstOfInode.set(key, p);
  // A path that is a hard link in DST but no longer in SRC must be split off before it is written.
  const split = d !== undefined && d.nlink > 1 && s.nlink === 1;
  if (!d || split || !sameContent(s, d)) {
    if (split) fs.unlinkSync(abs);
    copyFile(path.join(srcRoot, p), abs, s.mode);
    counts[d && !split ? 'changed' : 'added'] += 1;
  } else if (d.mode !== s.mode) {
    fs.chmodSync(abs, s.mode);
    counts.changed += 1;
  } else return;
  fs.utimesSync(abs, s.mtimeMs / 1000, s.mtimeMs / 1000);
}
