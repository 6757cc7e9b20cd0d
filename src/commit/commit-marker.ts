// The commit marker: a small JSON file in the staging dir naming the session a commit is about to write, so a
// daemon killed after the header switch but before verify + discard leaves a trace the next mount can settle.

import fs from 'node:fs';
import path from 'node:path';
import type { Medium } from '../medium/medium';
import { inspectImage } from '../engine/growing-image';
import { verifyStoredChecksums } from '../engine/stored-checksums';
import { defaultStagingDir, identityOf } from './staging-location';

const MARKER_NAME = 'commit-marker.json';
/** A marker is a few hundred bytes: anything larger is not ours and is not parsed. */
const MAX_MARKER_BYTES = 64 * 1024;

export interface CommitMarker {
  /** Staging identity of the session the commit was made onto (identityOf). */
  lowerIdentity: string;
  imagePath: string;
  sessionNumber: number;
  startLba: number;
  sessionBlocks: number;
}

export function markerPath(stagingDir: string): string {
  return path.join(stagingDir, MARKER_NAME);
}

/** Written and fsync'ed before the engine touches the image. */
export function writeMarker(stagingDir: string, marker: CommitMarker): void {
  const file = markerPath(stagingDir);
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, `${JSON.stringify(marker)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

export function removeMarker(stagingDir: string): void {
  fs.rmSync(markerPath(stagingDir), { force: true });
}

function isMarker(v: unknown): v is CommitMarker {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  const ints = [m.sessionNumber, m.startLba, m.sessionBlocks].every((n) => Number.isSafeInteger(n) && (n as number) >= 0);
  return ints && typeof m.lowerIdentity === 'string' && typeof m.imagePath === 'string';
}

export function readMarker(stagingDir: string): CommitMarker | undefined {
  let text: string;
  try {
    const file = markerPath(stagingDir);
    if (fs.statSync(file).size > MAX_MARKER_BYTES) return undefined;
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const v: unknown = JSON.parse(text);
    return isMarker(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export type MarkerOutcome =
  | { kind: 'none' }
  /** The marked session is on the image and verified: the staging was cleared. */
  | { kind: 'completed'; sessionNumber: number; stagingDir: string }
  /** The marked session is not on the image (the commit never reached the switch): the staging is kept. */
  | { kind: 'not-written'; stagingDir: string }
  /** The session is there but does not verify: marker and staging are kept for the user to look at. */
  | { kind: 'unverified'; sessionNumber: number; stagingDir: string; problems: string[] };

/** The staging store's own files (src/overlay/staging-store.ts) plus the marker, last. */
function clearStaging(dir: string, isDefault: boolean): void {
  if (isDefault) {
    fs.rmSync(dir, { recursive: true, force: true });
    return;
  }
  for (const name of ['overlay.db', 'overlay.db-wal', 'overlay.db-shm', 'data']) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  removeMarker(dir);
}

export interface SettleRequest {
  source: string;
  medium: Medium;
  /** An explicit --staging dir; otherwise the default dir of the newest session's predecessor is looked at. */
  staging?: string;
}

/**
 * Run at a writable mount of an image file: settles the marker left by an interrupted commit. The newest session
 * must start at the marked LBA with the marked size, follow the marked lower session and pass its stored checksums.
 */
export async function settleInterruptedCommit(req: SettleRequest): Promise<MarkerOutcome> {
  const state = await inspectImage(req.source);
  const n = state.sessions.length;
  if (n === 0) return { kind: 'none' };
  const newest = state.sessions[n - 1];
  if (req.staging === undefined) {
    // A marker in the newest session's own staging: that commit never reached the switch.
    const own = defaultStagingDir(await identityOf(req.medium, newest.start, req.source));
    if (readMarker(own)) removeMarker(own);
  }
  const previous = n >= 2 ? state.sessions[n - 2].start : undefined;
  const lower = await identityOf(req.medium, previous, req.source);
  const dir = req.staging ?? defaultStagingDir(lower);
  const marker = readMarker(dir);
  if (!marker) return { kind: 'none' };
  const there = marker.imagePath === path.resolve(req.source) && newest.start === marker.startLba && newest.blocks === marker.sessionBlocks && marker.lowerIdentity === lower.identity;
  if (!there) {
    removeMarker(dir);
    return { kind: 'not-written', stagingDir: dir };
  }
  const r = await verifyStoredChecksums(req.medium);
  const problems = [...(r.hasTable ? [] : ['the session has no checksum table']), ...r.mismatches.map((m) => `${m}: SHA-256 differs`), ...r.unreadable];
  if (problems.length > 0) return { kind: 'unverified', sessionNumber: newest.number, stagingDir: dir, problems };
  clearStaging(dir, req.staging === undefined);
  return { kind: 'completed', sessionNumber: newest.number, stagingDir: dir };
}
