// Mount paths as raw name bytes, and the name rules the overlay enforces.

import { FsError } from '../util/errors';
import { decodeName, encodeName } from '../util/name-codec';

/** NAME_MAX of Linux filesystems: longer names fail with ENAMETOOLONG. */
export const NAME_MAX = 255;

/** Name bytes of a mount name (surrogateescape, src/util/name-codec.ts). */
export const nameToBytes = encodeName;
/** The mount name of raw name bytes; nameToBytes round-trips it. */
export const bytesToName = decodeName;

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
