// Before mounting: is FUSE usable by this user? Says exactly what is missing (/dev/fuse, fusermount,
// user_allow_other for -o allow_other) instead of a libfuse error after the fact.

import fs from 'node:fs';
import path from 'node:path';
import { CliError } from './exit-codes';

const FUSE_DEVICE = '/dev/fuse';
const FUSE_CONF = '/etc/fuse.conf';

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(':').filter(Boolean)) {
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

function allowsOther(): boolean {
  try {
    return fs.readFileSync(FUSE_CONF, 'utf8').split('\n').some((l) => l.trim() === 'user_allow_other');
  } catch {
    return false;
  }
}

/**
 * Root opens /dev/fuse itself; anyone else mounts through the setuid fusermount, which also refuses
 * allow_other unless /etc/fuse.conf says user_allow_other.
 */
export function checkFuse(options: readonly string[], env: NodeJS.ProcessEnv = process.env): void {
  if (!fs.existsSync(FUSE_DEVICE)) {
    throw new CliError('fuseUnavailable', `${FUSE_DEVICE} is missing: load the fuse module (modprobe fuse) or, in a container, pass --device /dev/fuse`);
  }
  const root = process.getuid?.() === 0;
  if (root) return;
  if (!onPath('fusermount', env) && !onPath('fusermount3', env)) {
    throw new CliError('fuseUnavailable', 'fusermount is not installed (or not on PATH): install the fuse package (apt-get install fuse)');
  }
  try {
    fs.accessSync(FUSE_DEVICE, fs.constants.R_OK | fs.constants.W_OK);
  } catch {
    throw new CliError('fuseUnavailable', `${FUSE_DEVICE} is not readable and writable by you (check its mode, normally crw-rw-rw-)`);
  }
  if (options.includes('allow_other') && !allowsOther()) {
    throw new CliError('fuseUnavailable', `-o allow_other needs a line "user_allow_other" in ${FUSE_CONF} (ask root to add it)`);
  }
}

/** Why an ordinary user may not open a drive: the group that owns it, and how to join. */
export function deviceAccessHint(device: string): string {
  try {
    const st = fs.statSync(device);
    const group = groupName(st.gid);
    return `${device} belongs to group ${group}: add yourself with \`sudo usermod -aG ${group} $USER\` and log in again`;
  } catch {
    return `${device}: permission denied`;
  }
}

function groupName(gid: number): string {
  try {
    for (const line of fs.readFileSync('/etc/group', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length >= 3 && Number(f[2]) === gid) return f[0];
    }
  } catch {
    // no /etc/group: fall back to the number
  }
  return String(gid);
}
