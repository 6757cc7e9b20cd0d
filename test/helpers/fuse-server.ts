// A FUSE server child for tests: serves MemFs through src/daemon/serve on argv[2].
// Config (argv[3], JSON): mount options plus { slowMs, dilateTimers }. Reports over IPC when forked
// ({type:'ready'|'error'|'ended'}, answers {type:'calls'}), and on --ready-fd when started in the background.

import { readyFdFromArgv, reportFailure, reportReady } from '../../src/daemon/background';
import { serve, type ServeOptions } from '../../src/daemon/serve';
import { unmountOnSignals } from '../../src/daemon/signals';
import type { Filesystem } from '../../src/fuse/filesystem';
import { MemFs } from './fuse-memfs';

function readOnlyView(m: MemFs): Filesystem {
  return {
    getattr: m.getattr.bind(m), readdir: m.readdir.bind(m), open: m.open.bind(m), read: m.read.bind(m),
    release: m.release.bind(m), readlink: m.readlink.bind(m), statfs: m.statfs.bind(m),
  };
}

export interface ServerConfig extends ServeOptions {
  slowMs?: number;
  /** Serve only MemFs's read methods: the adapter must answer EROFS for the rest. */
  readOnlyFs?: boolean;
  /** Divide every global setTimeout delay of at least 1 s by this (makes a 15 s timeout cheap to observe). */
  dilateTimers?: number;
}

export type ServerMessage =
  | { type: 'ready' }
  | { type: 'error'; message: string }
  | { type: 'ended'; external: boolean }
  | { type: 'calls'; calls: MemFs['calls'] };

function send(msg: ServerMessage): void {
  if (process.send) process.send(msg);
}

function dilate(factor: number): void {
  const original = global.setTimeout;
  const dilated = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) =>
    original(fn, ms !== undefined && ms >= 1000 ? ms / factor : ms, ...args)) as typeof setTimeout;
  global.setTimeout = Object.assign(dilated, original);
}

async function main(): Promise<void> {
  const mountpoint = process.argv[2];
  const config = JSON.parse(process.argv[3] && !process.argv[3].startsWith('--') ? process.argv[3] : '{}') as ServerConfig;
  const readyFd = readyFdFromArgv(process.argv);
  if (config.dilateTimers) dilate(config.dilateTimers);
  const memfs = new MemFs({ slowMs: config.slowMs });
  let handle;
  try {
    handle = await serve(config.readOnlyFs ? readOnlyView(memfs) : memfs, mountpoint, { ...config, log: (m) => process.stderr.write(`${m}\n`) });
  } catch (err) {
    const message = (err as Error).message;
    process.stderr.write(`fuse-server: ${message}\n`);
    send({ type: 'error', message });
    reportFailure(readyFd, message);
    process.exitCode = 2;
    if (process.connected) process.disconnect();
    return;
  }
  const h = handle;
  unmountOnSignals(h);
  process.on('message', (msg: { type: string }) => {
    if (msg.type === 'calls') send({ type: 'calls', calls: memfs.calls });
    else if (msg.type === 'clear') memfs.calls.length = 0;
    else if (msg.type === 'unmount') h.unmount().catch((e: Error) => process.stderr.write(`fuse-server: ${e.message}\n`));
  });
  send({ type: 'ready' });
  reportReady(readyFd);
  const end = await h.ended;
  send({ type: 'ended', external: end.external });
  if (process.connected) process.disconnect();
}

void main();
