// Keeps the machine awake while a commit writes: systemd-inhibit holding a sleep lock, where it exists.

import { spawn, spawnSync } from 'node:child_process';

export interface Inhibitor {
  release(): void;
}

let available: boolean | undefined;

function haveSystemdInhibit(): boolean {
  if (available === undefined) {
    const r = spawnSync('systemd-inhibit', ['--version'], { stdio: 'ignore', timeout: 5_000 });
    available = !r.error && r.status === 0;
  }
  return available;
}

/**
 * Takes a sleep (suspend) lock for as long as the returned inhibitor is held. Without systemd-inhibit, or when
 * logind refuses (no system bus in a container), the commit goes on and `log` says so.
 */
export function inhibitSuspend(why: string, log: (message: string) => void): Inhibitor {
  if (!haveSystemdInhibit()) {
    log('systemd-inhibit not found: suspend is not inhibited during the commit');
    return { release: () => undefined };
  }
  // `sleep infinity` holds the lock until killed; stdin closing (daemon death) does not release it, the kill does.
  const child = spawn('systemd-inhibit', ['--what=sleep:idle', '--who=discfs', `--why=${why}`, '--mode=block', 'sleep', 'infinity'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString('utf8')));
  child.on('error', (e) => log(`systemd-inhibit failed: ${e.message}; suspend is not inhibited`));
  child.on('exit', (code, signal) => {
    if (signal !== 'SIGTERM') log(`systemd-inhibit ended (${signal ?? `exit ${code}`}${err ? `: ${err.trim()}` : ''}); suspend is not inhibited`);
  });
  child.unref();
  return {
    release: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}
