// Runs an external command for tests: bounded by a timeout, output captured as Buffers, failures thrown
// with the command's stderr so an assertion message says what went wrong.

import { spawn } from 'node:child_process';

export interface ExecOptions {
  /** Milliseconds before the command (and its process group) is killed. Default 60 s. */
  timeoutMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Bytes written to the command's stdin (then closed). */
  input?: Buffer | string;
  /** Exit codes that count as success. Default [0]. */
  okCodes?: number[];
}

export interface ExecResult {
  code: number;
  stdout: Buffer;
  stderr: Buffer;
}

export class ExecError extends Error {
  constructor(
    message: string,
    readonly result: ExecResult | undefined,
    readonly command: readonly string[],
  ) {
    super(message);
    this.name = 'ExecError';
  }
}

const DEFAULT_TIMEOUT_MS = 60_000;
const STDERR_IN_MESSAGE = 4000;

/** Runs `file args...` (no shell) and resolves with its output; rejects on a bad exit code or timeout. */
export function run(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const command = [file, ...args];
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true, // own process group, so a timeout also ends grandchildren
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new ExecError(`cannot run ${file}: ${e.message}`, undefined, command));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result: ExecResult = { code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
      if (timedOut) {
        reject(new ExecError(`timed out after ${timeoutMs} ms: ${describe(command)}\n${tail(result.stderr)}`, result, command));
      } else if (!(options.okCodes ?? [0]).includes(result.code)) {
        const how = signal ? `signal ${signal}` : `exit code ${result.code}`;
        reject(new ExecError(`${how}: ${describe(command)}\n${tail(result.stderr)}`, result, command));
      } else {
        resolve(result);
      }
    });
    child.stdin.on('error', () => undefined); // the command may exit without reading its input
    child.stdin.end(options.input ?? '');
  });
}

/** Like run() but resolves with stdout as UTF-8 text. */
export async function runText(file: string, args: readonly string[], options: ExecOptions = {}): Promise<string> {
  return (await run(file, args, options)).stdout.toString('utf8');
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function describe(command: readonly string[]): string {
  return command.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

function tail(stderr: Buffer): string {
  const text = stderr.toString('utf8');
  return text.length > STDERR_IN_MESSAGE ? '...' + text.slice(-STDERR_IN_MESSAGE) : text;
}
