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

async function buildFilesystem(req: MountRequest, medium: Medium, log: Log): Promise<{ fs: Filesystem; volume: IsoVolume }> {
  const volume = await openTree(req, medium);
  for (const w of volume.warnings) log.warn(w);
  if (!req.readOnly) {
    throw new CliError('usage', 'writable mounts are not available in this build yet: add --read-only');
  }
  return { fs: new SessionFs(volume, { mediumBlocks: medium.blocks }), volume };
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

async function runForeground(req: MountRequest, opts: RunOptions): Promise<void> {
  const log = createLog(opts.readyFd === undefined ? undefined : logFileFor(req.mountpoint));
  let handle: MountHandle;
  let medium: Medium | undefined;
  try {
    await checkTarget(req.mountpoint);
    medium = await openSource(req.source);
    const { fs: filesystem, volume } = await buildFilesystem(req, medium, log);
    handle = await serve(filesystem, req.mountpoint, {
      readOnly: req.readOnly,
      fsname: `discfs:${req.source}`,
      subtype: 'discfs',
      defaultPermissions: true,
      allowOther: req.options.includes('allow_other'),
      extraOptions: req.options.filter((o) => o !== 'allow_other'),
      attrTimeout: req.readOnly ? READ_ONLY_CACHE_SECONDS : 0,
      entryTimeout: req.readOnly ? READ_ONLY_CACHE_SECONDS : 0,
      log: (m) => log.warn(m),
    });
    log.info(`mounted ${req.source} session ${volume.session.number} (${volume.view}) on ${req.mountpoint}${req.readOnly ? ' read-only' : ''}`);
  } catch (e) {
    await medium?.close().catch(() => undefined);
    const { exit, message } = describeError(e);
    report(opts.readyFd, { error: message, exit: EXIT[exit] });
    throw e;
  }
  report(opts.readyFd, { ready: true, pid: process.pid });
  unmountOnSignals(handle, { log: (m) => log.info(m) });
  const end = await handle.ended;
  log.info(`unmounted ${req.mountpoint}${end.external ? ' (by another program)' : ''}`);
  await medium.close().catch(() => undefined);
}

export async function runMount(req: MountRequest, opts: RunOptions): Promise<void> {
  if (opts.foreground || opts.readyFd !== undefined) return runForeground(req, opts);
  await checkTarget(req.mountpoint);
  const logFile = logFileFor(req.mountpoint);
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  await startDaemon(opts.argv, logFile);
}
