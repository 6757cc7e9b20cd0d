// Mount path names <-> raw name bytes (PEP 383 surrogateescape), and the name rules the overlay enforces.

import { FsError } from '../util/errors';

/** NAME_MAX of Linux filesystems: longer names fail with ENAMETOOLONG. */
export const NAME_MAX = 255;

const ESCAPE_LOW = 0xdc80;
const ESCAPE_HIGH = 0xdcff;

/** Name bytes of a mount name: lone surrogates U+DC80..U+DCFF stand for the undecodable bytes 0x80..0xFF. */
export function nameToBytes(name: string): Buffer {
  const parts: Buffer[] = [];
  let plain = '';
  for (const ch of name) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp >= ESCAPE_LOW && cp <= ESCAPE_HIGH) {
      parts.push(Buffer.from(plain, 'utf8'), Buffer.from([cp - 0xdc00]));
      plain = '';
    } else {
      plain += ch;
    }
  }
  parts.push(Buffer.from(plain, 'utf8'));
  return Buffer.concat(parts);
}

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when the byte there does not start one. */
function utf8SequenceLength(b: Buffer, i: number): number {
  const lead = b[i];
  let len = 0;
  let min = 0;
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) [len, min] = [2, 0x80];
  else if (lead >= 0xe0 && lead <= 0xef) [len, min] = [3, 0x800];
  else if (lead >= 0xf0 && lead <= 0xf4) [len, min] = [4, 0x10000];
  else return 0;
  if (i + len > b.length) return 0;
  let cp = lead & (0xff >> (len + 1));
  for (let k = 1; k < len; k++) {
    const c = b[i + k];
    if ((c & 0xc0) !== 0x80) return 0;
    cp = (cp << 6) | (c & 0x3f);
  }
  const surrogate = cp >= 0xd800 && cp <= 0xdfff;
  return cp < min || cp > 0x10ffff || surrogate ? 0 : len;
}

/** The mount name of raw name bytes: invalid UTF-8 bytes become lone surrogates, so nameToBytes round-trips. */
export function bytesToName(bytes: Buffer): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const len = utf8SequenceLength(bytes, i);
    if (len === 0) {
      out += String.fromCharCode(0xdc00 + bytes[i]);
      i += 1;
    } else {
      out += bytes.toString('utf8', i, i + len);
      i += len;
    }
  }
  return out;
}

/** Splits an absolute mount path into name byte strings ("/" gives []). */
export function splitPath(path: string): Buffer[] {
  if (!path.startsWith('/')) throw new FsError('EINVAL', `not an absolute path: ${path}`);
  return path.split('/').filter((p) => p.length > 0).map(nameToBytes);
}

/** Rejects names a new entry may not take (ENAMETOOLONG above NAME_MAX bytes, "." and ".."). */
export function checkNewName(name: Buffer): void {
  if (name.length > NAME_MAX) throw new FsError('ENAMETOOLONG', `name of ${name.length} bytes`);
  if (name.length === 0 || name.equals(DOT) || name.equals(DOTDOT)) throw new FsError('EINVAL', 'reserved name');
  if (name.includes(0x2f) || name.includes(0)) throw new FsError('EINVAL', 'name with "/" or NUL');
}

const DOT = Buffer.from('.');
const DOTDOT = Buffer.from('..');

/** Files desktops scatter into every folder they show: kept in the overlay, left out of the commit by default. */
const CLUTTER_NAMES = new Set(['.directory', '.ds_store', 'thumbs.db', 'desktop.ini']);

export function isClutterName(name: Buffer): boolean {
  return name.length <= 16 && CLUTTER_NAMES.has(name.toString('latin1').toLowerCase());
}

/**
 * "/.Trash" and "/.Trash-<uid>" at the top: refusing them makes file managers fall back to a real delete
 * instead of moving files into a trash that would be burnt onto the disc.
 */
export function isTrashName(name: Buffer): boolean {
  const s = name.toString('latin1');
  return s === '.Trash' || /^\.Trash-\d+$/.test(s);
}
