// The unmount commit on an optical drive: the merged tree burnt as a new session through SG_IO (docs/burning.md).
import fs from 'node:fs';
import type { CommitResult } from '../engine/commit';
import type { Progress } from '../engine/data-writer';
import type { SourceTree } from '../engine/source-tree';
import { SgTransport } from '../mmc/sg-transport';
import { DiscfsError } from '../util/errors';
import { burnSession, planBurn, type BurnOptions, type BurnPlan, type BurnProgress } from './session-writer';

/** A character device, or a block device named like an optical drive: the commit goes through the burn path. */
export function isDrivePath(source: string): boolean {
  try {
    const st = fs.statSync(source);
    return st.isCharacterDevice() || (st.isBlockDevice() && /^\/dev\/(sr|scd|sg)/.test(source));
  } catch {
    return false;
  }
}

export interface DriveCommitOptions {
  finalize?: boolean;
  eject?: boolean;
  speedKBps?: number;
  onProgress?: (p: Progress & { bufferFill?: number }) => void;
  onNotice?: (message: string) => void;
  signal?: AbortSignal;
}

function asEngineProgress(p: BurnProgress): Progress & { bufferFill?: number } {
  // The CLI's progress channel knows the engine's phases; drive-only phases are reported as the nearest one.
  const phase = p.phase === 'prepare' || p.phase === 'format' ? 'plan' : p.phase === 'sync' || p.phase === 'close' || p.phase === 'eject' ? 'head' : p.phase;
  return { phase, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, bufferFill: p.bufferFill };
}

export function toCommitResult(plan: BurnPlan, verified: boolean): CommitResult {
  return {
    sessionNumber: plan.sessionNumber,
    startLba: plan.startLba,
    dataBlocks: plan.dataBlocks,
    treeBlocks: plan.treeBlocks,
    sessionBlocks: plan.sessionBlocks,
    endLba: plan.endLba,
    capacityBlocks: plan.endLba + plan.freeBlocksAfter,
    freeBlocksAfter: plan.freeBlocksAfter,
    verified,
  };
}

async function openForBurn(devicePath: string, exclusive: boolean): Promise<SgTransport> {
  if (!exclusive) return SgTransport.open(devicePath);
  try {
    return await SgTransport.open(devicePath, { exclusive: true });
  } catch (e) {
    // The mount's own read handle counts as "another user" for O_EXCL; anyone else would already have failed the mount.
    if (e instanceof DiscfsError && e.code === 'DEVICE_BUSY') return SgTransport.open(devicePath);
    throw e;
  }
}

async function withDevice<T>(devicePath: string, work: (t: SgTransport) => Promise<T>, exclusive = true): Promise<T> {
  // O_EXCL keeps automounters and the kernel's own mount off the drive while it is written.
  const t = await openForBurn(devicePath, exclusive);
  try {
    return await work(t);
  } finally {
    await t.close();
  }
}

/** Burns `tree` on the medium in `devicePath`; the transport is opened exclusively for the burn only. */
export async function burnTreeToDevice(devicePath: string, tree: SourceTree, o: DriveCommitOptions = {}): Promise<CommitResult> {
  return withDevice(devicePath, async (transport) => {
    const opts: BurnOptions = {
      transport, tree, finalize: o.finalize, eject: o.eject, speedKBps: o.speedKBps, signal: o.signal, onNotice: o.onNotice,
      onProgress: o.onProgress ? (p) => o.onProgress?.(asEngineProgress(p)) : undefined,
    };
    const r = await burnSession(opts);
    return toCommitResult(r, r.verified);
  });
}

/** Dry run on the device: where the session would go. */
export async function planTreeOnDevice(devicePath: string, tree: SourceTree): Promise<CommitResult> {
  return withDevice(devicePath, async (transport) => toCommitResult(await planBurn({ transport, tree }), false), false);
}
