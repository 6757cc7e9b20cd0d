// Background mounts: the parent spawns `node bin/discfs <argv> --foreground --ready-fd 3` detached and waits
// on fd 3 for one line, `ready` (the mount is live) or `error <message>`, or for the child to exit.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DiscfsError } from '../util/errors';

export const READY_FD = 3;
const READY_LINE = 'ready';
const ERROR_PREFIX = 'error ';
const DEFAULT_READY_TIMEOUT_MS = 30_000;
/** The ready channel carries one short line; more than this is a misbehaving child. */
const MAX_CHANNEL_BYTES = 64 * 1024;

export interface BackgroundOptions {
  /** stdout and stderr of the child are appended here. */
  logFile: string;
  /** Script to run with node; default bin/discfs of this package. */
  entry?: string;
  readyTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface BackgroundStarted {
  pid: number;
}

function defaultEntry(): string {
  // dist/src/daemon -> package root
  return path.join(__dirname, '..', '..', '..', 'bin', 'discfs');
}

function lastLogLine(logFile: string): string {
  try {
    const lines = fs.readFileSync(logFile, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
    return lines.length ? lines[lines.length - 1] : '';
  } catch {
    return '';
  }
}

/** Starts a detached child and resolves with its pid once it reports the mount live. */
export function startInBackground(argv: string[], options: BackgroundOptions): Promise<BackgroundStarted> {
  const logFd = fs.openSync(options.logFile, 'a');
  const entry = options.entry ?? defaultEntry();
  const child = spawn(process.execPath, [entry, ...argv, '--foreground', '--ready-fd', String(READY_FD)], {
    detached: true,
    stdio: ['ignore', logFd, logFd, 'pipe'],
    env: options.env ?? process.env,
    cwd: options.cwd,
  });
  fs.closeSync(logFd);
  const channel = child.stdio[READY_FD] as NodeJS.ReadableStream & { destroy(): void };
  return new Promise<BackgroundStarted>((resolve, reject) => {
    let text = '';
    let reported: string | null = null;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      channel.destroy();
      fn();
    };
    const timer = setTimeout(() => settle(() => {
      child.kill('SIGTERM');
      reject(new DiscfsError('BACKGROUND_TIMEOUT', `the background mount did not report ready within ${options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS} ms`, { pid: child.pid }));
    }), options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
    channel.setEncoding('utf8');
    channel.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > MAX_CHANNEL_BYTES) text = text.slice(-MAX_CHANNEL_BYTES);
      for (const line of text.split('\n').slice(0, -1)) {
        if (line === READY_LINE) {
          return settle(() => { child.unref(); resolve({ pid: child.pid ?? -1 }); });
        }
        if (line.startsWith(ERROR_PREFIX)) reported = line.slice(ERROR_PREFIX.length);
      }
    });
    channel.on('error', () => undefined);
    child.on('error', (err) => settle(() => reject(new DiscfsError('BACKGROUND_SPAWN_FAILED', err.message, {}, { cause: err }))));
    child.on('exit', (code, signal) => settle(() => {
      const message = reported ?? (lastLogLine(options.logFile) || `exited with ${signal ?? `code ${code}`}`);
      reject(new DiscfsError('BACKGROUND_START_FAILED', message, { exitCode: code, signal, logFile: options.logFile }));
    }));
  });
}

/** The --ready-fd value in a child's argv, or null in a plain foreground run. */
export function readyFdFromArgv(argv: readonly string[]): number | null {
  const i = argv.indexOf('--ready-fd');
  if (i < 0 || i + 1 >= argv.length) return null;
  const fd = Number(argv[i + 1]);
  return Number.isInteger(fd) && fd >= 0 ? fd : null;
}

function sendLine(fd: number | null, line: string): void {
  if (fd === null) return;
  try {
    fs.writeSync(fd, `${line}\n`);
    fs.closeSync(fd);
  } catch {
    // The parent may already be gone (it gave up waiting): nothing left to tell.
  }
}

/** Child side: the mount is live. Closes the channel so the parent can return. */
export function reportReady(fd: number | null): void {
  sendLine(fd, READY_LINE);
}

/** Child side: one line telling the parent why the start failed (then exit with a non-zero code). */
export function reportFailure(fd: number | null, message: string): void {
  sendLine(fd, ERROR_PREFIX + message.replace(/\s*\n\s*/g, ' ').slice(0, 1000));
}
