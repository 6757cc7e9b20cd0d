// Mounts and unmounts through the real command line (bin/discfs) inside a private sandbox: its own temp dir and
// XDG_STATE_HOME, so staging, logs and sockets never touch the user's state; cleanup() always unmounts
// (lazily if it must), kills leftover daemons and removes the sandbox, so call it from an `after` hook.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, type ExecResult } from './exec';
import { runtimePaths } from '../../src/commit/control';

export const DISCFS_BIN = path.join(__dirname, '..', '..', '..', 'bin', 'discfs');
const MOUNT_TIMEOUT_MS = 30_000;
const UNMOUNT_TIMEOUT_MS = 45_000;
const FUSERMOUNT_TIMEOUT_MS = 10_000;

export interface CliOptions {
  timeoutMs?: number;
  /** Exit codes that count as success (default: any, the caller checks result.code). */
  okCodes?: number[];
  env?: NodeJS.ProcessEnv;
}

export class MountSandbox {
  /** Environment every command of the sandbox runs with (XDG_STATE_HOME inside the sandbox). */
  readonly env: NodeJS.ProcessEnv;
  private readonly mounts = new Set<string>();
  private readonly daemons = new Set<number>();

  private constructor(readonly dir: string) {
    this.env = {
      ...process.env,
      XDG_STATE_HOME: path.join(dir, 'state'),
      SOURCE_DATE_EPOCH: '1700000000',
      LC_ALL: 'C.UTF-8',
      TZ: 'UTC',
    };
  }

  static create(prefix: string): MountSandbox {
    return new MountSandbox(fs.mkdtempSync(path.join(os.tmpdir(), `discfs-${prefix}-`)));
  }

  /** A path inside the sandbox (not created). */
  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  /** A new empty directory inside the sandbox. */
  mkdir(name: string): string {
    const p = this.path(name);
    fs.mkdirSync(p, { recursive: true });
    return p;
  }

  /** Runs `discfs ARGS...`; resolves with the result whatever the exit code unless okCodes says otherwise. */
  discfs(args: readonly string[], options: CliOptions = {}): Promise<ExecResult> {
    return run(process.execPath, [DISCFS_BIN, ...args], {
      timeoutMs: options.timeoutMs ?? MOUNT_TIMEOUT_MS,
      env: options.env ?? this.env,
      okCodes: options.okCodes ?? Array.from({ length: 256 }, (_, i) => i),
    });
  }

  /** `discfs mount [args] SOURCE MNT` in the background; rejects unless it exits 0. Returns the daemon's pid. */
  async mount(source: string, mnt: string, args: readonly string[] = []): Promise<number> {
    fs.mkdirSync(mnt, { recursive: true });
    this.mounts.add(mnt); // before the call: a half-started mount must still be cleaned up
    const r = await this.discfs(['mount', ...args, source, mnt]);
    if (r.code !== 0) throw new Error(`discfs mount ${source} ${mnt} exited ${r.code}: ${r.stderr.toString('utf8')}`);
    const pid = this.daemonPid(mnt);
    if (pid !== undefined) this.daemons.add(pid);
    return pid ?? 0;
  }

  /** `discfs unmount [args] MNT`; the caller checks the exit code. */
  async unmount(mnt: string, args: readonly string[] = []): Promise<ExecResult> {
    const pid = this.daemonPid(mnt);
    const r = await this.discfs(['unmount', ...args, mnt], { timeoutMs: UNMOUNT_TIMEOUT_MS });
    if (r.code === 0) {
      this.mounts.delete(mnt);
      if (pid !== undefined) await waitForExit(pid, UNMOUNT_TIMEOUT_MS);
    }
    return r;
  }

  /** The pid the daemon of MNT recorded in its runtime info file, if it is running. */
  daemonPid(mnt: string): number | undefined {
    try {
      const info = JSON.parse(fs.readFileSync(runtimePaths(mnt, this.env).info, 'utf8')) as { pid?: unknown };
      return typeof info.pid === 'number' ? info.pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** kill -9 of the daemon serving MNT; resolves once it is gone (the mount is then dead: ENOTCONN). */
  async killDaemon(mnt: string): Promise<void> {
    const pid = this.daemonPid(mnt);
    if (pid === undefined) throw new Error(`no daemon recorded for ${mnt}`);
    process.kill(pid, 'SIGKILL');
    await waitForExit(pid, FUSERMOUNT_TIMEOUT_MS);
  }

  /** Unmounts whatever is still mounted (without committing when it can), kills daemons, removes the sandbox. */
  async cleanup(): Promise<void> {
    for (const mnt of this.mounts) {
      const pid = this.daemonPid(mnt);
      if (pid !== undefined) this.daemons.add(pid);
      await forceUnmount(mnt);
    }
    this.mounts.clear();
    for (const pid of this.daemons) {
      // SIGTERM unmounts without committing; a daemon still alive after that is killed.
      if (alive(pid)) signal(pid, 'SIGTERM');
      if (!(await waitForExit(pid, 5_000))) signal(pid, 'SIGKILL');
    }
    fs.rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

async function forceUnmount(mnt: string): Promise<void> {
  const r = await run('fusermount', ['-u', mnt], { timeoutMs: FUSERMOUNT_TIMEOUT_MS, okCodes: [0, 1] }).catch(() => undefined);
  if (r?.code !== 0) await run('fusermount', ['-uz', mnt], { timeoutMs: FUSERMOUNT_TIMEOUT_MS, okCodes: [0, 1] }).catch(() => undefined);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Polls until PID has exited; false on timeout. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}

/** A shell command run in the test process (never in the daemon), bounded, with the sandbox environment. */
export function sh(sandbox: MountSandbox, script: string, options: CliOptions & { cwd?: string } = {}): Promise<ExecResult> {
  return run('bash', ['-euo', 'pipefail', '-c', script], {
    timeoutMs: options.timeoutMs ?? MOUNT_TIMEOUT_MS,
    env: options.env ?? sandbox.env,
    cwd: options.cwd,
    okCodes: options.okCodes,
  });
}
