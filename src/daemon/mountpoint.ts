// Kernel-side mount state of a mountpoint: /proc/self/mountinfo (proc(5)), dead FUSE mounts, fusermount.

import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { DiscfsError } from '../util/errors';

export interface MountInfoEntry {
  mountpoint: string;
  fstype: string;
  source: string;
  mountOptions: string[];
  superOptions: string[];
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountInfo(text: string): MountInfoEntry[] {
  const out: MountInfoEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-');
    if (sep < 6 || fields.length < sep + 4) continue;
    out.push({
      mountpoint: unescapeMountField(fields[4]),
      mountOptions: fields[5].split(','),
      fstype: fields[sep + 1],
      source: unescapeMountField(fields[sep + 2]),
      superOptions: fields[sep + 3].split(','),
    });
  }
  return out;
}

/** The topmost mount on `mountpoint` (an absolute path), or null. */
export async function findMount(mountpoint: string): Promise<MountInfoEntry | null> {
  const text = await fsp.readFile('/proc/self/mountinfo', 'utf8');
  const want = path.resolve(mountpoint);
  const hits = parseMountInfo(text).filter((m) => m.mountpoint === want);
  return hits.length ? hits[hits.length - 1] : null;
}

export interface FusermountResult {
  ok: boolean;
  message: string;
}

/** Runs fusermount without a shell; never rejects (the caller decides what a failure means). */
export function fusermount(args: string[], timeoutMs = 10_000): Promise<FusermountResult> {
  return new Promise((resolve) => {
    execFile('fusermount', args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      const message = `${stdout}${stderr}`.trim();
      resolve({ ok: !err, message: err ? message || err.message : message });
    });
  });
}

/** True when the path answers ENOTCONN: a FUSE mount whose daemon is gone. */
export async function isDeadMount(mountpoint: string): Promise<boolean> {
  try {
    await fsp.stat(mountpoint);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOTCONN';
  }
}

/** Lazily unmounts a dead FUSE mount (left by a crash) so the mountpoint can be used again. */
export async function cleanDeadMount(mountpoint: string): Promise<boolean> {
  if (!(await isDeadMount(mountpoint))) return false;
  const r = await fusermount(['-uz', mountpoint]);
  if (!r.ok && (await isDeadMount(mountpoint))) {
    throw new DiscfsError('MOUNTPOINT_DEAD', `cannot clean the dead mount on ${mountpoint}: ${r.message}`, { mountpoint });
  }
  return true;
}

/** Refuses a mountpoint that does not exist, is no directory, or already carries a live mount. */
export async function checkMountpoint(mountpoint: string): Promise<void> {
  let st;
  try {
    st = await fsp.stat(mountpoint);
  } catch (err) {
    throw new DiscfsError('MOUNTPOINT_MISSING', `mountpoint ${mountpoint}: ${(err as Error).message}`, { mountpoint }, { cause: err });
  }
  if (!st.isDirectory()) throw new DiscfsError('MOUNTPOINT_NOT_DIR', `mountpoint ${mountpoint} is not a directory`, { mountpoint });
  if (await findMount(mountpoint)) {
    throw new DiscfsError('MOUNTPOINT_BUSY', `${mountpoint} is already a mount point`, { mountpoint });
  }
}
