// ECMA-119 8.4.26.1 (17-byte digit date) and 9.1.5 (7-byte binary date), both with GMT offset; RRIP 1.12 4.1.6 TF uses either.

import type { Timespec } from '../tree/node';
import { requireBytes } from './bounds';

export const LONG_DATE_LENGTH = 17;
export const SHORT_DATE_LENGTH = 7;
const QUARTER_HOUR_SECONDS = 900;

function utcSeconds(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const d = new Date(0);
  // setUTCFullYear avoids Date.UTC's 0..99 -> 1900..1999 remapping.
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return Math.floor(d.getTime() / 1000);
}

function inRange(v: number, lo: number, hi: number): boolean {
  return Number.isInteger(v) && v >= lo && v <= hi;
}

/**
 * ECMA-119 9.1.5: years since 1900, month, day, hour, minute, second, GMT offset in 15-minute steps.
 * Returns undefined for an all-zero ("not recorded") or impossible date.
 */
export function decodeShortDate(buf: Buffer, offset: number): Timespec | undefined {
  requireBytes(buf, offset, SHORT_DATE_LENGTH, 'recording date');
  const [y, mo, d, h, mi, s] = buf.subarray(offset, offset + 6);
  if (y === 0 && mo === 0 && d === 0 && h === 0 && mi === 0 && s === 0) return undefined;
  if (!inRange(mo, 1, 12) || !inRange(d, 1, 31) || !inRange(h, 0, 23) || !inRange(mi, 0, 59) || !inRange(s, 0, 60)) {
    return undefined;
  }
  const gmtOffset = buf.readInt8(offset + 6);
  return { sec: utcSeconds(1900 + y, mo, d, h, mi, s) - gmtOffset * QUARTER_HOUR_SECONDS, nsec: 0 };
}

function digits(buf: Buffer, offset: number, count: number): number {
  let v = 0;
  for (let i = 0; i < count; i++) {
    const c = buf[offset + i] - 0x30;
    if (c < 0 || c > 9) return Number.NaN;
    v = v * 10 + c;
  }
  return v;
}

/**
 * ECMA-119 8.4.26.1: "YYYYMMDDHHMMSScc" digits and a GMT offset byte. Returns undefined when
 * the date is "not specified" (all '0' digits or all zero bytes) or not digits at all.
 */
export function decodeLongDate(buf: Buffer, offset: number): Timespec | undefined {
  requireBytes(buf, offset, LONG_DATE_LENGTH, 'volume date');
  const y = digits(buf, offset, 4);
  const mo = digits(buf, offset + 4, 2);
  const d = digits(buf, offset + 6, 2);
  const h = digits(buf, offset + 8, 2);
  const mi = digits(buf, offset + 10, 2);
  const s = digits(buf, offset + 12, 2);
  const cs = digits(buf, offset + 14, 2);
  if (!inRange(y, 1, 9999) || !inRange(mo, 1, 12) || !inRange(d, 1, 31)) return undefined;
  if (!inRange(h, 0, 23) || !inRange(mi, 0, 59) || !inRange(s, 0, 60) || !inRange(cs, 0, 99)) return undefined;
  const gmtOffset = buf.readInt8(offset + 16);
  return { sec: utcSeconds(y, mo, d, h, mi, s) - gmtOffset * QUARTER_HOUR_SECONDS, nsec: cs * 10_000_000 };
}

// ---- Encoders (engine) ----

function utcParts(sec: number): number[] {
  const d = new Date(sec * 1000);
  return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()];
}

/** ECMA-119 9.1.5: 7-byte UTC date (offset 0); years outside 1900..2155 are clamped to that range. */
export function encodeShortDate(time: Timespec): Buffer {
  const out = Buffer.alloc(SHORT_DATE_LENGTH);
  const minSec = utcSeconds(1900, 1, 1, 0, 0, 0);
  const maxSec = utcSeconds(2155, 12, 31, 23, 59, 59);
  const [y, mo, d, h, mi, s] = utcParts(Math.min(maxSec, Math.max(minSec, Math.floor(time.sec))));
  out.set([y - 1900, mo, d, h, mi, s, 0]);
  return out;
}

/** ECMA-119 8.4.26.1: 17-byte digit date in UTC; undefined -> "not specified" (16 '0' digits, offset 0). */
export function encodeLongDate(time: Timespec | undefined): Buffer {
  const out = Buffer.alloc(LONG_DATE_LENGTH);
  if (time === undefined) {
    out.write('0000000000000000', 0, 'latin1');
    return out;
  }
  const minSec = utcSeconds(1, 1, 1, 0, 0, 0);
  const maxSec = utcSeconds(9999, 12, 31, 23, 59, 59);
  const parts = utcParts(Math.min(maxSec, Math.max(minSec, Math.floor(time.sec))));
  const pad = (v: number, n: number): string => String(v).padStart(n, '0');
  const text = pad(parts[0], 4) + parts.slice(1).map((v) => pad(v, 2)).join('') + pad(Math.floor(time.nsec / 10_000_000), 2);
  out.write(text, 0, 'latin1');
  return out;
}
