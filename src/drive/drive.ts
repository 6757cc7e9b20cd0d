// What is in the drive (MMC-5 6.6 profile, 6.22 disc information, 6.27 track information, 6.26 TOC fallback).
import { currentProfile } from '../mmc/get-configuration';
import { PROFILE, profileInfo, type ProfileInfo } from '../mmc/profiles';
import { readCapacity } from '../mmc/read-capacity';
import { readDiscInformation, type DiscInformation, type DiscStatus } from '../mmc/read-disc-information';
import { readToc, LEAD_OUT_TRACK } from '../mmc/read-toc';
import { INVISIBLE_TRACK, readTrackInformation, type TrackInformation } from '../mmc/read-track-information';
import { withRetry } from '../mmc/retry';
import { ScsiError } from '../mmc/scsi-error';
import type { Transport } from '../mmc/transport';
import { DiscfsError } from '../util/errors';

/** The burn procedure a medium needs (docs/burning.md has one section per procedure). */
export type WriteProcedure = 'cd-tao' | 'dvd-plus-r' | 'dvd-minus-r-incremental' | 'bd-r-srm' | 'overwrite' | 'none';

/** A bound on the tracks asked about, whatever the disc information claims (MMC allows 16 bits). */
export const MAX_TRACKS = 9999;

export interface DriveSession {
  number: number;
  startLba: number;
  blocks: number;
}

export interface DriveState {
  profile: ProfileInfo;
  procedure: WriteProcedure;
  discStatus: DiscStatus | 'no-information';
  /** Complete sessions of a write-once medium, oldest first (overwritable media: empty, see the emulated TOC). */
  sessions: DriveSession[];
  /** Where the next session goes on write-once media (NWA of the invisible track). */
  nextWritableAddress?: number;
  freeBlocks: number;
  /** Readable blocks: end of the last recorded track, or the formatted size of an overwritable medium. */
  readableBlocks: number;
  /** Blocks a WRITE must be aligned to and sized in (DVD ECC block 16, BD cluster 32, CD 1). */
  writeUnitBlocks: number;
  /** An interrupted burn: a track with data that was never closed, or a session left open. */
  incomplete?: { track: number; session: number; startLba: number; blocks: number };
  /** Another session may be written. */
  appendable: boolean;
  /** Why not, when `appendable` is false. */
  notAppendableReason?: string;
}

const PROCEDURE_BY_PROFILE = new Map<number, WriteProcedure>([
  [PROFILE.cdR, 'cd-tao'],
  [PROFILE.cdRw, 'cd-tao'],
  [PROFILE.dvdPlusR, 'dvd-plus-r'],
  [PROFILE.dvdPlusRDualLayer, 'dvd-plus-r'],
  [PROFILE.dvdRSequential, 'dvd-minus-r-incremental'],
  [PROFILE.dvdRwSequential, 'dvd-minus-r-incremental'],
  [PROFILE.dvdRDualLayerSequential, 'dvd-minus-r-incremental'],
  [PROFILE.bdRSequential, 'bd-r-srm'],
  [PROFILE.dvdPlusRw, 'overwrite'],
  [PROFILE.dvdPlusRwDualLayer, 'overwrite'],
  [PROFILE.dvdRam, 'overwrite'],
  [PROFILE.dvdRwRestrictedOverwrite, 'overwrite'],
  [PROFILE.bdRe, 'overwrite'],
  [PROFILE.bdRRandom, 'overwrite'],
]);

export function procedureFor(profile: number): WriteProcedure {
  return PROCEDURE_BY_PROFILE.get(profile) ?? 'none';
}

function defaultWriteUnit(p: ProfileInfo): number {
  if (p.family === 'bd') return 32;
  if (p.family === 'dvd' || p.family === 'hd-dvd') return 16;
  return 1;
}

function isInvalidRequest(e: unknown): boolean {
  return e instanceof ScsiError && (e.isInvalidOpcode || (e.senseKey === 0x05 && (e.asc === 0x24 || e.asc === 0x20)));
}

/** Track descriptors 1..last, each asked for by number; a bounded walk. */
async function readTracks(t: Transport, last: number): Promise<TrackInformation[]> {
  const tracks: TrackInformation[] = [];
  for (let n = 1; n <= Math.min(last, MAX_TRACKS); n++) tracks.push(await withRetry(() => readTrackInformation(t, 'track', n)));
  return tracks;
}

function trackBlocks(track: TrackInformation): number {
  if (track.lastRecordedAddress !== undefined && track.lastRecordedAddress >= track.startAddress) {
    return track.lastRecordedAddress - track.startAddress + 1;
  }
  if (track.nextWritableAddress !== undefined) return Math.max(0, track.nextWritableAddress - track.startAddress);
  return track.size;
}

/** Groups recorded tracks into sessions by their session number. */
export function sessionsFromTracks(tracks: readonly TrackInformation[]): DriveSession[] {
  const sessions: DriveSession[] = [];
  for (const track of tracks) {
    const blocks = trackBlocks(track);
    if (blocks === 0) continue;
    const last = sessions[sessions.length - 1];
    if (last && last.number === track.session) last.blocks = track.startAddress + blocks - last.startLba;
    else sessions.push({ number: track.session, startLba: track.startAddress, blocks });
  }
  return sessions.map((s, i) => ({ ...s, number: i + 1 }));
}

/** READ TOC format 0 fallback (QEMU scsi-cd has no READ TRACK INFORMATION): one session per track. */
async function sessionsFromToc(t: Transport): Promise<DriveSession[]> {
  const { tracks } = await withRetry(() => readToc(t));
  const out: DriveSession[] = [];
  for (let i = 0; i < tracks.length; i++) {
    if (tracks[i].track === LEAD_OUT_TRACK) continue;
    const next = tracks[i + 1];
    const end = next ? next.address : tracks[i].address;
    if (end > tracks[i].address) out.push({ number: out.length + 1, startLba: tracks[i].address, blocks: end - tracks[i].address });
  }
  return out;
}

interface SequentialFacts {
  sessions: DriveSession[];
  invisible?: TrackInformation;
  incomplete?: DriveState['incomplete'];
}

async function sequentialFacts(t: Transport, info: DiscInformation): Promise<SequentialFacts> {
  if (info.discStatus === 'blank') return { sessions: [], invisible: await invisibleTrack(t) };
  let tracks: TrackInformation[];
  try {
    tracks = await readTracks(t, info.lastTrackInLastSession);
  } catch (e) {
    if (!isInvalidRequest(e)) throw e;
    return { sessions: await sessionsFromToc(t) };
  }
  const lastTrack = tracks[tracks.length - 1];
  const invisible = info.discStatus !== 'complete' && lastTrack?.nextWritableAddress !== undefined ? lastTrack : undefined;
  const closed = invisible ? tracks.slice(0, -1) : tracks;
  let incomplete: DriveState['incomplete'];
  if (invisible && trackBlocks(invisible) > 0) {
    incomplete = { track: invisible.track, session: invisible.session, startLba: invisible.startAddress, blocks: trackBlocks(invisible) };
  } else if (info.lastSessionState === 'incomplete') {
    // Tracks closed but their session never was: the kernel and the TOC do not show them.
    const open = closed.filter((tr) => tr.session === info.sessions);
    const first = open[0];
    const end = open.reduce((n, tr) => Math.max(n, tr.startAddress + trackBlocks(tr)), 0);
    if (first) incomplete = { track: first.track, session: first.session, startLba: first.startAddress, blocks: end - first.startAddress };
  }
  const complete = closed.filter((tr) => tr.session !== incomplete?.session);
  return { sessions: sessionsFromTracks(complete), invisible, incomplete };
}

async function readableEnd(t: Transport): Promise<number> {
  try {
    return (await withRetry(() => readCapacity(t))).blocks;
  } catch {
    return 0;
  }
}

function appendability(state: Omit<DriveState, 'appendable' | 'notAppendableReason'>): Pick<DriveState, 'appendable' | 'notAppendableReason'> {
  if (state.procedure === 'none') return { appendable: false, notAppendableReason: `the drive cannot write ${state.profile.name} media` };
  if (state.incomplete) {
    return { appendable: false, notAppendableReason: `track ${state.incomplete.track} of session ${state.incomplete.session} was never closed (an interrupted burn)` };
  }
  if (state.procedure === 'overwrite') return { appendable: true };
  if (state.discStatus === 'complete') return { appendable: false, notAppendableReason: 'the disc is closed (finalized): no session can be added' };
  // CD-R and DVD-R report their NWA only once page 05h holds the write type (the session writer sets it first).
  const nwaAfterPage05 = state.procedure === 'cd-tao' || state.procedure === 'dvd-minus-r-incremental';
  if (state.nextWritableAddress === undefined && !nwaAfterPage05) return { appendable: false, notAppendableReason: 'the drive reports no next writable address' };
  if (state.freeBlocks === 0) return { appendable: false, notAppendableReason: 'the disc is full' };
  return { appendable: true };
}

export class Drive {
  /** Asks the drive what it holds. Throws DiscfsError('DRIVE_NO_MEDIUM') for an empty tray. */
  static async inspect(t: Transport): Promise<DriveState> {
    let profileNumber: number;
    try {
      profileNumber = await withRetry(() => currentProfile(t));
    } catch (e) {
      if (e instanceof ScsiError && e.isNoMedium) throw new DiscfsError('DRIVE_NO_MEDIUM', `${t.description}: no medium in the drive`, {}, { cause: e });
      throw e;
    }
    if (profileNumber === PROFILE.none) throw new DiscfsError('DRIVE_NO_MEDIUM', `${t.description}: no medium in the drive`);
    const profile = profileInfo(profileNumber);
    const procedure = procedureFor(profileNumber);
    const info = await withRetry(() => readDiscInformation(t)).catch((e: unknown) => {
      if (isInvalidRequest(e)) return undefined;
      throw e;
    });
    const base = { profile, procedure, writeUnitBlocks: defaultWriteUnit(profile) };
    if (procedure === 'overwrite') {
      const readableBlocks = await readableEnd(t);
      const writeUnitBlocks = await overwriteWriteUnit(t, base.writeUnitBlocks);
      const discStatus: DriveState['discStatus'] = info?.discStatus ?? 'no-information';
      const state = { ...base, writeUnitBlocks, discStatus, sessions: [], freeBlocks: readableBlocks, readableBlocks };
      return { ...state, ...appendability(state) };
    }
    const facts = info ? await sequentialFacts(t, info) : { sessions: await sessionsFromToc(t) };
    const invisible = facts.invisible ?? (info && info.discStatus !== 'complete' ? await invisibleTrack(t) : undefined);
    const last = facts.sessions[facts.sessions.length - 1];
    const recordedEnd = facts.incomplete ? facts.incomplete.startLba + facts.incomplete.blocks : last ? last.startLba + last.blocks : 0;
    const discStatus: DriveState['discStatus'] = info?.discStatus ?? 'no-information';
    const state = {
      ...base,
      discStatus,
      sessions: facts.sessions,
      nextWritableAddress: invisible?.nextWritableAddress,
      freeBlocks: invisible?.freeBlocks ?? 0,
      // A blank disc has nothing to read, whatever READ CAPACITY says (tgt and the model answer "LBA 0").
      readableBlocks: info?.discStatus === 'blank' ? 0 : Math.max(recordedEnd, facts.sessions.length > 0 ? 0 : await readableEnd(t)),
      incomplete: facts.incomplete,
    };
    return { ...state, ...appendability(state) };
  }
}

async function invisibleTrack(t: Transport): Promise<TrackInformation | undefined> {
  try {
    return await withRetry(() => readTrackInformation(t, 'track', INVISIBLE_TRACK));
  } catch (e) {
    if (isInvalidRequest(e)) return undefined;
    throw e;
  }
}

/** DVD-RW restricted overwrite reports its blocking in the fixed packet size of track 1. */
async function overwriteWriteUnit(t: Transport, fallback: number): Promise<number> {
  try {
    const track = await withRetry(() => readTrackInformation(t, 'track', 1));
    return track.fixedPacket && track.fixedPacketSize > 0 && track.fixedPacketSize <= 256 ? track.fixedPacketSize : fallback;
  } catch {
    return fallback;
  }
}

/** One line for messages and `discfs sessions`. */
export function describeDriveState(s: DriveState): string {
  const where = s.nextWritableAddress !== undefined ? `, next session at LBA ${s.nextWritableAddress}` : '';
  const sessions = s.procedure === 'overwrite' ? '' : `, ${s.sessions.length} session(s)`;
  const state = s.appendable ? `${s.freeBlocks} blocks free` : `not appendable: ${s.notAppendableReason}`;
  return `${s.profile.name} (${s.discStatus}${sessions}${where}), ${state}`;
}
