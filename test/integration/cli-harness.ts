// Drives the discfs command line as a user would, each test in its own temp dir and state dir; cleans up mounts.

import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'discfs');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class CliSandbox {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  private readonly mounts = new Set<string>();

  constructor(prefix: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `discfs-${prefix}-`));
    fs.chmodSync(this.dir, 0o755);
    this.env = { ...process.env, SOURCE_DATE_EPOCH: '1700000000', LC_ALL: 'C.UTF-8', XDG_STATE_HOME: path.join(this.dir, 'state') };
  }

  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  run(args: string[], opts: SpawnSyncOptions = {}): Run {
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 40_000, env: this.env, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    return { code: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  }

  /** A grown image (session 1 at LBA 32, as xorriso writes it) holding `files`. */
  image(name: string, files: Record<string, string>): string {
    const src = this.path(`${name}.src`);
    fs.mkdirSync(src, { recursive: true });
    for (const [p, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(src, p)), { recursive: true });
      fs.writeFileSync(path.join(src, p), text);
    }
    const img = this.path(name);
    const r = spawnSync('xorriso', ['-dev', img, '-volid', 'CLI', '-map', src, '/', '-commit'], { encoding: 'utf8', env: this.env, timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    return img;
  }

  mountpoint(name = 'mnt'): string {
    const m = this.path(name);
    fs.mkdirSync(m, { recursive: true });
    this.mounts.add(m);
    return m;
  }

  mount(args: string[]): void {
    const r = this.run(['mount', ...args]);
    assert.equal(r.code, 0, `mount ${args.join(' ')}: ${r.stderr}`);
  }

  /** The 'mounted' record the daemon of `mnt` left in the run dir (pid, log). */
  daemonRecord(mnt: string): { pid: number; log?: string } {
    const run = path.join(this.env.XDG_STATE_HOME as string, 'discfs', 'run');
    for (const n of fs.readdirSync(run).filter((f) => f.endsWith('.json'))) {
      const rec = JSON.parse(fs.readFileSync(path.join(run, n), 'utf8')) as { mountpoint: string; pid: number; log?: string };
      if (rec.mountpoint === mnt) return rec;
    }
    throw new Error(`no daemon record for ${mnt}`);
  }

  sessions(img: string): number {
    const r = this.run(['sessions', '--json', img]);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as unknown[]).length;
  }

  /** Lazy unmounts of everything still mounted, then the temp dir. */
  cleanup(): void {
    for (const m of this.mounts) if (isMounted(m)) spawnSync('fusermount', ['-uz', m], { timeout: 10_000 });
    fs.rmSync(this.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }
}

export function isMounted(mnt: string): boolean {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === mnt);
}

export async function waitFor(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Spawns discfs and collects its output; `onLine` sees each stdout line as it comes. */
export function spawnDiscfs(sandbox: CliSandbox, args: string[], onLine: (line: string) => void = () => undefined) {
  const child = spawn(process.execPath, [BIN, ...args], { env: sandbox.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString('utf8');
    pending += d.toString('utf8');
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      onLine(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
  void done.then(() => clearTimeout(timer));
  return { child, done };
}
