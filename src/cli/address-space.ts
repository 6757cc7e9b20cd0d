// Running the daemon under a low RLIMIT_AS (e.g. `prlimit --as=1073741824`): what node and glibc need to fit.
//
// glibc gives every thread that allocates its own malloc arena, each reserving 64 MiB of address space (up to
// 8 per core), and libfuse's multi-threaded loop starts worker threads on demand: under 1 GiB those threads
// fail to start ("fuse: error creating thread"). MALLOC_ARENA_MAX is read by glibc only at process start, so
// a foreground mount re-executes itself with it (and with a V8 heap limit below the address-space limit, so the
// garbage collector works harder instead of the process dying in mmap). docs/reading.md explains this.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

/** Below this limit the daemon is started with the settings below. */
const LOW_ADDRESS_SPACE = 8 * 1024 ** 3;
/** V8's old space may use this share of the address-space limit (the rest: code, threads, buffers, libfuse). */
const HEAP_SHARE = 0.4;
const MIN_HEAP_MIB = 128;
const ARENAS = '2';
/** Set in the re-executed process so it does not re-execute again. */
const RELAUNCHED = 'DISCFS_LOW_MEMORY_RELAUNCHED';
const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** The soft RLIMIT_AS of this process in bytes, or undefined when unlimited or unknown. */
export function addressSpaceLimit(): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
  const line = text.split('\n').find((l) => l.startsWith('Max address space'));
  const soft = line?.slice('Max address space'.length).trim().split(/\s+/)[0];
  return soft !== undefined && /^\d+$/.test(soft) ? Number(soft) : undefined;
}

function isLow(limit: number | undefined): limit is number {
  return limit !== undefined && limit < LOW_ADDRESS_SPACE;
}

/** Node flags for a daemon started under the current limit (none when the limit is high or absent). */
export function daemonNodeFlags(limit = addressSpaceLimit()): string[] {
  if (!isLow(limit)) return [];
  const heapMib = Math.max(MIN_HEAP_MIB, Math.floor((limit * HEAP_SHARE) / 1024 ** 2));
  return [`--max-old-space-size=${heapMib}`];
}

/** The environment for a daemon process: few malloc arenas (harmless when memory is plentiful). */
export function daemonEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? ARENAS, [RELAUNCHED]: '1' };
}

/** True when this foreground process must re-execute itself to fit the address-space limit. */
export function needsLowMemoryRelaunch(env: NodeJS.ProcessEnv = process.env): boolean {
  return isLow(addressSpaceLimit()) && env[RELAUNCHED] !== '1';
}

/**
 * Runs the same command line again with the daemon settings and waits for it: it inherits the terminal, and
 * signals sent to this process are passed on (the child has its own process group, so a Ctrl-C reaches it
 * exactly once). Resolves with the child's exit status.
 */
export function relaunchWithDaemonSettings(argv: readonly string[]): Promise<number> {
  const child = spawn(process.execPath, [...daemonNodeFlags(), process.argv[1], ...argv], {
    stdio: 'inherit',
    env: daemonEnv(),
    detached: true,
  });
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  for (const s of FORWARDED_SIGNALS) process.on(s, forward);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      for (const s of FORWARDED_SIGNALS) process.off(s, forward);
      resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 0));
    });
  });
}
