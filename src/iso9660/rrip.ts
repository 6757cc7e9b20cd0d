// RRIP 1.12 (IEEE P1282) 4.1: PX, PN, SL, NM, CL, PL, RE, TF, plus zisofs ZF; unknown entries (e.g. AAIP "AL") are ignored.

import type { Timespec } from '../tree/node';
import { readBoth32, writeBoth32 } from './both-endian';
import { decodeLongDate, decodeShortDate, encodeShortDate, LONG_DATE_LENGTH, SHORT_DATE_LENGTH } from './datetime';
import { encodeSuspEntry, type SuspEntry } from './susp';

/** Signatures whose presence in the root's "." record means Rock Ridge is recorded (not the ER text). */
export const ROCK_RIDGE_SIGNATURES: ReadonlySet<string> = new Set(['PX', 'PN', 'SL', 'NM', 'CL', 'PL', 'RE', 'TF', 'RR']);

/** RRIP 4.1.1: PX is 36 bytes in 1.10, 44 bytes (with the file serial number) in 1.12. */
export const PX_LENGTH_WITHOUT_INO = 36;
export const PX_LENGTH_WITH_INO = 44;

export interface PosixAttributes {
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  /** File serial number (1.12 only). */
  ino?: number;
}

export interface RockRidgeTimes {
  creation?: Timespec;
  modify?: Timespec;
  access?: Timespec;
  attributes?: Timespec;
}

export interface ZisofsInfo {
  algorithm: string;
  headerSizeDiv4: number;
  log2BlockSize: number;
  uncompressedSize: number;
}

export interface RockRidgeInfo {
  /** Any Rock Ridge entry was found. */
  present: boolean;
  px?: PosixAttributes;
  /** dev_t from PN (Linux encoding). */
  rdev?: number;
  /** Alternate name from NM entries (continued entries concatenated). */
  name?: Buffer;
  /** NM flagged "current" or "parent": the name must not be used. */
  nameIsDotOrDotDot?: boolean;
  symlinkTarget?: Buffer;
  times: RockRidgeTimes;
  /** CL: the relocated directory's real extent. */
  childLink?: number;
  /** PL: the original parent's extent (in a relocated directory's ".."). */
  parentLink?: number;
  /** RE: this record is the relocated directory itself (hide it at its relocation place). */
  relocated: boolean;
  zisofs?: ZisofsInfo;
  defects: string[];
}

const SL_FLAG_CONTINUE = 0x01;
const SL_COMPONENT = { continue: 0x01, current: 0x02, parent: 0x04, root: 0x08 } as const;
const NM_FLAG = { continue: 0x01, current: 0x02, parent: 0x04 } as const;
const TF_FLAG = { creation: 0x01, modify: 0x02, access: 0x04, attributes: 0x08, longForm: 0x80 } as const;
const TF_ORDER = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40] as const;

/** Linux makedev(): major in bits 8..19 and 32.., minor in bits 0..7 and 20..31. */
export function linuxMakedev(major: number, minor: number): number {
  return ((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12)) >>> 0;
}

function decodePx(e: SuspEntry, out: RockRidgeInfo): void {
  if (e.data.length < PX_LENGTH_WITHOUT_INO - 4) {
    out.defects.push(`PX entry is ${e.data.length + 4} bytes, needs ${PX_LENGTH_WITHOUT_INO}`);
    return;
  }
  out.px = {
    mode: readBoth32(e.data, 0).value,
    nlink: readBoth32(e.data, 8).value,
    uid: readBoth32(e.data, 16).value,
    gid: readBoth32(e.data, 24).value,
    ino: e.data.length >= PX_LENGTH_WITH_INO - 4 ? readBoth32(e.data, 32).value : undefined,
  };
}

function decodePn(e: SuspEntry, out: RockRidgeInfo): void {
  if (e.data.length < 16) {
    out.defects.push('PN entry is too short');
    return;
  }
  const high = readBoth32(e.data, 0).value;
  const low = readBoth32(e.data, 8).value;
  // libisofs records dev_t split in 32-bit halves; mkisofs records major/minor.
  out.rdev = high === 0 ? low : linuxMakedev(high, low);
}

interface SymlinkBuilder {
  parts: Buffer[];
  needSlash: boolean;
  open: boolean;
}

function appendSlComponents(e: SuspEntry, sl: SymlinkBuilder, out: RockRidgeInfo): void {
  if (e.data.length < 1) {
    out.defects.push('SL entry is too short');
    return;
  }
  let offset = 1;
  while (offset + 2 <= e.data.length) {
    const flags = e.data[offset];
    const length = e.data[offset + 1];
    if (offset + 2 + length > e.data.length) {
      out.defects.push(`SL component of length ${length} runs past its entry`);
      return;
    }
    const content = e.data.subarray(offset + 2, offset + 2 + length);
    offset += 2 + length;
    if (flags & SL_COMPONENT.root) {
      // A ROOT component after others ("x//y" as libisofs writes it) still needs the pending separator.
      if (sl.needSlash) sl.parts.push(Buffer.from('/'));
      sl.parts.push(Buffer.from('/'));
      sl.needSlash = false;
      continue;
    }
    if (sl.needSlash) sl.parts.push(Buffer.from('/'));
    if (flags & SL_COMPONENT.current) sl.parts.push(Buffer.from('.'));
    else if (flags & SL_COMPONENT.parent) sl.parts.push(Buffer.from('..'));
    else sl.parts.push(Buffer.from(content));
    sl.needSlash = (flags & SL_COMPONENT.continue) === 0;
  }
  sl.open = (e.data[0] & SL_FLAG_CONTINUE) !== 0;
}

function decodeTf(e: SuspEntry, out: RockRidgeInfo): void {
  if (e.data.length < 1) return;
  const flags = e.data[0];
  const size = flags & TF_FLAG.longForm ? LONG_DATE_LENGTH : SHORT_DATE_LENGTH;
  let offset = 1;
  for (const bit of TF_ORDER) {
    if (!(flags & bit)) continue;
    if (offset + size > e.data.length) {
      out.defects.push('TF entry is shorter than its flags announce');
      return;
    }
    const t = size === LONG_DATE_LENGTH ? decodeLongDate(e.data, offset) : decodeShortDate(e.data, offset);
    offset += size;
    if (bit === TF_FLAG.creation) out.times.creation = t;
    else if (bit === TF_FLAG.modify) out.times.modify = t;
    else if (bit === TF_FLAG.access) out.times.access = t;
    else if (bit === TF_FLAG.attributes) out.times.attributes = t;
  }
}

function decodeZf(e: SuspEntry, out: RockRidgeInfo): void {
  if (e.data.length < 12) {
    out.defects.push('ZF entry is too short');
    return;
  }
  out.zisofs = {
    algorithm: e.data.toString('latin1', 0, 2),
    headerSizeDiv4: e.data[2],
    log2BlockSize: e.data[3],
    uncompressedSize: readBoth32(e.data, 4).value,
  };
}

function linkLocation(e: SuspEntry, out: RockRidgeInfo): number | undefined {
  if (e.data.length < 8) {
    out.defects.push(`${e.signature} entry is too short`);
    return undefined;
  }
  return readBoth32(e.data, 0).value;
}

/** Interprets the Rock Ridge entries of one directory record (SUSP entries incl. its CE chain). */
export function decodeRockRidge(entries: readonly SuspEntry[]): RockRidgeInfo {
  const out: RockRidgeInfo = { present: false, times: {}, relocated: false, defects: [] };
  const sl: SymlinkBuilder = { parts: [], needSlash: false, open: false };
  const nameParts: Buffer[] = [];
  let sawSl = false;
  for (const e of entries) {
    if (ROCK_RIDGE_SIGNATURES.has(e.signature)) out.present = true;
    switch (e.signature) {
      case 'PX': decodePx(e, out); break;
      case 'PN': decodePn(e, out); break;
      case 'SL': sawSl = true; appendSlComponents(e, sl, out); break;
      case 'NM':
        if (e.data.length < 1) break;
        if (e.data[0] & (NM_FLAG.current | NM_FLAG.parent)) out.nameIsDotOrDotDot = true;
        else nameParts.push(e.data.subarray(1));
        break;
      case 'TF': decodeTf(e, out); break;
      case 'CL': out.childLink = linkLocation(e, out); break;
      case 'PL': out.parentLink = linkLocation(e, out); break;
      case 'RE': out.relocated = true; break;
      case 'ZF': decodeZf(e, out); break;
      default: break;
    }
  }
  if (nameParts.length > 0) out.name = Buffer.concat(nameParts);
  if (sawSl) out.symlinkTarget = Buffer.concat(sl.parts);
  return out;
}

// ---- Encoders (engine) ----

/** RRIP 1.12 5.5 / SUSP 5.5: the ER texts of RRIP 1.12. */
export const RRIP_1_12_EXTENSION = {
  identifier: 'IEEE_1282',
  descriptor: 'THE IEEE 1282 PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS.',
  source: 'PLEASE CONTACT THE IEEE STANDARDS DEPARTMENT, PISCATAWAY, NJ, USA FOR THE 1282 SPECIFICATION.',
  version: 1,
} as const;

/** Bytes of entry data after the 4-byte SUSP header and the 1-byte flags (SUSP 4.1: 255-byte entries). */
const MAX_FLAGGED_PAYLOAD = 255 - 4 - 1;

/** RRIP 1.12 4.1.1: 44-byte PX with the file serial number. */
export function encodePx(px: Required<PosixAttributes>): Buffer {
  const data = Buffer.alloc(PX_LENGTH_WITH_INO - 4);
  [px.mode, px.nlink, px.uid, px.gid, px.ino].forEach((v, i) => writeBoth32(data, i * 8, v >>> 0));
  return encodeSuspEntry('PX', 1, data);
}

/** RRIP 1.12 4.1.2: PN with dev_t split in 32-bit halves (as libisofs; Linux isofs reads both forms). */
export function encodePn(rdev: number): Buffer {
  const data = Buffer.alloc(16);
  writeBoth32(data, 0, Math.floor(rdev / 2 ** 32) >>> 0);
  writeBoth32(data, 8, rdev >>> 0);
  return encodeSuspEntry('PN', 1, data);
}

/** RRIP 1.12 4.1.6: TF, short form, modify + access + attributes (in that order, 4.1.6 bit order). */
export function encodeTf(times: { modify: Timespec; access: Timespec; attributes: Timespec }): Buffer {
  const flags = TF_FLAG.modify | TF_FLAG.access | TF_FLAG.attributes;
  return encodeSuspEntry('TF', 1, Buffer.concat([Buffer.from([flags]), ...[times.modify, times.access, times.attributes].map(encodeShortDate)]));
}

/** RRIP 1.12 4.1.4: NM entries; names longer than one entry continue in the next (CONTINUE flag). */
export function encodeNm(name: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let offset = 0; offset < name.length || out.length === 0; offset += MAX_FLAGGED_PAYLOAD) {
    const part = name.subarray(offset, offset + MAX_FLAGGED_PAYLOAD);
    const more = offset + MAX_FLAGGED_PAYLOAD < name.length;
    out.push(encodeSuspEntry('NM', 1, Buffer.concat([Buffer.from([more ? NM_FLAG.continue : 0]), part])));
  }
  return out;
}

interface SlComponent {
  flags: number;
  text: Buffer;
}

function slComponents(target: Buffer): SlComponent[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= target.length; i++) {
    if (i === target.length || target[i] === 0x2f) {
      parts.push(target.subarray(start, i));
      start = i + 1;
    }
  }
  const out: SlComponent[] = [];
  // A leading "/" yields an empty first part: that is the ROOT component.
  if (target.length > 0 && target[0] === 0x2f) {
    out.push({ flags: SL_COMPONENT.root, text: Buffer.alloc(0) });
    parts.shift();
    if (parts.length === 1 && parts[0].length === 0) return out;
  }
  for (const [i, p] of parts.entries()) {
    // An empty part inside ("x//y") is a ROOT component, as libisofs writes it; only a trailing one stays empty.
    if (p.length === 0 && i < parts.length - 1) out.push({ flags: SL_COMPONENT.root, text: Buffer.alloc(0) });
    else if (p.equals(Buffer.from('.'))) out.push({ flags: SL_COMPONENT.current, text: Buffer.alloc(0) });
    else if (p.equals(Buffer.from('..'))) out.push({ flags: SL_COMPONENT.parent, text: Buffer.alloc(0) });
    else out.push({ flags: 0, text: p });
  }
  return out;
}

/**
 * RRIP 1.12 4.1.3: SL entries. Components longer than the room left are split with the component
 * CONTINUE flag; the entry CONTINUE flag says the link goes on in the next SL entry.
 */
export function encodeSl(target: Buffer): Buffer[] {
  const entries: Buffer[][] = [[]];
  let used = 0;
  const newEntry = (): void => {
    entries.push([]);
    used = 0;
  };
  for (const c of slComponents(target)) {
    let offset = 0;
    do {
      if (MAX_FLAGGED_PAYLOAD - used < 3) newEntry();
      const room = MAX_FLAGGED_PAYLOAD - used - 2;
      const piece = c.text.subarray(offset, offset + room);
      offset += piece.length;
      const continued = offset < c.text.length;
      entries[entries.length - 1].push(Buffer.from([c.flags | (continued ? SL_COMPONENT.continue : 0), piece.length]), piece);
      used += 2 + piece.length;
    } while (offset < c.text.length);
  }
  return entries.map((parts, i) =>
    encodeSuspEntry('SL', 1, Buffer.concat([Buffer.from([i < entries.length - 1 ? SL_FLAG_CONTINUE : 0]), ...parts])),
  );
}
