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
import { logFileFor } from './paths';
import { startDaemon } from './background';
import { createLog, type Log } from './log';
import { commitOverlay, discardOverlay, planOverlay } from '../commit/commit-overlay';
import { EventHub, runtimePaths, type DaemonRequest } from '../commit/control';
import { defaultStagingDir, identityOf } from '../commit/staging-location';
import { capacityBlocks, inspectImage, type MediaKind } from '../engine/growing-image';
import { OverlayFs, type OverlayOptions } from '../overlay/overlay-fs';
import { emptyMedium } from '../medium/empty-medium';

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
}

export interface RunOptions {
  foreground: boolean;
  /** Set in the daemon started by the background mode: where to report readiness. */
  readyFd?: number;
  argv: string[];
}

/** Seconds the kernel may cache attributes of a read-only session (it never changes while mounted). */
const READ_ONLY_CACHE_SECONDS = 3600;

async function checkTarget(mountpoint: string): Promise<void> {
  await cleanDeadMount(mountpoint);
  await checkMountpoint(mountpoint);
  if (fs.readdirSync(mountpoint).length > 0) throw new CliError('mountpointNotEmpty', `mountpoint ${mountpoint} is not empty`);
}

async function openTree(req: MountRequest, medium: Medium): Promise<IsoVolume> {
  return openVolume(medium, { session: req.session, sessionStarts: req.sessionStarts, view: req.view }).catch((e) => explainNoFileSystem(medium, e));
}

interface Mounted {
  fs: Filesystem;
  /** Set for writable mounts: how to reopen the staged overlay for the commit. */
  overlay?: OverlayOptions;
  live?: OverlayFs;
  describe: string;
}

/** Requests `discfs unmount` sends before it unmounts: --dry-run asks for the plan, --discard marks the end. */
function requestHandler(req: MountRequest, mounted: Mounted, state: { discard: boolean }) {
  return async (r: DaemonRequest): Promise<unknown> => {
    if (!mounted.live) throw new Error('a read-only mount has nothing to commit');
    if (r.op === 'plan') return planOverlay(mounted.live, req.source, req.media ?? DEFAULT_MEDIA);
    state.discard = true;
    return { discard: true };
  };
}

async function openWritable(req: MountRequest, medium: Medium | undefined, volume: IsoVolume | undefined, log: Log): Promise<Mounted> {
  const state = await inspectImage(req.source);
  const capacity = capacityBlocks(req.media ?? DEFAULT_MEDIA, state);
  const id = await identityOf(medium ?? emptyMedium(req.source), volume?.session.startLba, req.source);
  const stagingDir = req.staging ?? defaultStagingDir(id);
  const options: OverlayOptions = {
    stagingDir,
    identity: id.identity,
    lower: volume ?? null,
    owner: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
    keepOwners: req.keepOwners,
    capacity: { blocks: capacity, freeBlocks: Math.max(0, capacity - state.nextStart) },
  };
  const overlay = await OverlayFs.open(options);
  const pending = await overlay.changes();
  if (pending.length > 0) log.notice(`resuming ${pending.length} staged change(s) from ${stagingDir}${id.byPath ? ' (a blank medium, matched by its path)' : ''}`);
  const what = volume ? `session ${volume.session.number} (${volume.view})` : 'a blank medium';
  return { fs: overlay, overlay: options, live: overlay, describe: `${what} with a writable overlay in ${stagingDir}` };
}

async function buildFilesystem(req: MountRequest, medium: Medium | undefined, log: Log): Promise<Mounted> {
  const volume = medium && medium.blocks > 0 ? await openTree(req, medium) : undefined;
  for (const w of volume?.warnings ?? []) log.warn(w);
  if (!req.readOnly) return openWritable(req, medium, volume, log);
  if (!volume || !medium) throw new CliError('noFileSystem', `${req.source} is blank: nothing to show read-only`);
  return { fs: new SessionFs(volume, { mediumBlocks: medium.blocks }), describe: `session ${volume.session.number} (${volume.view}) read-only` };
}

async function openMedium(req: MountRequest): Promise<Medium | undefined> {
  if (!fs.existsSync(req.source) && (req.create || req.media !== undefined) && !req.readOnly) {
    if (req.source.startsWith('/dev/')) throw new CliError('sourceMissing', `${req.source}: will not create an image file under /dev`);
    return undefined;
  }
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

async function commitAfterUnmount(req: MountRequest, overlay: OverlayOptions, hub: EventHub, log: Log): Promise<void> {
  log.info('unmounted by request: committing the staged changes');
  const t0 = Date.now();
  try {
    const outcome = await commitOverlay({
      imagePath: req.source,
      overlay,
      media: req.media ?? DEFAULT_MEDIA,
      onProgress: (p) => hub.send({ event: 'progress', phase: p.phase, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal }),
    });
    const s = outcome.summary;
    const counts = `${s.added} added, ${s.changed} changed, ${s.deleted} deleted, ${s.renamed} renamed`;
    if (outcome.kind === 'nothing') {
      hub.send({ event: 'result', ok: true, exit: EXIT.ok, message: 'nothing staged: no new session written' });
      log.info('nothing staged: no new session written');
      return;
    }
    const r = outcome.result;
    const message = `session ${r.sessionNumber} written at LBA ${r.startLba} (${r.sessionBlocks} blocks, ${counts}) and verified in ${((Date.now() - t0) / 1000).toFixed(1)} s`;
    log.info(message);
    hub.send({ event: 'result', ok: true, exit: EXIT.ok, message, session: r.sessionNumber, startLba: r.startLba, blocks: r.sessionBlocks });
  } catch (e) {
    const { exit, message } = describeError(e);
    const code = exit === 'internal' ? EXIT.commitFailed : EXIT[exit];
    log.warn(`commit failed: ${message}; the staged changes are kept in ${overlay.stagingDir}`);
    hub.send({ event: 'result', ok: false, exit: code, message: `commit failed: ${message}; the staged changes are kept` });
    process.exitCode = code;
  }
}

async function runForeground(req: MountRequest, opts: RunOptions): Promise<void> {
  const log = createLog(opts.readyFd === undefined ? undefined : logFileFor(req.mountpoint));
  let handle: MountHandle;
  let medium: Medium | undefined;
  let mounted: Mounted;
  let hub: EventHub;
  const endState = { discard: false };
  try {
    await checkTarget(req.mountpoint);
    medium = await openMedium(req);
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
      requestHandler(req, mounted, endState),
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
  await medium?.close().catch(() => undefined);
  if (mounted.overlay && endState.discard) {
    await discardOverlay(mounted.overlay);
    log.info(`unmounted ${req.mountpoint}; the staged changes were discarded`);
    hub.send({ event: 'result', ok: true, exit: EXIT.ok, message: 'unmounted; the staged changes were discarded' });
  } else if (mounted.overlay && end.external) await commitAfterUnmount(req, mounted.overlay, hub, log);
  else {
    const kept = mounted.overlay ? '; the staged changes are kept for the next mount' : '';
    log.info(`unmounted ${req.mountpoint}${kept}`);
    hub.send({ event: 'result', ok: true, exit: EXIT.ok, message: `unmounted without committing${kept}` });
  }
  await hub.close();
}

export async function runMount(req: MountRequest, opts: RunOptions): Promise<void> {
  if (opts.foreground || opts.readyFd !== undefined) return runForeground(req, opts);
  await checkTarget(req.mountpoint);
  const logFile = logFileFor(req.mountpoint);
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const { notices } = await startDaemon(opts.argv, logFile);
  for (const n of notices) process.stderr.write(`discfs: ${n}\n`);
}
