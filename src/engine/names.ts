// Plans the ISO 9660 level-3 identifiers (ECMA-119 7.5/7.6, d-characters) and Joliet names (Joliet 3.1/3.2) of one directory.

import { encodeJolietName } from '../iso9660/joliet';

/** ECMA-119 7.5.1 (level 2/3): file name + extension at most 30 characters; 7.6.3: directory identifiers at most 31. */
export const ISO_FILE_NAME_MAX = 30;
export const ISO_DIR_NAME_MAX = 31;
const ISO_EXTENSION_MAX = 8;
/** Joliet 3.2 (as xorriso): 64 UCS-2 units per name; longer names are truncated and made unique. */
export const JOLIET_NAME_MAX = 64;

function dCharacters(text: string): string {
  return text.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

interface NameParts {
  base: string;
  ext: string;
}

function isoParts(name: Buffer, isDir: boolean): NameParts {
  const text = name.toString('utf8');
  const dot = isDir ? -1 : text.lastIndexOf('.');
  if (dot <= 0) return { base: dCharacters(text).slice(0, isDir ? ISO_DIR_NAME_MAX : ISO_FILE_NAME_MAX) || '_', ext: '' };
  const ext = dCharacters(text.slice(dot + 1)).slice(0, ISO_EXTENSION_MAX);
  const base = dCharacters(text.slice(0, dot)).slice(0, ISO_FILE_NAME_MAX - ext.length) || '_';
  return { base, ext };
}

function isoIdentifier(p: NameParts, isDir: boolean): string {
  if (isDir) return p.base;
  return `${p.base}.${p.ext};1`;
}

/** Replaces the tail of `base` with a decimal counter so it still fits `max` characters. */
function withCounter(base: string, counter: number, max: number): string {
  const suffix = String(counter);
  return base.slice(0, Math.max(0, max - suffix.length)) + suffix;
}

export interface NameRequest {
  name: Buffer;
  isDir: boolean;
}

/**
 * ISO 9660 identifiers for the children of one directory, in input order. Deterministic: a collision
 * gets the lowest counter (1, 2, ...) not yet taken in this directory, in input order.
 */
export function planIsoIdentifiers(children: readonly NameRequest[]): Buffer[] {
  const taken = new Set<string>();
  return children.map(({ name, isDir }) => {
    const parts = isoParts(name, isDir);
    let id = isoIdentifier(parts, isDir);
    const max = isDir ? ISO_DIR_NAME_MAX : ISO_FILE_NAME_MAX - parts.ext.length;
    for (let n = 1; taken.has(id); n++) id = isoIdentifier({ base: withCounter(parts.base, n, max), ext: parts.ext }, isDir);
    taken.add(id);
    return Buffer.from(id, 'latin1');
  });
}

/** Joliet 3.1 forbids these in identifiers (plus control characters). */
const JOLIET_FORBIDDEN = /[\u0000-\u001f*/:;?\\]/g;

/** Cuts to at most `max` UTF-16 units without splitting a surrogate pair. */
function truncateUnits(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max;
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  return text.slice(0, cut);
}

function jolietCandidate(text: string, isDir: boolean, counter: number): string {
  const dot = isDir ? -1 : text.lastIndexOf('.');
  const ext = dot > 0 && text.length - dot <= 16 ? text.slice(dot) : '';
  const base = ext ? text.slice(0, dot) : text;
  const suffix = counter > 0 ? String(counter) : '';
  if (counter === 0 && text.length <= JOLIET_NAME_MAX) return text;
  return truncateUnits(base, JOLIET_NAME_MAX - ext.length - suffix.length) + suffix + ext;
}

/** Joliet identifiers (UCS-2 BE, files with ";1") for the children of one directory, in input order. */
export function planJolietIdentifiers(children: readonly NameRequest[]): Buffer[] {
  const taken = new Set<string>();
  return children.map(({ name, isDir }) => {
    const text = name.toString('utf8').replace(JOLIET_FORBIDDEN, '_');
    let candidate = jolietCandidate(text, isDir, 0);
    for (let n = 1; taken.has(candidate); n++) candidate = jolietCandidate(text, isDir, n);
    taken.add(candidate);
    return encodeJolietName(isDir ? candidate : `${candidate};1`);
  });
}

/**
 * ECMA-119 9.3 order: file name then extension, each as if padded with spaces, then version.
 * For Joliet identifiers the same comparison over UCS-2 bytes is used (as libisofs does).
 */
export function compareIdentifiers(a: Buffer, b: Buffer): number {
  const split = (id: Buffer): [Buffer, Buffer] => {
    const semi = id.indexOf(0x3b);
    const body = semi >= 0 ? id.subarray(0, semi) : id;
    const dot = body.lastIndexOf(0x2e);
    return dot >= 0 ? [body.subarray(0, dot), body.subarray(dot + 1)] : [body, Buffer.alloc(0)];
  };
  const padCompare = (x: Buffer, y: Buffer): number => {
    const n = Math.max(x.length, y.length);
    for (let i = 0; i < n; i++) {
      const cx = i < x.length ? x[i] : 0x20;
      const cy = i < y.length ? y[i] : 0x20;
      if (cx !== cy) return cx - cy;
    }
    return 0;
  };
  const [an, ae] = split(a);
  const [bn, be] = split(b);
  return padCompare(an, bn) || padCompare(ae, be) || Buffer.compare(a, b);
}
