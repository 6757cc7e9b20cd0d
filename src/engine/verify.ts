// Stage "verify": reads the new session back through the reader and compares every entry (and new data by SHA-256).

import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import { openImageFile } from '../medium/image-file';
import type { Medium } from '../medium/medium';
import type { LowerNode, LowerTree } from '../tree/lower-tree';
import { openVolume } from '../tree/iso-volume';
import { DiscfsError } from '../util/errors';
import { COPY_BUFFER_BYTES } from './data-writer';
import type { PlannedDir, PlannedNode, PlannedTree } from './plan';
import { isPlannedDir } from './plan';
import { FILE_CONCURRENCY, forEachLimited } from './pool';
import { hashNode } from './stored-checksums';
import { displayPath } from './source-tree';

async function hashLocal(path: string | Buffer): Promise<string> {
  const h = crypto.createHash('sha256');
  const f = await fs.open(path, 'r');
  try {
    const buf = Buffer.alloc(COPY_BUFFER_BYTES);
    for (;;) {
      const { bytesRead } = await f.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await f.close();
  }
  return h.digest('hex');
}

function compareAttrs(want: PlannedNode, got: LowerNode, problems: string[]): void {
  const p = displayPath(want.path);
  const a = want.entry.attrs;
  const b = got.attrs;
  const check = (field: string, x: unknown, y: unknown): void => {
    if (x !== y) problems.push(`${p}: ${field} is ${String(y)}, wrote ${String(x)}`);
  };
  check('kind', a.kind, b.kind);
  check('mode', a.mode, b.mode);
  check('uid', a.uid, b.uid);
  check('gid', a.gid, b.gid);
  check('nlink', want.nlink, b.nlink);
  if (a.kind === 'file') check('size', a.size, b.size);
  if (a.kind === 'chardev' || a.kind === 'blockdev') check('rdev', a.rdev, b.rdev);
  const clamped = Math.min(Math.max(a.mtime.sec, -2208988800), 5933183999);
  check('mtime', clamped, b.mtime.sec);
  if (a.kind === 'symlink' && !(want.entry.symlinkTarget ?? Buffer.alloc(0)).equals(got.symlinkTarget ?? Buffer.alloc(0))) {
    problems.push(`${p}: symlink target differs`);
  }
}

/** SHA-256 of each new file's bytes as they were written (data-writer): the read-back is compared with these. */
export type WrittenHashes = ReadonlyMap<PlannedNode, Buffer>;

async function verifyDir(tree: LowerTree, want: PlannedDir, got: LowerNode, problems: string[], written?: WrittenHashes): Promise<void> {
  const listed = await tree.list(got);
  if (listed.length !== want.isoChildren.length) problems.push(`${displayPath(want.path)}: ${listed.length} entries, wrote ${want.isoChildren.length}`);
  const byName = new Map(listed.map((n) => [n.name.toString('latin1'), n]));
  const files: { child: PlannedNode; node: LowerNode }[] = [];
  for (const child of want.isoChildren) {
    const node = byName.get(child.entry.name.toString('latin1'));
    if (!node) {
      problems.push(`${displayPath(child.path)}: missing`);
      continue;
    }
    compareAttrs(child, node, problems);
    if (isPlannedDir(child)) await verifyDir(tree, child, node, problems, written);
    else if (child.content?.from === 'local' && child.dataOwner) files.push({ child, node });
  }
  // Many small files: hashing a few at once hides the per-file open/read latency.
  await forEachLimited(files, FILE_CONCURRENCY, async ({ child, node }) => {
    const local = (child.content as { path: string | Buffer }).path;
    // With the hashes taken while writing, the staged file is not read a second time.
    const known = written?.get(child)?.toString('hex');
    const [x, y] = await Promise.all([known ?? hashLocal(local), hashNode(tree, node).then((b) => b.toString('hex'))]);
    if (x !== y) problems.push(`${displayPath(child.path)}: SHA-256 of the recorded data differs from the source`);
  });
}

/** Throws DiscfsError('ENGINE_VERIFY') listing every difference between the plan and what the reader sees. */
export async function verifySession(imagePath: string, planned: PlannedTree, written?: WrittenHashes): Promise<void> {
  const medium = await openImageFile(imagePath);
  try {
    await verifySessionOn(medium, planned, undefined, written);
  } finally {
    await medium.close();
  }
}

/** The same check on any medium (a drive); `sessionStarts` names the sessions where no emulated TOC exists. */
export async function verifySessionOn(medium: Medium, planned: PlannedTree, sessionStarts?: readonly number[], written?: WrittenHashes): Promise<void> {
  const tree = await openVolume(medium, { view: 'rr', sessionStarts });
  const problems: string[] = [];
  await verifyDir(tree, planned.root, tree.root, problems, written);
  if (problems.length > 0) {
    throw new DiscfsError('ENGINE_VERIFY', `verification of the new session failed:\n  ${problems.slice(0, 20).join('\n  ')}`, { problems });
  }
}
