// "Desired state = a local directory" over the previous session, the way `xorriso -update_r` decides what to rewrite.

import { openImageFile } from '../medium/image-file';
import type { LowerNode, LowerTree } from '../tree/lower-tree';
import { openVolume } from '../tree/iso-volume';
import { commitSession, type CommitOptions, type CommitResult } from './commit';
import { sourceTreeFromDirectory } from './from-directory';
import { inspectImage } from './growing-image';
import type { SourceEntry, SourceTree } from './source-tree';

/** Same type, same size and same mtime (seconds: the recorded resolution) -> the old data is kept. */
function unchanged(local: SourceEntry, old: LowerNode): boolean {
  const a = local.attrs;
  const b = old.attrs;
  return a.kind === 'file' && b.kind === 'file' && !old.compressed && a.size === b.size && a.mtime.sec === b.mtime.sec;
}

async function mergeDir(local: SourceEntry, old: LowerNode | undefined, tree: LowerTree): Promise<void> {
  const oldChildren = old && old.attrs.kind === 'dir' ? await tree.list(old) : [];
  const byName = new Map(oldChildren.map((n) => [n.name.toString('latin1'), n]));
  for (const child of local.children ?? []) {
    const match = byName.get(child.name.toString('latin1'));
    if (child.attrs.kind === 'dir') await mergeDir(child, match, tree);
    else if (match && unchanged(child, match)) child.content = { from: 'old', extents: match.extents.map((e) => ({ ...e })) };
  }
}

/** Merges `dir` over `lower` (in place on a fresh tree read from `dir`). */
export async function mergeDirectoryOverLower(dir: string, lower: LowerTree | undefined): Promise<SourceTree> {
  const tree = await sourceTreeFromDirectory(dir);
  if (lower) await mergeDir(tree.root, lower.root, lower);
  return tree;
}

/** Commits `dir` as the next session of `imagePath`, keeping unchanged files' old extents. */
export async function commitDirectoryUpdate(dir: string, opts: Omit<CommitOptions, 'tree'>): Promise<CommitResult> {
  const state = await inspectImage(opts.imagePath);
  if (state.blank) return commitSession({ ...opts, tree: await sourceTreeFromDirectory(dir) });
  const medium = await openImageFile(opts.imagePath);
  try {
    const lower = await openVolume(medium, {});
    const tree = await mergeDirectoryOverLower(dir, lower);
    return await commitSession({ ...opts, tree });
  } finally {
    await medium.close();
  }
}
