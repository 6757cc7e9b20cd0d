// The engine's API: plan -> layout -> write data -> write tree -> write descriptors -> switch headers -> verify.

import fs from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import { BLOCK_SIZE } from '../medium/medium';
import type { Timespec } from '../tree/node';
import { DiscfsError } from '../util/errors';
import { encodeDescriptorSet } from './descriptors';
import { throwIfAborted, writeData, type Progress, type WriteContext } from './data-writer';
import { capacityBlocks, HEAD_BLOCKS, inspectImage, type ImageState, type MediaKind } from './growing-image';
import { DEFAULT_SECTION_SIZE, layoutSession, type SessionLayout } from './layout';
import { planTree, type PlannedTree } from './plan';
import type { SourceTree } from './source-tree';
import { encodeDirectory, encodePathTables, TreeIndex } from './tree-writer';
import { encodeSessionTable, previousChecksumSession, reserveChecksumTable } from './session-checksums';
import { verifyStoredChecksums } from './stored-checksums';
import { verifySession, type WrittenHashes } from './verify';
import { openImageFile } from '../medium/image-file';

export interface CommitOptions {
  imagePath: string;
  tree: SourceTree;
  /** Refuse sessions that would not fit this medium (default: no limit). */
  media?: MediaKind;
  /** Volume dates; default SOURCE_DATE_EPOCH, else the current time. */
  now?: Date;
  onProgress?: (p: Progress) => void;
  /** Checked between buffers until the header switch; an abort restores the image byte for byte. */
  signal?: AbortSignal;
  /** Read the session back and compare (default true); 'all' also re-reads unchanged data against the stored checksums. */
  verify?: boolean | 'all';
  /** Multi-extent section size in bytes (default 4 GiB - 2048; tests use small ones). */
  sectionSize?: number;
  volumeId?: string;
}

export interface SessionPlanReport {
  sessionNumber: number;
  startLba: number;
  dataBlocks: number;
  treeBlocks: number;
  sessionBlocks: number;
  /** Absolute end of the image after the commit (the head's Volume Space Size). */
  endLba: number;
  capacityBlocks: number;
  freeBlocksAfter: number;
}

export interface CommitResult extends SessionPlanReport {
  verified: boolean;
}

/** Stages a test may stop at (kill -9 tests): the child prints a line and waits forever. */
export type PauseStage = 'data' | 'tree' | 'session' | 'head-tail' | 'head';
const PAUSE_ENV = 'DISCFS_ENGINE_PAUSE_AT';

async function pauseIfAsked(stage: PauseStage): Promise<void> {
  if (process.env[PAUSE_ENV] !== stage) return;
  process.stderr.write(`DISCFS_ENGINE_PAUSED ${stage}\n`);
  await new Promise<never>(() => setInterval(() => undefined, 60_000));
}

function timeOf(opts: CommitOptions): Timespec {
  if (opts.now) return { sec: Math.floor(opts.now.getTime() / 1000), nsec: 0 };
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && /^\d+$/.test(epoch)) return { sec: Number(epoch), nsec: 0 };
  return { sec: Math.floor(Date.now() / 1000), nsec: 0 };
}

interface Prepared {
  state: ImageState;
  planned: PlannedTree;
  layout: SessionLayout;
  report: SessionPlanReport;
}

async function prepare(opts: CommitOptions): Promise<Prepared> {
  const state = await inspectImage(opts.imagePath);
  const planned = planTree({ ...opts.tree, bootRecord: opts.tree.bootRecord ?? state.bootRecord });
  const layout = layoutSession(planned, { start: state.nextStart, sectionSize: opts.sectionSize ?? DEFAULT_SECTION_SIZE });
  reserveChecksumTable(layout, await previousChecksumSession(state));
  const endLba = state.nextStart + layout.size;
  const capacity = capacityBlocks(opts.media, state);
  const report: SessionPlanReport = {
    sessionNumber: state.sessions.length + 1,
    startLba: state.nextStart,
    dataBlocks: layout.dataBlocks,
    treeBlocks: layout.treeBlocks,
    sessionBlocks: layout.size,
    endLba,
    capacityBlocks: capacity,
    freeBlocksAfter: capacity - endLba,
  };
  return { state, planned, layout, report };
}

/** Dry run: where the next session would go and how big it would be. Writes nothing. */
export async function planSession(opts: CommitOptions): Promise<SessionPlanReport> {
  return (await prepare(opts)).report;
}

function refuseIfFull(p: Prepared, media: MediaKind | undefined): void {
  if (p.report.freeBlocksAfter >= 0) return;
  throw new DiscfsError(
    'ENGINE_NO_SPACE',
    `session ${p.report.sessionNumber} needs ${p.report.sessionBlocks} blocks at LBA ${p.report.startLba} (end ${p.report.endLba}), ` +
      `but the ${media} holds ${p.report.capacityBlocks} blocks: ${-p.report.freeBlocksAfter} blocks short`,
    { ...p.report, media },
  );
}

export async function writeTree(ctx: WriteContext, layout: SessionLayout): Promise<void> {
  const index = new TreeIndex(layout);
  const tables = [
    { at: layout.pathTables.iso, t: encodePathTables(layout.isoDirs) },
    { at: layout.pathTables.joliet, t: encodePathTables(layout.jolietDirs) },
  ];
  for (const { at, t } of tables) {
    await ctx.image.write(t.l, 0, t.l.length, at.l * BLOCK_SIZE);
    await ctx.image.write(t.m, 0, t.m.length, at.m * BLOCK_SIZE);
  }
  const dirs = [...layout.isoDirs, ...layout.jolietDirs];
  for (let i = 0; i < dirs.length; i++) {
    throwIfAborted(ctx.signal);
    const buf = encodeDirectory(dirs[i], index);
    await ctx.image.write(buf, 0, buf.length, dirs[i].lba * BLOCK_SIZE);
    ctx.onProgress?.({ phase: 'tree', bytesDone: i + 1, bytesTotal: dirs.length });
  }
}

/** What an abort or failure before the header switch must put back: the file length and the bytes overwritten past the old end. */
interface Undo {
  fileBytes: number;
  tail: Buffer;
}

/** Bytes past the last session (e.g. xorriso's padding) that the new session overwrites; bounded. */
const MAX_UNDO_TAIL_BYTES = 64 << 20;

async function captureUndo(image: fs.FileHandle, state: ImageState): Promise<Undo> {
  const from = state.nextStart * BLOCK_SIZE;
  const length = Math.max(0, state.fileBytes - from);
  if (length > MAX_UNDO_TAIL_BYTES) {
    throw new DiscfsError('ENGINE_TAIL', `${state.imagePath} has ${length} bytes after its last session; refusing to overwrite them`, { length });
  }
  const tail = Buffer.alloc(length);
  if (length > 0) await image.read(tail, 0, length, from);
  return { fileBytes: state.fileBytes, tail };
}

async function restore(image: fs.FileHandle, state: ImageState, undo: Undo): Promise<void> {
  await image.truncate(undo.fileBytes);
  if (undo.tail.length > 0) await image.write(undo.tail, 0, undo.tail.length, state.nextStart * BLOCK_SIZE);
  await image.sync();
}

async function writeSession(ctx: WriteContext, p: Prepared, now: Timespec, volumeId: string): Promise<WrittenHashes> {
  const start = p.layout.start;
  await ctx.image.write(Buffer.alloc(16 * BLOCK_SIZE), 0, 16 * BLOCK_SIZE, start * BLOCK_SIZE);
  const hashes = await writeData(ctx, p.layout);
  if (p.layout.checksumTable) {
    const table = encodeSessionTable(p.layout, hashes);
    await ctx.image.write(table, 0, table.length, p.layout.checksumTable.lba * BLOCK_SIZE);
  }
  await pauseIfAsked('data');
  ctx.onProgress?.({ phase: 'tree', bytesDone: 0, bytesTotal: p.layout.isoDirs.length + p.layout.jolietDirs.length });
  await writeTree(ctx, p.layout);
  await pauseIfAsked('tree');
  throwIfAborted(ctx.signal);
  ctx.onProgress?.({ phase: 'descriptors', bytesDone: 0, bytesTotal: 1 });
  const own = encodeDescriptorSet(p.layout, { volumeId, now, volumeSpaceSize: p.layout.size, bootRecord: p.planned.bootRecord });
  await ctx.image.write(own, 0, own.length, (start + 16) * BLOCK_SIZE);
  await ctx.image.sync();
  await pauseIfAsked('session');
  throwIfAborted(ctx.signal);
  return hashes;
}

/**
 * The header switch (docs/engine.md "crash safety"): LBA 18..31 first, then LBA 16+17 as one aligned 4 KiB
 * write, then fsync. Until that one write lands, LBA 16 still describes the previous session.
 */
async function switchHead(ctx: WriteContext, p: Prepared, now: Timespec, volumeId: string): Promise<void> {
  ctx.onProgress?.({ phase: 'head', bytesDone: 0, bytesTotal: 1 });
  const set = encodeDescriptorSet(p.layout, { volumeId, now, volumeSpaceSize: p.report.endLba, bootRecord: p.planned.bootRecord });
  const head = Buffer.alloc((HEAD_BLOCKS - 16) * BLOCK_SIZE);
  set.copy(head);
  await ctx.image.write(head, 2 * BLOCK_SIZE, head.length - 2 * BLOCK_SIZE, 18 * BLOCK_SIZE);
  await pauseIfAsked('head-tail');
  await ctx.image.write(head, 0, 2 * BLOCK_SIZE, 16 * BLOCK_SIZE);
  await ctx.image.sync();
  await pauseIfAsked('head');
}

/** `--verify all`: every file of the new session, unchanged ones included, against the stored checksums. */
async function verifyAllData(imagePath: string): Promise<void> {
  const medium = await openImageFile(imagePath);
  try {
    const r = await verifyStoredChecksums(medium);
    const problems = [...r.mismatches.map((m) => `${m}: SHA-256 differs from the stored checksum`), ...r.unreadable];
    if (problems.length > 0) {
      throw new DiscfsError('ENGINE_VERIFY', `verification of the data failed:\n  ${problems.slice(0, 20).join('\n  ')}`, { problems });
    }
  } finally {
    await medium.close();
  }
}

/** Appends the tree as a new session (growing mode) and returns where it went. */
export async function commitSession(opts: CommitOptions): Promise<CommitResult> {
  const p = await prepare(opts);
  refuseIfFull(p, opts.media);
  throwIfAborted(opts.signal);
  const now = timeOf(opts);
  const volumeId = opts.volumeId ?? 'DISCFS';
  const image = await fs.open(opts.imagePath, fsConstants.O_RDWR | fsConstants.O_CREAT, 0o644);
  let written: WrittenHashes | undefined;
  try {
    const ctx: WriteContext = { image, signal: opts.signal, onProgress: opts.onProgress };
    const undo = await captureUndo(image, p.state);
    try {
      written = await writeSession(ctx, p, now, volumeId);
    } catch (e) {
      await restore(image, p.state, undo);
      throw e;
    }
    await switchHead(ctx, p, now, volumeId);
  } finally {
    await image.close();
  }
  if (opts.verify === false) return { ...p.report, verified: false };
  opts.onProgress?.({ phase: 'verify', bytesDone: 0, bytesTotal: 1 });
  await verifySession(opts.imagePath, p.planned, written);
  if (opts.verify === 'all') await verifyAllData(opts.imagePath);
  return { ...p.report, verified: true };
}
