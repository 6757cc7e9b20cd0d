// Gathers what `discfs status` shows: from a live daemon over its control socket, or, for an unmounted source,
// from its staging dir opened directly (the changes waiting for the next mount).

import fs from 'node:fs';
import path from 'node:path';
import { planOverlay, type ChangeSummary, type CommitPlan } from '../commit/commit-overlay';
import { connectEvents, listMountRecords } from '../commit/control';
import type { MediaKind } from '../engine/growing-image';
import { OverlayFs } from '../overlay/overlay-fs';
import { DiscfsError } from '../util/errors';
import { loadLastResult, type LastResult } from './last-result';
import { openTree, writableOverlayOptions, type DaemonStatus, type MountRequest } from './mount-runner';
import { openSource } from './open-source';

export interface StagedSummary extends ChangeSummary {
  /** The session the next commit would write. */
  sessionNumber: number;
  pendingBlocks: number;
  freeBlocksAfter: number;
}

export interface StatusReport {
  source: string;
  /** Set while a daemon serves the source. */
  mountpoint?: string;
  mounted: boolean;
  readOnly?: boolean;
  committing?: boolean;
  /** Absent when nothing is staged (or a read-only mount). */
  staged?: StagedSummary;
  stagingDir?: string;
  lastResult?: LastResult;
  log?: string;
}

const STATUS_TIMEOUT_MS = 20_000;

function stagedOf(plan: CommitPlan | undefined): StagedSummary | undefined {
  if (!plan) return undefined;
  const s = plan.summary;
  if (s.added + s.changed + s.deleted + s.renamed === 0) return undefined;
  return { ...s, sessionNumber: plan.plan.sessionNumber, pendingBlocks: plan.plan.sessionBlocks, freeBlocksAfter: plan.plan.freeBlocksAfter };
}

/** Asks the daemon of `mountpoint`; undefined when no daemon answers there. */
export async function askDaemon(mountpoint: string): Promise<StatusReport | undefined> {
  const conn = await connectEvents(mountpoint, () => undefined);
  if (!conn) return undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the daemon of ${mountpoint} did not answer within ${STATUS_TIMEOUT_MS / 1000} s`)), STATUS_TIMEOUT_MS);
    });
    const st = (await Promise.race([conn.request({ op: 'status' }), timeout])) as DaemonStatus;
    return {
      source: st.source,
      mountpoint: st.mountpoint,
      mounted: true,
      readOnly: st.readOnly,
      committing: st.committing,
      staged: stagedOf(st.plan),
      lastResult: loadLastResult(st.source),
      log: st.log,
    };
  } finally {
    clearTimeout(timer);
    conn.close();
  }
}

/** The staged changes of an unmounted source; never creates a staging dir. */
export async function inspectSource(source: string, media: MediaKind | undefined): Promise<StatusReport> {
  const abs = path.resolve(source);
  for (const rec of listMountRecords()) {
    if (path.resolve(rec.source) !== abs) continue;
    const live = await askDaemon(rec.mountpoint).catch(() => undefined);
    if (live) return live;
  }
  const report: StatusReport = { source: abs, mounted: false, lastResult: loadLastResult(abs) };
  report.log = report.lastResult?.log;
  const medium = await openSource(abs);
  try {
    const req: MountRequest = { source: abs, mountpoint: '', readOnly: false, options: [], keepOwners: false, media };
    const volume = medium.blocks > 0 ? await openTree(req, medium) : undefined;
    const { options } = await writableOverlayOptions(req, medium, volume);
    report.stagingDir = options.stagingDir;
    if (!fs.existsSync(options.stagingDir)) return report;
    const overlay = await OverlayFs.open(options).catch((e: unknown) => {
      if (e instanceof DiscfsError && e.code === 'STAGING_LOCKED') return undefined;
      throw e;
    });
    if (!overlay) return { ...report, mounted: true };
    try {
      report.staged = stagedOf(await planOverlay(overlay, abs, media ?? 'dvd'));
    } finally {
      await overlay.close();
    }
    return report;
  } finally {
    await medium.close();
  }
}

/** Every mount a daemon still answers for. */
export async function allMounts(): Promise<StatusReport[]> {
  const out: StatusReport[] = [];
  for (const rec of listMountRecords()) {
    const r = await askDaemon(rec.mountpoint).catch(() => undefined);
    if (r) out.push(r);
  }
  return out;
}
