// Mounts and unmounts through the real command line (bin/discfs) inside a private sandbox: its own temp dir and
// XDG_STATE_HOME, so staging, logs and sockets never touch the user's state; cleanup() always unmounts
// (lazily if it must), kills leftover daemons and removes the sandbox, so call it from an `after` hook.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, type ExecResult } from './exec';
import { runtimePaths } from '../../src/commit/control';
import { diffListings, listTree, type Entry } from './listing';

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
    ensureDir(mnt);
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

/** mkdir -p that leaves a dead mountpoint (ENOTCONN) alone: `discfs mount` cleans those up itself. */
function ensureDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOTCONN') throw e;
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

/**
 * A mount listing compared with a plain-directory listing after the same operations. Directory mtimes that both
 * sides set to "now" during the operation may fall in different seconds: those within `nowSlackS` of the wall clock
 * on both sides count as equal; every other field (and every other mtime) must match exactly.
 */
export function mirrorDiff(expected: readonly Entry[], actual: readonly Entry[], nowSlackS = 60): string[] {
  const now = Math.floor(Date.now() / 1000);
  const recent = (e: Entry | undefined) => e?.mtime !== undefined && Math.abs(now - e.mtime) <= nowSlackS;
  const got = new Map(actual.map((e) => [e.path, e]));
  const relaxed = expected.map((e) => (e.type === 'dir' && recent(e) && recent(got.get(e.path)) ? { ...e, mtime: undefined } : e));
  return diffListings(relaxed, actual);
}

/** Lists a plain directory and a mount and asserts they are equal (see mirrorDiff). */
export async function assertSameTree(plain: string, mounted: string, what: string): Promise<Entry[]> {
  const [want, got] = await Promise.all([listTree(plain), listTree(mounted)]);
  const diff = mirrorDiff(want, got);
  if (diff.length > 0) throw new Error(`${what}: the mount differs from the plain directory:\n${diff.join('\n')}`);
  return got;
}

/** Every sample entry gets this mtime unless it needs its own. */
export const SAMPLE_MTIME = 1_600_000_000;
export const BIG_FILE_SIZE = 12 * 1024 * 1024;

/** Deterministic bytes: each 8-byte word holds its own offset plus a seed, so a misplaced range shows up. */
export function patternBytes(size: number, seed: number): Buffer {
  const buf = Buffer.alloc(size);
  for (let off = 0; off + 8 <= size; off += 8) buf.writeBigUInt64LE(BigInt(off + seed), off);
  return buf;
}

/** Writes root/rel (making its directories) with a fixed mode. */
export function writeFileAt(root: string, rel: string, data: string | Buffer, mode = 0o644): void {
  const p = path.join(root, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
  fs.chmodSync(p, mode);
}

/**
 * The tree of an "old session": files, directories, a symlink, two hard-linked names, a FIFO and a 12 MiB file,
 * all with fixed modes and mtimes.
 */
export function writeLowerTree(root: string): void {
  const file = (rel: string, data: string | Buffer, mode?: number) => writeFileAt(root, rel, data, mode);
  file('old/notes.txt', 'version 1\n');
  file('old/keep.txt', 'keep me\n', 0o600);
  file('old/dir1/x', 'x\n');
  file('old/dir1/sub/z', 'z\n', 0o755);
  file('old/dir2/p', 'p'.repeat(5000));
  file('old/dir2/q', 'q\n');
  file('old/hard1', 'shared by two names\n');
  fs.linkSync(path.join(root, 'old/hard1'), path.join(root, 'old/dir2/hard2'));
  fs.symlinkSync('notes.txt', path.join(root, 'old/link'));
  file('victim.txt', 'to be replaced\n');
  file('big.bin', patternBytes(BIG_FILE_SIZE, 7));
  execFileSync('mkfifo', [path.join(root, 'old/fifo')]);
  pinTimes(root, SAMPLE_MTIME);
}

/** Sets atime and mtime of every entry under root (symlinks themselves included), deepest first. */
export function pinTimes(root: string, sec: number): void {
  execFileSync('find', [root, '-depth', '-exec', 'touch', '-h', '-d', `@${sec}`, '{}', '+']);
}

/** A one-session image of `tree` made by xorriso (Rock Ridge with inode numbers, so hard links survive). */
export function xorrisoImage(tree: string, image: string, env: NodeJS.ProcessEnv): void {
  execFileSync('xorriso', ['-no_rc', '-hardlinks', 'on', '-dev', image, '-joliet', 'on', '-map', tree, '/', '-commit'], {
    env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000,
  });
}

/** Bytes actually allocated by the staged content files of every staging dir of the sandbox. */
export function stagedDataBytes(sandbox: MountSandbox): number {
  const stagingRoot = path.join(sandbox.env.XDG_STATE_HOME ?? '', 'discfs', 'staging');
  let total = 0;
  for (const key of fs.existsSync(stagingRoot) ? fs.readdirSync(stagingRoot) : []) {
    const data = path.join(stagingRoot, key, 'data');
    for (const name of fs.existsSync(data) ? fs.readdirSync(data) : []) total += fs.statSync(path.join(data, name)).blocks * 512;
  }
  return total;
}
