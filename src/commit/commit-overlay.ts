// Commit = the merged tree (lower session + staged overlay) written as a new session, verified, then the
// staging cleared. The staged changes stay until the new session has been written and read back.

import { commitSession, planSession, type CommitResult, type SessionPlanReport } from '../engine/commit';
import type { Progress } from '../engine/data-writer';
import path from 'node:path';
import { inspectImage, type MediaKind } from '../engine/growing-image';
import { readMarker, removeMarker, writeMarker } from './commit-marker';
import type { ChangeEntry } from '../overlay/merged-tree';
import { OverlayFs, type OverlayOptions } from '../overlay/overlay-fs';
import { burnTreeToDevice, isDrivePath, planTreeOnDevice, type DriveCommitOptions } from '../drive/commit-drive';

export interface CommitRequest {
  imagePath: string;
  overlay: OverlayOptions;
  media?: MediaKind;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
  /** Image files: `--verify all` also re-reads unchanged data against the stored checksums. */
  verify?: 'all';
  /** Optical drives only: finalise, eject, speed, notices (docs/burning.md). */
  drive?: Omit<DriveCommitOptions, 'onProgress' | 'signal'>;
}

export interface ChangeSummary {
  added: number;
  changed: number;
  deleted: number;
  renamed: number;
  /** Staged content bytes the new session brings. */
  bytes: number;
}

export type CommitOutcome =
  | { kind: 'nothing'; summary: ChangeSummary }
  | { kind: 'committed'; summary: ChangeSummary; result: CommitResult };

export function summarize(changes: readonly ChangeEntry[]): ChangeSummary {
  const s: ChangeSummary = { added: 0, changed: 0, deleted: 0, renamed: 0, bytes: 0 };
  for (const c of changes) {
    s[c.change] += 1;
    s.bytes += c.bytes;
  }
  return s;
}

async function withOverlay<T>(options: OverlayOptions, work: (o: OverlayFs) => Promise<T>): Promise<T> {
  const overlay = await OverlayFs.open(options);
  try {
    return await work(overlay);
  } finally {
    await overlay.close();
  }
}

/** Optical drives: the same commit, burnt through src/drive (docs/burning.md). */
export async function commitOverlayToDrive(req: CommitRequest): Promise<CommitOutcome> {
  return withOverlay(req.overlay, async (overlay) => {
    const summary = summarize(await overlay.changes());
    if (summary.added + summary.changed + summary.deleted + summary.renamed === 0) return { kind: 'nothing', summary };
    const tree = await overlay.mergedTree();
    const result = await burnTreeToDevice(req.imagePath, tree, { ...req.drive, onProgress: req.onProgress, signal: req.signal });
    await overlay.discard();
    return { kind: 'committed', summary, result };
  });
}

/** Writes the staged changes as a new session; a staging with no changes writes nothing. */
export async function commitOverlay(req: CommitRequest): Promise<CommitOutcome> {
  if (isDrivePath(req.imagePath)) return commitOverlayToDrive(req);
  return withOverlay(req.overlay, async (overlay) => {
    const summary = summarize(await overlay.changes());
    if (summary.added + summary.changed + summary.deleted + summary.renamed === 0) return { kind: 'nothing', summary };
    const tree = await overlay.mergedTree();
    const options = { imagePath: req.imagePath, tree, media: req.media, onProgress: req.onProgress, signal: req.signal, verify: req.verify ?? true };
    await markCommit(req, await planSession(options));
    let result: CommitResult;
    try {
      result = await commitSession(options);
    } catch (e) {
      await unmarkIfNotWritten(req);
      throw e;
    }
    await overlay.discard();
    removeMarker(req.overlay.stagingDir);
    return { kind: 'committed', summary, result };
  });
}

/** The marker names the session about to be written, for the next mount if this daemon dies (commit-marker.ts). */
async function markCommit(req: CommitRequest, plan: SessionPlanReport): Promise<void> {
  writeMarker(req.overlay.stagingDir, {
    lowerIdentity: req.overlay.identity,
    imagePath: path.resolve(req.imagePath),
    sessionNumber: plan.sessionNumber,
    startLba: plan.startLba,
    sessionBlocks: plan.sessionBlocks,
  });
}

/** A failure before the switch leaves no session: the marker goes. After it (verify failed) it stays for the next mount. */
async function unmarkIfNotWritten(req: CommitRequest): Promise<void> {
  const marker = readMarker(req.overlay.stagingDir);
  const state = await inspectImage(req.imagePath).catch(() => undefined);
  const newest = state?.sessions[state.sessions.length - 1];
  if (marker && newest?.start === marker.startLba && newest.blocks === marker.sessionBlocks) return;
  removeMarker(req.overlay.stagingDir);
}

export interface CommitPlan {
  summary: ChangeSummary;
  changes: ChangeEntry[];
  plan: SessionPlanReport;
}

/** What a commit would write, without writing (asked of the live overlay of a mounted daemon). */
export async function planOverlay(overlay: OverlayFs, imagePath: string, media?: MediaKind): Promise<CommitPlan> {
  const changes = await overlay.changes();
  const tree = await overlay.mergedTree();
  const plan = isDrivePath(imagePath) ? await planTreeOnDevice(imagePath, tree) : await planSession({ imagePath, tree, media });
  return { summary: summarize(changes), changes, plan };
}

/** Drops the staged changes of an unmounted overlay. */
export async function discardOverlay(options: OverlayOptions): Promise<void> {
  await withOverlay(options, (o) => o.discard());
}
