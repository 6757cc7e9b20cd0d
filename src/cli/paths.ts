// Where discfs keeps its state: $XDG_STATE_HOME/discfs (fallback ~/.local/state/discfs).

import os from 'node:os';
import path from 'node:path';

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : path.join(env.HOME || os.homedir(), '.local', 'state');
  return path.join(base, 'discfs');
}

export function logDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(stateDir(env), 'logs');
}

/** One log file per mount, named after the mountpoint so `discfs status` can find it. */
export function logFileFor(mountpoint: string, env: NodeJS.ProcessEnv = process.env): string {
  const slug = path.resolve(mountpoint).replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+/, '').slice(-120) || 'root';
  return path.join(logDir(env), `${slug}.log`);
}
