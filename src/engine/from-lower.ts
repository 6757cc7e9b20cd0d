// A LowerTree (one session read back) -> SourceTree whose file contents are the old extents (nothing rewritten).

import type { LowerNode, LowerTree } from '../tree/lower-tree';
import { DiscfsError } from '../util/errors';
import type { SourceContent, SourceEntry, SourceTree } from './source-tree';

/** Hard-link identity of an old inode: the reader's stable id. */
export function lowerLinkId(node: LowerNode): string {
  return `lower:${node.id}`;
}

/** Old extents as content; zisofs data keeps its ZF parameters so the new record still announces the compression. */
export function oldContentOf(node: LowerNode, path: string): SourceContent {
  const extents = node.extents.map((e) => ({ ...e }));
  if (!node.compressed) return { from: 'old', extents };
  if (!node.zisofs) {
    throw new DiscfsError('ENGINE_ZISOFS', `${path || '/'} is zisofs-compressed but its ZF parameters are unknown`, { path });
  }
  return { from: 'old', extents, zisofs: { ...node.zisofs } };
}

export async function entryFromLower(tree: LowerTree, node: LowerNode, path: string): Promise<SourceEntry> {
  const entry: SourceEntry = { name: Buffer.from(node.name), attrs: { ...node.attrs } };
  switch (node.attrs.kind) {
    case 'dir': {
      const children = await tree.list(node);
      entry.children = [];
      for (const c of children) entry.children.push(await entryFromLower(tree, c, `${path}/${c.name.toString('utf8')}`));
      break;
    }
    case 'symlink':
      entry.symlinkTarget = Buffer.from(node.symlinkTarget ?? Buffer.alloc(0));
      break;
    case 'file':
      entry.content = oldContentOf(node, path);
      if (node.attrs.nlink > 1) entry.linkId = lowerLinkId(node);
      break;
    default:
      break;
  }
  return entry;
}

/** The whole session as a source tree: committing it unchanged writes only a new directory tree. */
export async function sourceTreeFromLower(tree: LowerTree): Promise<SourceTree> {
  return { root: await entryFromLower(tree, tree.root, '') };
}
