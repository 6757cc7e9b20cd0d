// Byte-exact file names as JS strings: UTF-8 with PEP 383 "surrogateescape" (each byte that is not part of a
// valid UTF-8 sequence becomes the lone surrogate U+DC00+byte, i.e. U+DC80..U+DCFF, and encodes back to it).
// decode(encode(s)) === s for every name decode can produce, and encode(decode(b)) equals b for every byte string.

import { FsError } from './errors';

const ESCAPE_BASE = 0xdc00;
const SURROGATE_RE = /[\uD800-\uDFFF]/;
const NON_ASCII_RE = /[^\x00-\x7f]/;

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when the byte there cannot start one. */
function validSequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i];
  if (b0 < 0x80) return 1;
  let need: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) need = 1;
  else if (b0 >= 0xe0 && b0 <= 0xef) {
    need = 2;
    if (b0 === 0xe0) lo = 0xa0; // overlong
    if (b0 === 0xed) hi = 0x9f; // UTF-16 surrogates are not valid UTF-8
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    need = 3;
    if (b0 === 0xf0) lo = 0x90; // overlong
    if (b0 === 0xf4) hi = 0x8f; // above U+10FFFF
  } else return 0;
  const b1 = bytes[i + 1];
  if (b1 === undefined || b1 < lo || b1 > hi) return 0;
  for (let k = 2; k <= need; k++) {
    const b = bytes[i + k];
    if (b === undefined || b < 0x80 || b > 0xbf) return 0;
  }
  return need + 1;
}

/** Decodes name bytes (a path, a directory entry, a link target) into a string, never losing a byte. */
export function decodeName(bytes: Uint8Array): string {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let ascii = true;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return buf.toString('latin1');
  let out = '';
  let runStart = 0;
  let i = 0;
  while (i < buf.length) {
    const len = validSequenceLength(buf, i);
    if (len > 0) {
      i += len;
      continue;
    }
    out += buf.toString('utf8', runStart, i) + String.fromCharCode(ESCAPE_BASE + buf[i]);
    i += 1;
    runStart = i;
  }
  return out + buf.toString('utf8', runStart, i);
}

function pushUtf8(out: number[], cp: number): void {
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
}

/**
 * Encodes a name back to its bytes. A lone surrogate outside U+DC80..U+DCFF has no byte form:
 * that is an FsError EINVAL (such a name cannot exist on a POSIX filesystem).
 */
export function encodeName(name: string): Buffer {
  if (!SURROGATE_RE.test(name)) return Buffer.from(name, 'utf8');
  const out: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = name.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        pushUtf8(out, 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00));
        i += 1;
        continue;
      }
    } else if (c >= 0xdc80 && c <= 0xdcff) {
      out.push(c - ESCAPE_BASE);
      continue;
    } else if (c < 0xd800 || c > 0xdfff) {
      pushUtf8(out, c);
      continue;
    }
    throw new FsError('EINVAL', `name has a lone surrogate U+${c.toString(16).toUpperCase()} at ${i}`, { index: i });
  }
  return Buffer.from(out);
}

/** True when the name is plain Unicode text (no escaped bytes, no lone surrogates): its bytes are valid UTF-8. */
export function isValidUtf8Name(name: string): boolean {
  return !SURROGATE_RE.test(name.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''));
}

/** True when the name is 7-bit ASCII. */
export function isAsciiName(name: string): boolean {
  return !NON_ASCII_RE.test(name);
}
