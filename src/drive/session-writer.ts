// Burning one session per medium (MMC-5 4.2 CD TAO, 4.4 DVD-R, 4.6 DVD+R, 4.8 BD-R SRM, 4.3/4.7 overwritable; libburn cookbook order).
import type { Progress } from '../engine/data-writer';
import { FIRST_SESSION_LBA, HEAD_BLOCKS, roundUpToSessionAlignment } from '../engine/growing-image';
import { verifySessionOn } from '../engine/verify';
import type { SourceTree } from '../engine/source-tree';
import { formatUnit, FORMAT_TYPE } from '../mmc/blank-format';
import { CLOSE_FUNCTION, closeTrackSession, type CloseFunction } from '../mmc/close-track-session';
import { preventAllowMediumRemoval, startStopUnit } from '../mmc/medium-removal';
import { PROFILE } from '../mmc/profiles';
import { INVISIBLE_TRACK, readTrackInformation } from '../mmc/read-track-information';
import { readBlocks, writeBlocks } from '../mmc/read-write';
import { realSleep, waitUntilReady, withRetry, type Sleep } from '../mmc/retry';
import { synchronizeCache } from '../mmc/synchronize-cache';
import type { Transport } from '../mmc/transport';
import { findSessions } from '../session/find-sessions';
import { probePrimary } from '../session/descriptor-set';
import type { Timespec } from '../tree/node';
import { DiscfsError } from '../util/errors';
import { Drive, type DriveState, type WriteProcedure } from './drive';
import { DriveMedium } from './drive-medium';
import { explainBurnFailure, type BurnStage } from './burn-failure';
import { encodeHead, layOutAt, writeSessionInOrder, type SessionContent, type SessionIdentity } from './session-layout';
import { SequentialWriter } from './sequential-writer';
import { setWriteParameters, setWriteSpeed } from './write-parameters';

/** CD: a track has at least 300 blocks (4 s, Orange Book); 150 blocks of padding keep the kernel's read-ahead off the run-out. */
export const CD_MIN_TRACK_BLOCKS = 300;
export const CD_PAD_BLOCKS = 150;
const POLL_INTERVAL_MS = 500;
const POLL_TIMEOUT_MS = 30 * 60_000;

export type BurnPhase = Progress['phase'] | 'prepare' | 'format' | 'sync' | 'close' | 'eject';

export interface BurnProgress {
  phase: BurnPhase;
  bytesDone: number;
  bytesTotal: number;
  /** Drive buffer fill 0..1 (READ BUFFER CAPACITY) while data streams. */
  bufferFill?: number;
}

export interface BurnOptions {
  transport: Transport;
  tree: SourceTree;
  /** `--close`: finalize the disc after this session (write-once media). */
  finalize?: boolean;
  /** `--eject` after a verified burn. */
  eject?: boolean;
  /** `--speed` in kB/s. */
  speedKBps?: number;
  now?: Date;
  volumeId?: string;
  verify?: boolean;
  sectionSize?: number;
  onProgress?: (p: BurnProgress) => void;
  onNotice?: (message: string) => void;
  signal?: AbortSignal;
  /** Polling after IMMED commands; tests pass a fast one. */
  sleep?: Sleep;
  pollIntervalMs?: number;
}

export interface BurnPlan {
  procedure: WriteProcedure;
  sessionNumber: number;
  startLba: number;
  sessionBlocks: number;
  dataBlocks: number;
  treeBlocks: number;
  /** Blocks recorded including padding and write-unit rounding. */
  recordedBlocks: number;
  endLba: number;
  freeBlocksAfter: number;
}

export interface BurnResult extends BurnPlan {
  verified: boolean;
  finalized: boolean;
}

function timeOf(now: Date | undefined): Timespec {
  if (now) return { sec: Math.floor(now.getTime() / 1000), nsec: 0 };
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && /^\d+$/.test(epoch)) return { sec: Number(epoch), nsec: 0 };
  return { sec: Math.floor(Date.now() / 1000), nsec: 0 };
}

/** Where an overwritable medium's next session goes: after the last one of its emulated TOC, as on image files. */
async function overwriteStart(t: Transport): Promise<{ start: number; sessions: number }> {
  const medium = await DriveMedium.open(t, { ownsTransport: false });
  if (medium.blocks <= 16 || (await probePrimary(medium, 16).catch(() => undefined)) === undefined) return { start: FIRST_SESSION_LBA, sessions: 0 };
  const found = await findSessions(medium);
  const usable = found.sessions.filter((s) => s.startLba >= FIRST_SESSION_LBA);
  const last = usable[usable.length - 1];
  if (!last) {
    throw new DiscfsError('DRIVE_SESSION_AT_LBA0', `${t.description} holds a session at LBA 0 that growing mode would overwrite; blank it explicitly first`);
  }
  return { start: roundUpToSessionAlignment(last.startLba + last.blocks), sessions: usable.length };
}

function refuse(state: DriveState): void {
  if (state.appendable) return;
  const code = state.incomplete ? 'DRIVE_INCOMPLETE_SESSION' : state.discStatus === 'complete' ? 'DRIVE_DISC_CLOSED' : 'DRIVE_NOT_WRITABLE';
  const hint = state.incomplete ? '; `discfs close-session` (closeIncompleteSession) closes it' : '';
  throw new DiscfsError(code, `cannot add a session to ${state.profile.name}: ${state.notAppendableReason}${hint}`, { incomplete: state.incomplete });
}

function recordedBlocksOf(procedure: WriteProcedure, size: number, unit: number): number {
  const padded = procedure === 'cd-tao' ? Math.max(size + CD_PAD_BLOCKS, CD_MIN_TRACK_BLOCKS) : size;
  return Math.ceil(padded / unit) * unit;
}

interface Prepared {
  state: DriveState;
  content: SessionContent;
  plan: BurnPlan;
}

/** Inspects, sets the write parameters, lays the session out at the NWA (or the growing start) and checks the space. */
async function prepare(o: BurnOptions): Promise<Prepared> {
  const t = o.transport;
  let state = await Drive.inspect(t);
  if (state.procedure === 'overwrite' && state.discStatus === 'blank') state = await formatBlank(o, state);
  refuse(state);
  let start: number;
  let free: number;
  let existing: number;
  if (state.procedure === 'overwrite') {
    const at = await overwriteStart(t);
    start = at.start;
    existing = at.sessions;
    free = state.readableBlocks - start;
  } else {
    await setWriteParameters(t, state.procedure, o.finalize === true);
    const invisible = await withRetry(() => readTrackInformation(t, 'track', INVISIBLE_TRACK));
    if (invisible.nextWritableAddress === undefined) throw new DiscfsError('DRIVE_NO_NWA', `${t.description} reports no next writable address`);
    start = invisible.nextWritableAddress;
    free = invisible.freeBlocks;
    existing = state.sessions.length;
  }
  const content = layOutAt(o.tree, start, o.sectionSize);
  const recorded = recordedBlocksOf(state.procedure, content.layout.size, state.writeUnitBlocks);
  const plan: BurnPlan = {
    procedure: state.procedure,
    sessionNumber: existing + 1,
    startLba: start,
    sessionBlocks: content.layout.size,
    dataBlocks: content.layout.dataBlocks,
    treeBlocks: content.layout.treeBlocks,
    recordedBlocks: recorded,
    endLba: start + recorded,
    freeBlocksAfter: free - recorded,
  };
  return { state, content, plan };
}

/** Dry run: where the session would go on the loaded medium. Sets page 05h (harmless) but writes no block. */
export async function planBurn(o: BurnOptions): Promise<BurnPlan> {
  return (await prepare(o)).plan;
}

type PollSettings = Pick<BurnOptions, 'transport' | 'sleep' | 'pollIntervalMs'>;

async function poll(o: PollSettings): Promise<void> {
  await waitUntilReady(o.transport, { intervalMs: o.pollIntervalMs ?? POLL_INTERVAL_MS, timeoutMs: POLL_TIMEOUT_MS, sleep: o.sleep ?? realSleep });
}

/** An unformatted DVD+RW or BD-RE gets a full format first, as growisofs does (the disc holds nothing yet). */
async function formatBlank(o: BurnOptions, state: DriveState): Promise<DriveState> {
  const p = state.profile.number;
  if (p !== PROFILE.dvdPlusRw && p !== PROFILE.bdRe) return state;
  o.onNotice?.(`${state.profile.name} is unformatted: formatting it before the first session`);
  o.onProgress?.({ phase: 'format', bytesDone: 0, bytesTotal: 1 });
  const formatType = p === PROFILE.bdRe ? FORMAT_TYPE.bdReWithSpare : FORMAT_TYPE.dvdPlusRwFull;
  await formatUnit(o.transport, { blocks: 0xffffffff, formatType }, true);
  await poll(o);
  return Drive.inspect(o.transport);
}

function closeFunctionFor(procedure: WriteProcedure, finalize: boolean): CloseFunction {
  if (!finalize) return CLOSE_FUNCTION.session;
  if (procedure === 'dvd-plus-r') return CLOSE_FUNCTION.finalizeMinimalRadius;
  if (procedure === 'bd-r-srm') return CLOSE_FUNCTION.finalizeDisc;
  // CD and DVD-R: page 05h multisession 00b already says "no next session"; closing the session closes the disc.
  return CLOSE_FUNCTION.session;
}

async function syncCache(o: BurnOptions): Promise<void> {
  o.onProgress?.({ phase: 'sync', bytesDone: 0, bytesTotal: 1 });
  await synchronizeCache(o.transport, true);
  await poll(o);
}

async function closeTrackAndSession(o: BurnOptions, p: Prepared): Promise<void> {
  o.onProgress?.({ phase: 'close', bytesDone: 0, bytesTotal: 2 });
  await closeTrackSession(o.transport, CLOSE_FUNCTION.track, 0, true);
  await poll(o);
  o.onProgress?.({ phase: 'close', bytesDone: 1, bytesTotal: 2 });
  await closeTrackSession(o.transport, closeFunctionFor(p.state.procedure, o.finalize === true), 0, true);
  await poll(o);
}

async function streamSession(o: BurnOptions, p: Prepared, id: SessionIdentity, stage: { current: BurnStage }): Promise<void> {
  const writer = new SequentialWriter(o.transport, {
    startLba: p.plan.startLba,
    writeUnitBlocks: p.state.writeUnitBlocks,
    sleep: o.sleep,
    onProgress: (w) => {
      if (w.bufferFill !== undefined) o.onProgress?.({ phase: 'data', bytesDone: w.blocksWritten * 2048, bytesTotal: p.plan.recordedBlocks * 2048, bufferFill: w.bufferFill });
    },
  });
  stage.current = 'write';
  await writeSessionInOrder(writer, p.content, id, o.onProgress, o.signal);
  await writer.finish(p.plan.recordedBlocks);
  stage.current = 'sync';
  await syncCache(o);
}

/** Overwritable media: LBA 0..31 last (the switch to the new session), in one write-unit-aligned WRITE. */
async function writeHead(o: BurnOptions, p: Prepared, id: SessionIdentity): Promise<void> {
  o.onProgress?.({ phase: 'head', bytesDone: 0, bytesTotal: 1 });
  const systemArea = p.state.readableBlocks >= 16 ? await withRetry(() => readBlocks(o.transport, 0, 16)) : Buffer.alloc(16 * 2048);
  const head = encodeHead(systemArea, p.content, id, HEAD_BLOCKS);
  await writeBlocks(o.transport, 0, head);
  await syncCache(o);
}

async function verify(o: BurnOptions, p: Prepared): Promise<void> {
  o.onProgress?.({ phase: 'verify', bytesDone: 0, bytesTotal: 1 });
  const medium = await DriveMedium.open(o.transport, { ownsTransport: false });
  const starts = medium.sessionStarts;
  if (p.state.procedure !== 'overwrite' && starts?.[starts.length - 1] !== p.plan.startLba) {
    throw new DiscfsError('ENGINE_VERIFY', `after closing, the drive lists sessions at ${JSON.stringify(starts)}, not the new one at LBA ${p.plan.startLba}`);
  }
  await verifySessionOn(medium, p.content.planned, starts);
}

/** Writes `tree` as a new session on the loaded medium, closes it (leaving the disc appendable unless `finalize`) and verifies it. */
export async function burnSession(o: BurnOptions): Promise<BurnResult> {
  const t = o.transport;
  const stage: { current: BurnStage } = { current: 'prepare' };
  let p: Prepared | undefined;
  let locked = false;
  try {
    o.onProgress?.({ phase: 'prepare', bytesDone: 0, bytesTotal: 1 });
    p = await prepare(o);
    if (p.plan.freeBlocksAfter < 0) {
      throw new DiscfsError('DRIVE_DISC_FULL', `session ${p.plan.sessionNumber} needs ${p.plan.recordedBlocks} blocks at LBA ${p.plan.startLba}, ` +
        `the disc has ${p.plan.recordedBlocks + p.plan.freeBlocksAfter} free: ${-p.plan.freeBlocksAfter} blocks short`, { ...p.plan });
    }
    await preventAllowMediumRemoval(t, true);
    locked = true;
    if (o.speedKBps !== undefined) await setWriteSpeed(t, o.speedKBps);
    const id: SessionIdentity = { volumeId: o.volumeId ?? 'DISCFS', now: timeOf(o.now) };
    await streamSession(o, p, id, stage);
    if (p.state.procedure === 'overwrite') {
      stage.current = 'head';
      await writeHead(o, p, id);
    } else {
      stage.current = 'close';
      await closeTrackAndSession(o, p);
    }
    stage.current = 'verify';
    if (o.verify !== false) await verify(o, p);
  } catch (error) {
    if (locked) await preventAllowMediumRemoval(t, false).catch(() => undefined);
    throw await explainBurnFailure(t, error, stage.current, p?.plan);
  }
  await preventAllowMediumRemoval(t, false).catch(() => undefined);
  if (o.eject) {
    o.onProgress?.({ phase: 'eject', bytesDone: 0, bytesTotal: 1 });
    await startStopUnit(t, 'eject').catch((e: unknown) => o.onNotice?.(`eject failed: ${(e as Error).message}`));
  }
  return { ...p.plan, verified: o.verify !== false, finalized: o.finalize === true && p.state.procedure !== 'overwrite' };
}

/** Closes the track and session an interrupted burn left open (what `discfs` offers at the next mount). */
export async function closeIncompleteSession(o: PollSettings): Promise<DriveState> {
  const state = await Drive.inspect(o.transport);
  if (!state.incomplete) return state;
  await closeTrackSession(o.transport, CLOSE_FUNCTION.track, 0, true);
  await poll(o);
  await closeTrackSession(o.transport, CLOSE_FUNCTION.session, 0, true);
  await poll(o);
  return Drive.inspect(o.transport);
}
