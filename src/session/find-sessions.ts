// Where the sessions of a medium start: libisoburn's emulated TOC of grown images, a plain image, or a caller's list.

import type { Medium } from '../medium/medium';
import { SYSTEM_AREA_BLOCKS } from '../iso9660/volume-descriptor';
import { DiscfsError } from '../util/errors';
import { probePrimary } from './descriptor-set';

/** libisoburn aligns every session of an overwritable medium to 32 blocks (Libisoburn_nwa_alignemenT). */
export const SESSION_ALIGNMENT_BLOCKS = 32;
/** libisoburn's "ISO head" at LBA 0 occupies 64 KiB; the first emulated session starts after it. */
export const EMULATED_HEAD_BLOCKS = 32;
/** growisofs aligns to 16 blocks; libisoburn also probes 16 blocks early for that reason. */
const GROWISOFS_ALIGNMENT_BLOCKS = 16;
/** A bound on the walk whatever the medium holds. */
export const MAX_SESSIONS = 4096;

export interface SessionLocation {
  /** 1 = oldest. */
  number: number;
  startLba: number;
  /** The session's own Volume Space Size, clipped to the medium. */
  blocks: number;
}

export interface SessionSearch {
  sessions: SessionLocation[];
  /** 'emulated-toc' (grown image), 'single' (one session at LBA 0) or 'explicit' (the caller's list). */
  method: 'emulated-toc' | 'single' | 'explicit';
  defects: string[];
}

function roundUp(value: number, step: number): number {
  return Math.ceil(value / step) * step;
}

/**
 * libisoburn isoburn_emulate_toc(): the PVD at LBA 16 gives the absolute end; sessions are searched from
 * LBA 32, each by its own PVD at start+16, the next at roundup(start+size, 32). If no session is found
 * the medium is one session at LBA 0; if the chain breaks after some, libisoburn adds the whole range
 * (LBA 0, head size) as a last session, and so does this walk.
 */
export async function findSessions(medium: Medium, explicitStarts?: readonly number[]): Promise<SessionSearch> {
  if (explicitStarts !== undefined && explicitStarts.length > 0) return explicitSessions(medium, explicitStarts);
  if (medium.sessionStarts !== undefined && medium.sessionStarts.length > 0) return explicitSessions(medium, medium.sessionStarts);
  const head = await probePrimary(medium, SYSTEM_AREA_BLOCKS);
  if (head === undefined) {
    throw new DiscfsError('NO_ISO9660', `${medium.description}: no ISO 9660 primary volume descriptor at block 16`, { lba: 16 });
  }
  const end = Math.min(head.volumeSpaceSize, medium.blocks);
  const sessions: SessionLocation[] = [];
  const defects: string[] = [];
  let lba = EMULATED_HEAD_BLOCKS;
  let probeEarly = false;
  while (lba < end && sessions.length < MAX_SESSIONS) {
    let start = lba;
    let pvd = await probePrimary(medium, lba + SYSTEM_AREA_BLOCKS);
    if (pvd === undefined && probeEarly) {
      pvd = await probePrimary(medium, lba);
      if (pvd !== undefined) start = lba - SYSTEM_AREA_BLOCKS;
    }
    if (pvd === undefined || pvd.volumeSpaceSize === 0) {
      if (sessions.length > 0) {
        defects.push(`chain of session headers broken at #${sessions.length + 1}, LBA ${lba}`);
        sessions.push({ number: sessions.length + 1, startLba: 0, blocks: end });
      }
      break;
    }
    const blocks = Math.min(pvd.volumeSpaceSize, medium.blocks - start);
    if (blocks < pvd.volumeSpaceSize) defects.push(`session at LBA ${start} claims ${pvd.volumeSpaceSize} blocks, medium has ${blocks}`);
    sessions.push({ number: sessions.length + 1, startLba: start, blocks });
    const next = start + blocks;
    const growisofsNext = roundUp(next, GROWISOFS_ALIGNMENT_BLOCKS);
    lba = roundUp(next, SESSION_ALIGNMENT_BLOCKS);
    probeEarly = lba - growisofsNext === GROWISOFS_ALIGNMENT_BLOCKS;
  }
  if (sessions.length === 0) return { sessions: [{ number: 1, startLba: 0, blocks: end }], method: 'single', defects };
  return { sessions, method: 'emulated-toc', defects };
}

async function explicitSessions(medium: Medium, starts: readonly number[]): Promise<SessionSearch> {
  const sorted = [...new Set(starts)].sort((a, b) => a - b);
  const sessions: SessionLocation[] = [];
  for (const start of sorted) {
    if (!Number.isSafeInteger(start) || start < 0) {
      throw new DiscfsError('BAD_SESSION_LIST', `session start ${start} is not a block address`, { start });
    }
    const pvd = await probePrimary(medium, start + SYSTEM_AREA_BLOCKS);
    if (pvd === undefined) {
      throw new DiscfsError('NO_ISO9660', `no primary volume descriptor at block ${start + SYSTEM_AREA_BLOCKS} (session start ${start})`, { start });
    }
    sessions.push({ number: sessions.length + 1, startLba: start, blocks: Math.min(pvd.volumeSpaceSize, medium.blocks - start) });
  }
  return { sessions, method: 'explicit', defects: [] };
}
