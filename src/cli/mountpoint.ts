// Checks a mountpoint before mounting: exists, is a directory, is empty, is not already mounted.

import fs from 'node:fs';
import path from 'node:path';
import { CliError } from './exit-codes';

export interface MountInfoLine {
  mountpoint: string;
  fstype: string;
  source: string;
}

/** Mounts from /proc/self/mountinfo (octal escapes decoded). */
export function readMountInfo(): MountInfoLine[] {
  let text: string;
  try {
    text = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  const out: MountInfoLine[] = [];
  for (const line of text.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const left = line.slice(0, dash).split(' ');
    const right = line.slice(dash + 3).split(' ');
    if (left.length < 5 || right.length < 2) continue;
    out.push({ mountpoint: unescape(left[4]), fstype: right[0], source: unescape(right[1]) });
  }
  return out;
}

export function findMount(mountpoint: string): MountInfoLine | undefined {
  const abs = path.resolve(mountpoint);
  return readMountInfo().filter((m) => m.mountpoint === abs).pop();
}

export type MountpointState = 'ready' | 'dead';

/**
 * Validates MOUNTPOINT. A mountpoint left dead by a crashed daemon (ENOTCONN) is reported as 'dead' so the
 * caller can clean it up; everything else that is wrong is a CliError.
 */
export function checkMountpoint(mountpoint: string): MountpointState {
  let st: fs.Stats;
  try {
    st = fs.statSync(mountpoint);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTCONN') return 'dead';
    if (code === 'ENOENT') throw new CliError('mountpointMissing', `mountpoint ${mountpoint} does not exist`);
    if (code === 'EACCES') throw new CliError('permissionDenied', `mountpoint ${mountpoint}: permission denied`);
    throw new CliError('mountpointMissing', `mountpoint ${mountpoint}: ${(e as Error).message}`);
  }
  if (!st.isDirectory()) throw new CliError('mountpointMissing', `mountpoint ${mountpoint} is not a directory`);
  if (findMount(mountpoint)) throw new CliError('alreadyMounted', `${mountpoint} is already mounted`);
  if (fs.readdirSync(mountpoint).length > 0) {
    throw new CliError('mountpointNotEmpty', `mountpoint ${mountpoint} is not empty`);
  }
  return 'ready';
}
