// Bounded retries for transient NOT READY (04h/xx) and UNIT ATTENTION conditions, and polling after IMMED commands (SPC-4 4.5, MMC-5 Annex F).
import { ScsiError } from './scsi-error';
import { requestSense } from './request-sense';
import { SENSE_KEY } from './sense';
import { testUnitReady } from './test-unit-ready';
import { Transport } from './transport';

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export interface RetryPolicy {
  /** Total attempts including the first. */
  readonly attempts: number;
  readonly delayMs: number;
  readonly sleep?: Sleep;
  /** Called before each retry (logging). */
  readonly onRetry?: (error: ScsiError, attempt: number) => void;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, delayMs: 500 };

/** Transient: the same command may succeed later. A medium change is reported once and then cleared. */
export function isRetryable(error: unknown): error is ScsiError {
  return error instanceof ScsiError && (error.isBecomingReady || error.isUnitAttention || error.failure === 'busy');
}

/** Runs `fn` again on transient errors, at most `policy.attempts` times, then rethrows the last error. */
export async function withRetry<T>(fn: () => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY): Promise<T> {
  const sleep = policy.sleep ?? realSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!isRetryable(error) || attempt >= policy.attempts) throw error;
      policy.onRetry?.(error, attempt);
      await sleep(policy.delayMs);
    }
  }
}

export interface PollOptions {
  readonly intervalMs: number;
  /** Give up after this long (measured by the sum of intervals slept, so it is deterministic under a fake sleep). */
  readonly timeoutMs: number;
  readonly sleep?: Sleep;
  /** Progress 0..1 from the sense-key specific field, when the drive reports it. */
  readonly onProgress?: (fraction: number) => void;
}

/**
 * After an IMMED command (BLANK, FORMAT UNIT, CLOSE, SYNCHRONIZE CACHE) the drive answers NOT READY
 * 04h/04h-08h until done: poll TEST UNIT READY, reading progress via REQUEST SENSE, until GOOD.
 */
export async function waitUntilReady(t: Transport, options: PollOptions): Promise<void> {
  const sleep = options.sleep ?? realSleep;
  let waited = 0;
  for (;;) {
    try {
      await testUnitReady(t);
      return;
    } catch (error) {
      if (!(error instanceof ScsiError) || !(error.isBecomingReady || error.isUnitAttention)) throw error;
      if (waited >= options.timeoutMs) {
        throw new ScsiError(
          { opcode: error.opcode, failure: error.failure, status: 2, sense: error.sense, device: t.description },
          { cause: new Error(`still not ready after ${options.timeoutMs} ms`) },
        );
      }
      if (options.onProgress && error.senseKey === SENSE_KEY.notReady) await reportProgress(t, options.onProgress);
      await sleep(options.intervalMs);
      waited += options.intervalMs;
    }
  }
}

async function reportProgress(t: Transport, onProgress: (fraction: number) => void): Promise<void> {
  try {
    const sense = await requestSense(t);
    if (sense?.progress !== undefined) onProgress(sense.progress);
  } catch {
    // Progress is a nicety; a drive that rejects REQUEST SENSE while busy still finishes.
  }
}
