// The independent view of an image: what xorriso/osirrox, isoinfo and bsdtar say is in it, as the same
// canonical Entry list that listing.ts makes of a mount. None of this shares code with src/.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from './exec';
import { assignLinkGroups, Entry, EntryType, listTree, sortEntries } from './listing';

/** Which directory tree of a session to read. */
export type View = 'rockridge' | 'joliet' | 'iso9660';

export interface OracleOptions {
  /** Session start LBA (a value from xorriso -toc or IMG.sessions); default the newest session. */
  session?: number;
  view?: View;
  timeoutMs?: number;
}

const TIMEOUT_MS = 60_000;

// -read_fs picks the tree; "unmapped" keeps ECMA-119 names as recorded (only ";1" stripped by "stripped").
const READ_FS: Record<View, string[]> = {
  rockridge: ['-read_fs', 'any'],
  joliet: ['-read_fs', 'norock'],
  iso9660: ['-read_fs', 'ecma119', '-ecma119_map', 'stripped'],
};

function loadArgs(image: string, options: OracleOptions): string[] {
  const view = options.view ?? 'rockridge';
  const session = options.session === undefined ? [] : ['-load', 'sbsector', String(options.session)];
  return ['-no_rc', '-report_about', 'SORRY', '-abort_on', 'FAILURE', '-hardlinks', 'on', '-xattr', 'off', '-acl', 'off',
    ...READ_FS[view], ...session, '-indev', image];
}

/**
 * (a) Extraction oracle: osirrox restores the session into a temp dir (hard links, modes, mtimes, devices
 * as root) and the result is listed. What extraction cannot show is filled in or left out:
 * - symlink mtimes (osirrox cannot set them): left undefined, so diffListings does not compare them;
 * - sockets (osirrox skips them): added from `xorriso -find -type s`, with type and mode only;
 * - modes under the joliet/iso9660 views are osirrox's invention: left undefined.
 */
export async function extractedListing(image: string, options: OracleOptions = {}): Promise<Entry[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'discfs-oracle-'));
  try {
    const dest = path.join(tmp, 'root');
    await run('osirrox', [...loadArgs(image, options), '-osirrox', 'on:device_files:concat_split_off:o_excl_off',
      '-extract', '/', dest], { timeoutMs: options.timeoutMs ?? TIMEOUT_MS });
    const entries = await listTree(dest);
    for (const e of entries) {
      if (e.type === 'symlink') e.mtime = undefined;
      if ((options.view ?? 'rockridge') !== 'rockridge') e.mode = undefined;
    }
    entries.push(...(await sockets(image, options)));
    return sortEntries(entries);
  } finally {
    await makeWritable(tmp);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Extracted dirs may be read-only (0555 ...): rm needs write permission on them when not root. */
async function makeWritable(dir: string): Promise<void> {
  if (process.getuid?.() === 0) return;
  await run('chmod', ['-R', 'u+rwx', dir], { okCodes: [0, 1] });
}

async function sockets(image: string, options: OracleOptions): Promise<Entry[]> {
  const r = await run('xorriso', [...loadArgs(image, options), '-find', '/', '-type', 's', '-exec', 'lsdl', '--'],
    { timeoutMs: options.timeoutMs ?? TIMEOUT_MS });
  const entries: Entry[] = [];
  for (const line of r.stdout.toString('latin1').split('\n')) {
    const m = /^(s[-rwxsStT]{9})\s.*?'(.*)'$/.exec(line);
    if (!m) continue;
    const name = unquoteXorriso(m[2]).replace(/^\//, '');
    entries.push({ path: name, type: 'socket', mode: modeFromLetters(m[1]) });
  }
  return entries;
}

/** xorriso quotes paths as '...' with each ' written as '"'"'. */
function unquoteXorriso(quoted: string): string {
  return quoted.split(`'"'"'`).join(`'`);
}

const TYPE_LETTERS: Record<string, EntryType> = {
  '-': 'file', d: 'dir', l: 'symlink', p: 'fifo', f: 'fifo', s: 'socket', c: 'chardev', b: 'blockdev',
};

/** "rwsr-x--T" style permission letters (after the type letter) to st_mode & 0o7777. */
export function modeFromLetters(letters: string): number {
  const perm = letters.length === 10 ? letters.slice(1) : letters;
  let mode = 0;
  const special = [0o4000, 0o2000, 0o1000];
  for (let who = 0; who < 3; who++) {
    const [r, w, x] = perm.slice(who * 3, who * 3 + 3);
    const shift = (2 - who) * 3;
    if (r === 'r') mode |= 4 << shift;
    if (w === 'w') mode |= 2 << shift;
    if (x === 'x' || x === 's' || x === 't') mode |= 1 << shift;
    if (x === 's' || x === 'S' || x === 't' || x === 'T') mode |= special[who];
  }
  return mode;
}

/**
 * (b) isoinfo oracle: `isoinfo -l` of one view. isoinfo prints dates to the day only and Joliet names
 * through its own charset conversion, so entries carry type, size (files), mode (no setuid/sticky:
 * isoinfo prints only rwx) and symlink target; mtime, content and link groups are left undefined.
 * Plain ISO 9660 names keep their ";1" version, as isoinfo shows them. isoinfo does not undo Rock Ridge
 * directory relocation (CL/PL/RE): deep trees show up under rr_moved.
 */
export async function isoinfoListing(image: string, options: OracleOptions = {}): Promise<Entry[]> {
  const view = options.view ?? 'rockridge';
  const viewArgs = view === 'rockridge' ? ['-R'] : view === 'joliet' ? ['-J', '-j', 'UTF-8'] : [];
  const session = options.session === undefined ? [] : ['-T', String(options.session)];
  const r = await run('isoinfo', ['-l', ...viewArgs, ...session, '-i', image], { timeoutMs: options.timeoutMs ?? TIMEOUT_MS });
  return sortEntries(parseIsoinfo(r.stdout.toString('latin1')));
}

const ISOINFO_LINE = /^([-dlfpscb])([-rwxsStT]{9})\s+\d+\s+\d+\s+\d+\s+(\d+)\s+\w{3}\s+\d+\s+\d{4}\s+\[\s*\d+\s+\d+\]\s\s(.*)$/;

export function parseIsoinfo(text: string): Entry[] {
  const entries: Entry[] = [];
  let dir = '';
  for (const line of text.split('\n')) {
    const header = /^Directory listing of \/(.*)$/.exec(line);
    if (header) {
      dir = header[1].replace(/\/$/, '');
      continue;
    }
    const m = ISOINFO_LINE.exec(line);
    if (!m) continue;
    const type = TYPE_LETTERS[m[1]];
    let name = m[4];
    let target: string | undefined;
    if (type === 'symlink') {
      const arrow = name.indexOf(' -> ');
      target = arrow >= 0 ? name.slice(arrow + 4) : '';
      name = arrow >= 0 ? name.slice(0, arrow) : name;
    } else {
      name = name.replace(/ $/, ''); // isoinfo ends every non-link name with one space
    }
    // "." and ".." come first in each listing, printed with an empty name (or as . and .. by some builds).
    if (name === '' || name === '.' || name === '..') {
      if (dir === '' && !entries.some((e) => e.path === '.')) entries.push({ path: '.', type: 'dir', mode: modeFromLetters(m[2]) });
      continue;
    }
    const entry: Entry = { path: dir === '' ? name : `${dir}/${name}`, type, mode: modeFromLetters(m[2]) };
    if (type === 'file') entry.size = Number(m[3]);
    if (target !== undefined) entry.target = target;
    entries.push(entry);
  }
  return entries;
}

/**
 * (c) bsdtar oracle (libarchive's ISO reader, which reads the first session it finds at LBA 16): type,
 * size, mode, symlink target and hard-link groups from `bsdtar -tvf`; mtimes are printed to the minute
 * or day only and are left undefined.
 */
export async function bsdtarListing(image: string, timeoutMs = TIMEOUT_MS): Promise<Entry[]> {
  const r = await run('bsdtar', ['-tvf', image], { timeoutMs, env: { ...process.env, LC_ALL: 'C.UTF-8', TZ: 'UTC' } });
  return sortEntries(parseBsdtar(r.stdout.toString('latin1')));
}

// mode nlink uid gid size month day (year|hh:mm) name
const BSDTAR_LINE = /^([-dlpscbh])([-rwxsStT]{9})\s+\d+\s+\S+\s+\S+\s+(\d+)\s+\w{3}\s+\d+\s+(?:\d{4}|\d\d:\d\d)\s(.*)$/;

export function parseBsdtar(text: string): Entry[] {
  const entries: Entry[] = [];
  const groups = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = BSDTAR_LINE.exec(line);
    if (!m) continue;
    let name = m[4];
    const entry: Entry = { path: '', type: TYPE_LETTERS[m[1]] ?? 'file', mode: modeFromLetters(m[2]) };
    const link = / link to (.*)$/.exec(name);
    if (link) {
      name = name.slice(0, link.index);
      const first = stripDotSlash(link[1]);
      groups.set(first, [...(groups.get(first) ?? [first]), stripDotSlash(name)]);
    }
    if (entry.type === 'symlink') {
      const arrow = name.indexOf(' -> ');
      entry.target = name.slice(arrow + 4);
      name = name.slice(0, arrow);
    }
    entry.path = stripDotSlash(name.replace(/\/$/, '')) || '.';
    if (entry.type === 'file') entry.size = Number(m[3]);
    entries.push(entry);
  }
  fillHardLinkSizes(entries, groups);
  assignLinkGroups(entries, [...groups.values()]);
  return entries;
}

/** bsdtar prints later names of a hard-linked file with size 0: they share the first name's size. */
function fillHardLinkSizes(entries: Entry[], groups: Map<string, string[]>): void {
  const byPath = new Map(entries.map((e) => [e.path, e]));
  for (const [first, members] of groups) {
    const size = byPath.get(first)?.size;
    for (const p of members) {
      const e = byPath.get(p);
      if (e && size !== undefined) e.size = size;
    }
  }
}

function stripDotSlash(p: string): string {
  return p.replace(/^\.\//, '').replace(/^\.$/, '');
}

/** Session start LBAs from `xorriso -toc` (an image with an emulated TOC, or a real disc). */
export async function tocSessions(image: string, timeoutMs = TIMEOUT_MS): Promise<{ start: number; blocks: number; volid: string }[]> {
  const r = await run('xorriso', ['-no_rc', '-report_about', 'SORRY', '-indev', image, '-toc'], { timeoutMs });
  const out: { start: number; blocks: number; volid: string }[] = [];
  for (const line of r.stdout.toString('utf8').split('\n')) {
    const m = /^ISO session\s*:\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)s\s*,\s*(.*)$/.exec(line);
    if (m) out.push({ start: Number(m[2]), blocks: Number(m[3]), volid: m[4].trim() });
  }
  return out;
}
