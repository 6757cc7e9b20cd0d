// Reading a session's checksum table back (src/engine/checksum-table.ts) and checking every file against it.

import crypto from 'node:crypto';
import type { Medium } from '../medium/medium';
import type { LowerNode, LowerTree } from '../tree/lower-tree';
import { openVolume, type IsoVolume } from '../tree/iso-volume';
import { decodeTableBlock, ENTRIES_PER_BLOCK, entryKey, readMarker } from './checksum-table';
import { COPY_BUFFER_BYTES } from './data-writer';
import { FILE_CONCURRENCY, forEachLimited } from './pool';

/** Bound on the chain walk (each hop must also go to a lower LBA, so the walk ends anyway). */
const MAX_CHAIN_SESSIONS = 10_000;

/** ECMA-119 8.4.8 Volume Space Size (LE half): a session's own PVD records its own size. */
function ownSize(pvd: Buffer): number {
  return pvd.readUInt32LE(80);
}

/**
 * key (first LBA + size) -> SHA-256 for a session and, through the chain of markers, every earlier discfs session;
 * undefined when the session has no table. The chain stops at a session without one (written by another tool).
 */
export async function readChecksumTable(medium: Medium, start: number, blocks: number): Promise<Map<string, Buffer> | undefined> {
  const out = new Map<string, Buffer>();
  let session = { start, blocks };
  for (let hop = 0; hop < MAX_CHAIN_SESSIONS; hop++) {
    const pvd = await medium.read(session.start + 16, 1);
    const at = readMarker(pvd);
    if (!at || at.lba < session.start + 16 || at.lba + at.blocks > session.start + session.blocks) return hop === 0 ? undefined : out;
    for (let b = 0; b < at.blocks; b++) {
      for (const e of decodeTableBlock(await medium.read(at.lba + b, 1), b * ENTRIES_PER_BLOCK, at.entries)) {
        const key = entryKey(e.lba, e.size);
        if (!out.has(key)) out.set(key, e.sha256);
      }
    }
    if (at.previousSession === undefined || at.previousSession >= session.start) return out;
    const previous = at.previousSession;
    session = { start: previous, blocks: ownSize(await medium.read(previous + 16, 1)) };
  }
  return out;
}

/** SHA-256 of a file as the reader returns it; the next piece is read while the current one is hashed. */
export async function hashNode(tree: LowerTree, node: LowerNode): Promise<Buffer> {
  const h = crypto.createHash('sha256');
  const size = node.attrs.size;
  let next = size > 0 ? tree.read(node, 0, COPY_BUFFER_BYTES) : undefined;
  for (let pos = 0; next !== undefined; pos += COPY_BUFFER_BYTES) {
    const piece = await next;
    next = pos + COPY_BUFFER_BYTES < size ? tree.read(node, pos + COPY_BUFFER_BYTES, COPY_BUFFER_BYTES) : undefined;
    next?.catch(() => undefined); // awaited on the next turn
    h.update(piece);
  }
  return h.digest();
}

export function keyOfNode(node: LowerNode): string | undefined {
  if (node.attrs.kind !== 'file' || node.attrs.size === 0 || node.extents.length === 0) return undefined;
  return entryKey(node.extents[0].lba, node.attrs.size);
}

export interface StoredChecksumReport {
  session: number;
  hasTable: boolean;
  /** Distinct file contents compared with their stored checksum. */
  checked: number;
  /** Non-empty files the table has no checksum for (data of a session written by another tool). */
  unchecked: number;
  mismatches: string[];
  unreadable: string[];
}

async function collectFiles(tree: LowerTree, dir: LowerNode, path: string, out: { path: string; node: LowerNode }[]): Promise<void> {
  for (const c of await tree.list(dir)) {
    const p = `${path}/${c.name.toString('utf8')}`;
    if (c.attrs.kind === 'dir') await collectFiles(tree, c, p, out);
    else if (c.attrs.kind === 'file') out.push({ path: p, node: c });
  }
}

/** Re-reads every file of a session (default the newest) and compares it with the session's stored SHA-256. */
export async function verifyStoredChecksums(medium: Medium, opts: { session?: number; sessionStarts?: readonly number[] } = {}): Promise<StoredChecksumReport> {
  const volume: IsoVolume = await openVolume(medium, { session: opts.session, sessionStarts: opts.sessionStarts });
  const table = await readChecksumTable(medium, volume.session.startLba, volume.session.blocks);
  const report: StoredChecksumReport = { session: volume.session.number, hasTable: table !== undefined, checked: 0, unchecked: 0, mismatches: [], unreadable: [] };
  const files: { path: string; node: LowerNode }[] = [];
  await collectFiles(volume, volume.root, '', files);
  const seen = new Set<string>();
  const todo = files.filter(({ node }) => {
    const key = keyOfNode(node);
    if (key === undefined || seen.has(key)) return false;
    seen.add(key);
    if (table?.has(key)) return true;
    report.unchecked++;
    return false;
  });
  await forEachLimited(todo, FILE_CONCURRENCY, async ({ path, node }) => {
    let got: Buffer;
    try {
      got = await hashNode(volume, node);
    } catch (e) {
      report.unreadable.push(`${path}: ${(e as Error).message}`);
      return;
    }
    report.checked++;
    if (!got.equals(table?.get(keyOfNode(node) as string) as Buffer)) report.mismatches.push(path);
  });
  report.mismatches.sort();
  return report;
}
