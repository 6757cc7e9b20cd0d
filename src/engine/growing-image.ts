// Growing mode on image files, as libisoburn emulates a TOC on overwritable media: where the next session goes.

import fs from 'node:fs/promises';
import { openImageFile } from '../medium/image-file';
import { BLOCK_SIZE } from '../medium/medium';
import { hasStandardIdentifier, SYSTEM_AREA_BLOCKS, VolumeDescriptorType } from '../iso9660/volume-descriptor';
import { findSessions, SESSION_ALIGNMENT_BLOCKS } from '../session/find-sessions';
import { MAX_DESCRIPTORS } from '../session/descriptor-set';
import { DiscfsError } from '../util/errors';

/** The first session of a grown image starts after libisoburn's 64 KiB "ISO head" (LBA 0..31). */
export const FIRST_SESSION_LBA = 32;
/** LBA 0..31: the head that holds a copy of the newest session's volume descriptor set. */
export const HEAD_BLOCKS = 32;

export interface ExistingSession {
  number: number;
  start: number;
  blocks: number;
}

export interface ImageState {
  imagePath: string;
  /** The file does not exist or is empty: the first commit makes session 1. */
  blank: boolean;
  fileBytes: number;
  sessions: ExistingSession[];
  /** roundup(last.start + last.blocks, 32), or 32 for a blank image. */
  nextStart: number;
  /** The newest session's El Torito boot record block, carried into the next VD set. */
  bootRecord?: Buffer;
}

export function roundUpToSessionAlignment(lba: number): number {
  return Math.ceil(lba / SESSION_ALIGNMENT_BLOCKS) * SESSION_ALIGNMENT_BLOCKS;
}

async function fileBytesOf(path: string): Promise<number | undefined> {
  try {
    return (await fs.stat(path)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DiscfsError('IMAGE_OPEN', `cannot stat image ${path}: ${(e as Error).message}`, { path }, { cause: e });
  }
}

async function findBootRecord(read: (lba: number) => Promise<Buffer>, start: number): Promise<Buffer | undefined> {
  for (let i = 0; i < MAX_DESCRIPTORS; i++) {
    const block = await read(start + SYSTEM_AREA_BLOCKS + i);
    if (!hasStandardIdentifier(block) || block[0] === VolumeDescriptorType.terminator) return undefined;
    if (block[0] === VolumeDescriptorType.bootRecord) return block;
  }
  return undefined;
}

/**
 * Inspects an image for growing. Refuses (DiscfsError ENGINE_SESSION_AT_LBA0) an image whose only session starts
 * at LBA 0 (plain mkisofs/genisoimage output): its descriptors live at LBA 16, which growing mode must rewrite.
 */
export async function inspectImage(imagePath: string): Promise<ImageState> {
  const fileBytes = await fileBytesOf(imagePath);
  if (fileBytes === undefined || fileBytes === 0) {
    return { imagePath, blank: true, fileBytes: fileBytes ?? 0, sessions: [], nextStart: FIRST_SESSION_LBA };
  }
  const medium = await openImageFile(imagePath);
  try {
    const found = await findSessions(medium);
    if (found.method === 'single') {
      throw new DiscfsError(
        'ENGINE_SESSION_AT_LBA0',
        `${imagePath}: its session starts at LBA 0 (a plain mkisofs/genisoimage image); appending in growing mode would ` +
          'overwrite its descriptors at LBA 16 and make it unreachable. Convert it first, e.g. ' +
          '`xorriso -indev OLD.iso -outdev NEW.iso -commit` (copies it as session 1 at LBA 32), and use NEW.iso.',
        { imagePath, sessionStart: 0 },
      );
    }
    const sessions = found.sessions.filter((s) => s.startLba >= FIRST_SESSION_LBA).map((s) => ({ number: s.number, start: s.startLba, blocks: s.blocks }));
    if (sessions.length === 0) throw new DiscfsError('ENGINE_NO_SESSIONS', `${imagePath}: no session found after LBA ${FIRST_SESSION_LBA}`, { imagePath });
    const last = sessions[sessions.length - 1];
    const bootRecord = await findBootRecord((lba) => medium.read(lba, 1), last.start).catch(() => undefined);
    return { imagePath, blank: false, fileBytes, sessions, nextStart: roundUpToSessionAlignment(last.start + last.blocks), bootRecord };
  } finally {
    await medium.close();
  }
}

/** Capacities in 2048-byte blocks of the media an image may be destined for. */
export const MEDIA_CAPACITY_BLOCKS = { cd: 359_846, dvd: 2_295_104, 'dvd-dl': 4_173_824, bd: 12_219_392 } as const;
export type MediaKind = keyof typeof MEDIA_CAPACITY_BLOCKS;

/** The capacity an image may grow to: the medium's, but never less than the image already is. */
export function capacityBlocks(media: MediaKind | undefined, state: ImageState): number {
  if (media === undefined) return Number.MAX_SAFE_INTEGER;
  return Math.max(MEDIA_CAPACITY_BLOCKS[media], Math.ceil(state.fileBytes / BLOCK_SIZE));
}

