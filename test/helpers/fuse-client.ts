// Test-side control of a fuse-server child: fork, wait for ready, fetch the call log, unmount, clean up.

import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { CallRecord } from './fuse-memfs';
import type { ServerConfig, ServerMessage } from './fuse-server';

export const SERVER_JS = path.join(__dirname, 'fuse-server.js');
const WAIT_MS = 10_000;

export interface ServerHandle {
  readonly child: ChildProcess;
  readonly mountpoint: string;
  calls(): Promise<CallRecord[]>;
  clear(): void;
  /** Resolves with the 'ended' report (external unmount or not). */
  ended: Promise<{ external: boolean }>;
  unmount(): Promise<{ external: boolean }>;
  /** Last resort for after hooks: lazy unmount and SIGKILL, never throws. */
  destroy(): void;
}

function waitFor<T>(child: ChildProcess, pick: (m: ServerMessage) => T | undefined, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(() => reject(new Error(`fuse-server: no ${what} within ${WAIT_MS} ms`))), WAIT_MS);
    const onMessage = (m: ServerMessage) => {
      const v = pick(m);
      if (v !== undefined) done(() => resolve(v));
    };
    const onExit = (code: number | null) => done(() => reject(new Error(`fuse-server exited (${code}) before ${what}`)));
    function done(fn: () => void) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      fn();
    }
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

export async function startServer(mountpoint: string, config: ServerConfig = {}): Promise<ServerHandle> {
  const child = fork(SERVER_JS, [mountpoint, JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = waitFor(child, (m) => (m.type === 'ready' ? true : m.type === 'error' ? new Error(m.message) : undefined), 'ready');
  const ended = new Promise<{ external: boolean }>((resolve) => {
    child.on('message', (m: ServerMessage) => { if (m.type === 'ended') resolve({ external: m.external }); });
  });
  const r = await ready;
  if (r instanceof Error) throw r;
  return {
    child,
    mountpoint,
    ended,
    calls() {
      const p = waitFor(child, (m) => (m.type === 'calls' ? m.calls : undefined), 'calls');
      child.send({ type: 'calls' });
      return p;
    },
    clear() { child.send({ type: 'clear' }); },
    async unmount() {
      child.send({ type: 'unmount' });
      return withTimeout(ended, WAIT_MS, 'ended');
    },
    destroy() {
      spawnSync('fusermount', ['-uz', mountpoint], { timeout: 5000 });
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timeout waiting for ${what}`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}
