// Background mounts: start `discfs mount ... --foreground --ready-fd 3` detached and wait for its first word.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CliError, type ExitName, EXIT } from './exit-codes';
import { daemonEnv, daemonNodeFlags } from './address-space';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'discfs');
/** A mount of a large or slow medium may take a while; beyond this something is wrong. */
const READY_TIMEOUT_MS = 120_000;

function exitNameOf(code: number): ExitName {
  return (Object.keys(EXIT) as ExitName[]).find((k) => EXIT[k] === code) ?? 'internal';
}

/** Resolves once the daemon reports the mount live; rejects with the daemon's own one-line error. */
export function startDaemon(argv: string[], logFile: string): Promise<{ pid: number; notices: string[] }> {
  const log = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [...daemonNodeFlags(), BIN, ...argv, '--ready-fd', '3'], {
    detached: true,
    stdio: ['ignore', log, log, 'pipe'],
    env: daemonEnv(),
  });
  fs.closeSync(log);
  return new Promise((resolve, reject) => {
    let text = '';
    const pipe = child.stdio[3] as NodeJS.ReadableStream;
    const timer = setTimeout(() => finish(new CliError('internal', `the daemon did not report within ${READY_TIMEOUT_MS / 1000} s (log: ${logFile})`)), READY_TIMEOUT_MS);
    const finish = (err?: Error, pid?: number, notices: string[] = []) => {
      clearTimeout(timer);
      pipe.removeAllListeners();
      child.removeAllListeners();
      (pipe as unknown as { destroy(): void }).destroy();
      child.unref();
      if (err) reject(err);
      else resolve({ pid: pid ?? child.pid ?? 0, notices });
    };
    pipe.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      let msg: { ready?: boolean; pid?: number; error?: string; exit?: number; notices?: string[] };
      try {
        msg = JSON.parse(text.slice(0, nl)) as typeof msg;
      } catch {
        return finish(new CliError('internal', `the daemon said something unexpected (log: ${logFile})`));
      }
      if (msg.ready) finish(undefined, msg.pid, msg.notices);
      else finish(new CliError(exitNameOf(msg.exit ?? 1), msg.error ?? 'mount failed'));
    });
    child.on('exit', (code, signal) => {
      finish(new CliError('internal', `the daemon exited (${signal ?? `code ${code}`}) before the mount was live (log: ${logFile})`));
    });
  });
}
