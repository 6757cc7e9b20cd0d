// Runs a mount: in the foreground (this process is the daemon) or in the background (a detached daemon that
// reports "live" or its one-line error back through a pipe before the command returns).

import fs from 'node:fs';
import path from 'node:path';
import { checkMountpoint, cleanDeadMount } from '../daemon/mountpoint';
import { serve, type MountHandle } from '../daemon/serve';
import { unmountOnSignals } from '../daemon/signals';
import type { Filesystem } from '../fuse/filesystem';
import type { Medium } from '../medium/medium';
import { openVolume, type IsoVolume } from '../tree/iso-volume';
import { SessionFs } from '../tree/session-fs';
import { CliError, EXIT } from './exit-codes';
import { describeError } from './describe-error';
import { explainNoFileSystem, openSource } from './open-source';
import { refuseDriveHeldElsewhere } from '../drive/drive-busy';
import { logFileFor } from './paths';
import { startDaemon } from './background';
import { createLog, type Log } from './log';
import { commitOverlay, discardOverlay, planOverlay, type CommitOutcome, type CommitPlan } from '../commit/commit-overlay';
import { EventHub, runtimePaths, type DaemonEvent, type DaemonRequest } from '../commit/control';
import { inhibitSuspend } from './inhibit';
import { checkFuse } from './preflight';
import { saveLastResult } from './last-result';
import { defaultStagingDir, identityOf } from '../commit/staging-location';
import { settleInterruptedCommit } from '../commit/commit-marker';
import { capacityBlocks, inspectImage, type MediaKind } from '../engine/growing-image';
import { OverlayFs, type OverlayOptions } from '../overlay/overlay-fs';
import { emptyMedium } from '../medium/empty-medium';
import { needsLowMemoryRelaunch, relaunchWithDaemonSettings } from './address-space';
import { DriveMedium } from '../drive/drive-medium';
import { readOnlyReason } from '../drive/open-drive';
import type { DriveCommitOptions } from '../drive/commit-drive';

/** New images stand for a 4.7 GB DVD±R unless --media says otherwise. */
const DEFAULT_MEDIA: MediaKind = 'dvd';

export interface MountRequest {
  source: string;
  mountpoint: string;
  readOnly: boolean;
  session?: number;
  sessionStarts?: number[];
  view?: 'rr' | 'joliet' | 'iso9660';
  /** -o options for FUSE (allow_other and friends pass through). */
  options: string[];
  staging?: string;
  keepOwners: boolean;
  /** Create the image as a blank disc when it does not exist. */
  create?: boolean;
  media?: MediaKind;
  /** Optical drives: how the unmount burns (`--close`, `--eject`, `--speed`); `discfs unmount` may override them. */
  burn?: Pick<DriveCommitOptions, 'finalize' | 'eject' | 'speedKBps'>;
}

export interface RunOptions {
  foreground: boolean;
  /** Set in the daemon started by the background mode: where to report readiness. */
  readyFd?: number;
  argv: string[];
}

/** Seconds the kernel may cache attributes of a read-only session (it never changes while mounted). */
const READ_ONLY_CACHE_SECONDS = 3600;

async function checkTarget(mountpoint: string, options: readonly string[]): Promise<void> {
  checkFuse(options);
  await cleanDeadMount(mountpoint);
  await checkMountpoint(mountpoint);
  if (fs.readdirSync(mountpoint).length > 0) throw new CliError('mountpointNotEmpty', `mountpoint ${mountpoint} is not empty`);
}

export async function openTree(req: MountRequest, medium: Medium): Promise<IsoVolume> {
  return openVolume(medium, { session: req.session, sessionStarts: req.sessionStarts, view: req.view }).catch((e) => explainNoFileSystem(medium, e));
}

interface Mounted {
  fs: Filesystem;
  /** Set for writable mounts: how to reopen the staged overlay for the commit. */
  overlay?: OverlayOptions;
  live?: OverlayFs;
  describe: string;
}

/** What the daemon remembers between a client's requests and the end of the mount. */
interface EndState {
  discard: boolean;
  /** Aborts the commit (op 'abort', Ctrl-C in `discfs unmount`); created at mount so an early abort still counts. */
  abort: AbortController;
  /** Burn options for a drive: the mount's, then what `discfs unmount` asked for. */
  burn: NonNullable<MountRequest['burn']>;
  /** Set by `discfs unmount --verify all`. */
  verify?: 'all';
}

export interface DaemonStatus {
  source: string;
  mountpoint: string;
  readOnly: boolean;
  log?: string;
  committing: boolean;
  plan?: CommitPlan;
}

/** Requests clients send over the control socket: plan/status (the live overlay), discard at the end, abort. */
function requestHandler(req: MountRequest, mounted: Mounted, state: EndState, log: Log, committing: () => boolean) {
  return async (r: DaemonRequest): Promise<unknown> => {
    if (r.op === 'status') {
      const base: DaemonStatus = { source: req.source, mountpoint: req.mountpoint, readOnly: req.readOnly, log: log.file, committing: committing() };
      if (!mounted.live || committing()) return base;
      return { ...base, plan: await planOverlay(mounted.live, req.source, req.media ?? DEFAULT_MEDIA) };
    }
    if (r.op === 'abort') {
      log.info('abort requested: the commit stops at the next buffer, the image is restored');
      state.abort.abort(new Error('aborted by the user'));
      return { aborting: true };
    }
    if (!mounted.live) throw new Error('a read-only mount has nothing to commit');
    if (r.op === 'burn') {
      const defined = Object.entries({ finalize: r.finalize, eject: r.eject, speedKBps: r.speedKBps }).filter(([, v]) => v !== undefined);
      state.burn = { ...state.burn, ...Object.fromEntries(defined) };
      return state.burn;
    }
    if (r.op === 'verify') {
      state.verify = r.verify === 'all' ? 'all' : undefined;
      return { verify: state.verify ?? 'new' };
    }
    if (r.op === 'plan') return planOverlay(mounted.live, req.source, req.media ?? DEFAULT_MEDIA);
    state.discard = true;
    return { discard: true };
  };
}

/** The overlay of a writable mount of `req.source`: its staging dir is keyed by the medium's newest session. */
export async function writableOverlayOptions(req: MountRequest, medium: Medium | undefined, volume: IsoVolume | undefined): Promise<{ options: OverlayOptions; byPath: boolean }> {
  const space = medium instanceof DriveMedium ? driveSpace(medium, volume) : await imageSpace(req);
  const id = await identityOf(medium ?? emptyMedium(req.source), volume?.session.startLba, req.source);
  const options: OverlayOptions = {
    stagingDir: req.staging ?? defaultStagingDir(id),
    identity: id.identity,
    lower: volume ?? null,
    owner: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
    keepOwners: req.keepOwners,
    capacity: space,
  };
  return { options, byPath: id.byPath };
}

interface Space {
  blocks: number;
  freeBlocks: number;
}

async function imageSpace(req: MountRequest): Promise<Space> {
  const state = await inspectImage(req.source);
  const capacity = capacityBlocks(req.media ?? DEFAULT_MEDIA, state);
  return { blocks: capacity, freeBlocks: Math.max(0, capacity - state.nextStart) };
}

/** `df` on a drive mount: the track information's free blocks (write-once) or the formatted size past the newest session. */
function driveSpace(medium: DriveMedium, volume: IsoVolume | undefined): Space {
  const s = medium.state;
  if (s.procedure === 'overwrite') {
    const used = volume ? volume.session.startLba + volume.session.blocks : 0;
    return { blocks: s.freeBlocks, freeBlocks: Math.max(0, s.freeBlocks - used) };
  }
  const used = s.nextWritableAddress ?? s.readableBlocks;
  return { blocks: used + s.freeBlocks, freeBlocks: s.freeBlocks };
}

/**
 * A drive whose disc cannot take a session (closed, full, an interrupted burn) mounts read-only with a notice;
 * an interrupted burn is named with the way to close it.
 */
export function adjustForDrive(req: MountRequest, medium: Medium | undefined, log: Log): MountRequest {
  if (!(medium instanceof DriveMedium)) return req;
  const inc = medium.state.incomplete;
  if (inc) {
    log.notice(`${req.source}: an interrupted burn left track ${inc.track} of session ${inc.session} open (LBA ${inc.startLba}, ${inc.blocks} blocks); ` +
      `close it with \`discfs close-session ${req.source}\` (its data is not a readable session; the older sessions stay)`);
  }
  if (req.readOnly) return req;
  const reason = readOnlyReason(medium);
  if (!reason) return req;
  if (medium.blocks === 0) throw new CliError('noFileSystem', `${reason}, and it holds nothing to show`);
  log.notice(reason);
  return { ...req, readOnly: true };
}

/** The staging dir must take writes before anything is mounted: a failure later would lose the user's changes. */
function ensureStagingWritable(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
    const probe = path.join(dir, `.probe-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
  } catch (e) {
    throw new CliError('stagingNotWritable', `staging dir ${dir} is not writable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (choose another with --staging)`);
  }
}

/** A commit whose daemon died after the header switch: its session is checked and its staging cleared (commit-marker.ts). */
async function settleMarker(req: MountRequest, medium: Medium | undefined, volume: IsoVolume | undefined, log: Log): Promise<void> {
  if (!medium || !volume || medium instanceof DriveMedium || req.session !== undefined || req.sessionStarts !== undefined) return;
  const r = await settleInterruptedCommit({ source: req.source, medium, staging: req.staging });
  if (r.kind === 'completed') log.notice(`the interrupted commit of session ${r.sessionNumber} completed; its staged changes are cleared`);
  else if (r.kind === 'not-written') log.info(`an interrupted commit left no session; the staged changes in ${r.stagingDir} are kept`);
  else if (r.kind === 'unverified') {
    log.notice(`the interrupted commit of session ${r.sessionNumber} reached the image but does not verify (${r.problems.slice(0, 3).join('; ')}); its staged changes are kept in ${r.stagingDir}`);
  }
}

async function openWritable(req: MountRequest, medium: Medium | undefined, volume: IsoVolume | undefined, log: Log): Promise<Mounted> {
  await settleMarker(req, medium, volume, log);
  const { options, byPath } = await writableOverlayOptions(req, medium, volume);
  const stagingDir = options.stagingDir;
  ensureStagingWritable(stagingDir);
  const overlay = await OverlayFs.open(options);
  const pending = await overlay.changes();
  if (pending.length > 0) log.notice(`resuming ${pending.length} staged change(s) from ${stagingDir}${byPath ? ' (a blank medium, matched by its path)' : ''}`);
  const what = volume ? `session ${volume.session.number} (${volume.view})` : 'a blank medium';
  return { fs: overlay, overlay: options, live: overlay, describe: `${what} with a writable overlay in ${stagingDir}` };
}

async function buildFilesystem(req: MountRequest, medium: Medium | undefined, log: Log): Promise<Mounted> {
  const volume = medium && medium.blocks > 0 ? await openTree(req, medium) : undefined;
  for (const w of volume?.warnings ?? []) log.warn(w);
  if (volume) volume.onWarning = (w) => log.warn(w);
  if (!req.readOnly) return openWritable(req, medium, volume, log);
  if (!volume || !medium) throw new CliError('noFileSystem', `${req.source} is blank: nothing to show read-only`);
  return { fs: new SessionFs(volume, { mediumBlocks: medium.blocks }), describe: `session ${volume.session.number} (${volume.view}) read-only` };
}

async function openMedium(req: MountRequest): Promise<Medium | undefined> {
  if (!fs.existsSync(req.source) && (req.create || req.media !== undefined) && !req.readOnly) {
    if (req.source.startsWith('/dev/')) throw new CliError('sourceMissing', `${req.source}: will not create an image file under /dev`);
    return undefined;
  }
  await refuseDriveHeldElsewhere(req.source);
  return openSource(req.source);
}

function report(readyFd: number | undefined, message: object): void {
  if (readyFd === undefined) return;
  try {
    fs.writeSync(readyFd, `${JSON.stringify(message)}\n`);
    fs.closeSync(readyFd);
  } catch {
    // The waiting parent is gone; the daemon goes on.
  }
}

/** Test hook: a synchronous pause per progress report, so a test can abort a commit in the middle of its data. */
function progressDelay(): (() => void) | undefined {
  const ms = Number(process.env.DISCFS_TEST_PROGRESS_DELAY_MS ?? '');
  if (!Number.isFinite(ms) || ms <= 0) return undefined;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  return () => void Atomics.wait(cell, 0, 0, Math.min(ms, 1000));
}

function outcomeMessage(outcome: CommitOutcome, seconds: number): string {
  if (outcome.kind === 'nothing') return 'nothing staged: no new session written';
  const s = outcome.summary;
  const r = outcome.result;
  const counts = `${s.added} added, ${s.changed} changed, ${s.deleted} deleted, ${s.renamed} renamed`;
  return `session ${r.sessionNumber} written at LBA ${r.startLba} (${r.sessionBlocks} blocks, ${counts}) and verified in ${seconds.toFixed(1)} s`;
}

function finalEvent(outcome: CommitOutcome, message: string): DaemonEvent {
  if (outcome.kind === 'nothing') return { event: 'result', ok: true, exit: EXIT.ok, message };
  const r = outcome.result;
  return { event: 'result', ok: true, exit: EXIT.ok, message, session: r.sessionNumber, startLba: r.startLba, blocks: r.sessionBlocks };
}

async function commitAfterUnmount(req: MountRequest, overlay: OverlayOptions, hub: EventHub, log: Log, end: EndState): Promise<DaemonEvent> {
  const signal = end.abort.signal;
  log.info('unmounted: committing the staged changes');
  const t0 = Date.now();
  const delay = progressDelay();
  const awake = inhibitSuspend(`writing a session to ${req.source}`, (m) => log.info(m));
  try {
    const outcome = await commitOverlay({
      imagePath: req.source,
      overlay,
      media: req.media ?? DEFAULT_MEDIA,
      signal,
      verify: end.verify,
      drive: { ...end.burn, onNotice: (m) => log.notice(m) },
      onProgress: (p) => {
        hub.send({ event: 'progress', phase: p.phase, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal });
        delay?.();
      },
    });
    const message = outcomeMessage(outcome, (Date.now() - t0) / 1000);
    log.info(message);
    return finalEvent(outcome, message);
  } catch (e) {
    const { exit, message } = describeError(e);
    const code = exit === 'internal' ? EXIT.commitFailed : EXIT[exit];
    const what = exit === 'aborted' ? `commit aborted: ${message}` : `commit failed: ${message}`;
    log.warn(`${what}; the staged changes are kept in ${overlay.stagingDir}`);
    process.exitCode = code;
    return { event: 'result', ok: false, exit: code, message: `${what}; the staged changes are kept` };
  } finally {
    awake.release();
  }
}

/** Sends the daemon's last word to listeners and keeps it for `discfs status`. */
function announce(req: MountRequest, hub: EventHub, log: Log, e: DaemonEvent, committed: boolean): void {
  hub.send(e);
  if (!committed || e.event !== 'result') return;
  try {
    saveLastResult({ source: req.source, mountpoint: req.mountpoint, at: new Date().toISOString(), ok: e.ok, exit: e.exit, message: e.message, session: e.session, log: log.file });
  } catch (err) {
    log.warn(`cannot record the result for discfs status: ${(err as Error).message}`);
  }
}

async function runForeground(asked: MountRequest, opts: RunOptions): Promise<void> {
  let req = asked;
  const log = createLog(opts.readyFd === undefined ? undefined : logFileFor(req.mountpoint));
  let handle: MountHandle;
  let medium: Medium | undefined;
  let mounted: Mounted;
  let hub: EventHub;
  const endState: EndState = { discard: false, abort: new AbortController(), burn: { ...asked.burn } };
  let committing = false;
  try {
    await checkTarget(req.mountpoint, req.options);
    medium = await openMedium(req);
    req = adjustForDrive(req, medium, log);
    mounted = await buildFilesystem(req, medium, log);
    handle = await serve(mounted.fs, req.mountpoint, {
      readOnly: req.readOnly,
      fsname: `discfs:${req.source}`,
      subtype: 'discfs',
      defaultPermissions: true,
      allowOther: req.options.includes('allow_other'),
      // hard_remove: a file deleted while open is really deleted, never renamed to .fuse_hidden* (which would be burnt).
      extraOptions: [...(req.readOnly ? [] : ['hard_remove']), ...req.options.filter((o) => o !== 'allow_other')],
      attrTimeout: req.readOnly ? READ_ONLY_CACHE_SECONDS : 0,
      entryTimeout: req.readOnly ? READ_ONLY_CACHE_SECONDS : 0,
      log: (m) => log.warn(m),
    });
    hub = await EventHub.listen(
      runtimePaths(req.mountpoint),
      { event: 'mounted', pid: process.pid, source: req.source, mountpoint: req.mountpoint, readOnly: req.readOnly, log: log.file },
      requestHandler(req, mounted, endState, log, () => committing),
    );
    log.info(`mounted ${req.source}: ${mounted.describe} on ${req.mountpoint}`);
  } catch (e) {
    await medium?.close().catch(() => undefined);
    const { exit, message } = describeError(e);
    report(opts.readyFd, { error: message, exit: EXIT[exit] });
    throw e;
  }
  report(opts.readyFd, { ready: true, pid: process.pid, notices: log.notices });
  unmountOnSignals(handle, { log: (m) => log.info(m) });
  const end = await handle.ended;
  // The medium stays open through the commit: completing a chunked copy-up reads the old session's bytes.
  if (mounted.overlay && endState.discard) {
    await discardOverlay(mounted.overlay);
    log.info(`unmounted ${req.mountpoint}; the staged changes were discarded`);
    announce(req, hub, log, { event: 'result', ok: true, exit: EXIT.ok, message: 'unmounted; the staged changes were discarded' }, true);
  } else if (mounted.overlay && end.external) {
    committing = true;
    announce(req, hub, log, await commitAfterUnmount(req, mounted.overlay, hub, log, endState), true);
  } else {
    const kept = mounted.overlay ? '; the staged changes are kept for the next mount' : '';
    log.info(`unmounted ${req.mountpoint}${kept}`);
    announce(req, hub, log, { event: 'result', ok: true, exit: EXIT.ok, message: `unmounted without committing${kept}` }, false);
  }
  await medium?.close().catch(() => undefined);
  await hub.close();
}

export async function runMount(req: MountRequest, opts: RunOptions): Promise<void> {
  if (opts.foreground && opts.readyFd === undefined && needsLowMemoryRelaunch()) {
    process.exitCode = await relaunchWithDaemonSettings(opts.argv);
    return;
  }
  if (opts.foreground || opts.readyFd !== undefined) return runForeground(req, opts);
  await checkTarget(req.mountpoint, req.options);
  const logFile = logFileFor(req.mountpoint);
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const { notices } = await startDaemon(opts.argv, logFile);
  for (const n of notices) process.stderr.write(`discfs: ${n}\n`);
}
