// Walks the merged tree (lower + overlay): the engine's SourceTree for the next session, and the list of changes.

import { oldContentOf } from '../engine/from-lower';
import type { SourceEntry, SourceTree } from '../engine/source-tree';
import type { NodeAttributes, NodeKind } from '../tree/node';
import { isClutterName } from './names';
import type { Namespace, Resolved } from './namespace';
import { recordFromLower, sameLowerPath, type NodeRecord } from './node-record';

/** What happens to desktop clutter (.DS_Store, Thumbs.db, ...) at commit; 'refuse' already fails creating it. */
export type ClutterPolicy = 'exclude' | 'commit' | 'refuse';

export type ChangeKind = 'added' | 'changed' | 'deleted' | 'renamed';

export interface ChangeEntry {
  change: ChangeKind;
  path: Buffer[];
  /** For 'renamed': where the node was in the lower session. */
  from?: Buffer[];
  kind: NodeKind;
  /** Staged content bytes the change brings into the new session. */
  bytes: number;
  /** For 'changed': whether the content (else only metadata) changed. */
  contentChanged?: boolean;
  clutter: boolean;
}

export interface MergedTreeResult extends SourceTree {
  /** Paths of clutter left out of the tree by the 'exclude' policy. */
  excluded: Buffer[][];
}

function attrsOf(rec: NodeRecord, nlink: number): NodeAttributes {
  return {
    kind: rec.kind, mode: rec.mode, uid: rec.uid, gid: rec.gid, nlink, size: rec.size, rdev: rec.rdev,
    atime: rec.atime, mtime: rec.mtime, ctime: rec.ctime,
  };
}

export async function buildMergedTree(
  ns: Namespace,
  policy: ClutterPolicy,
  dataPath: (ino: bigint) => string,
): Promise<MergedTreeResult> {
  const excluded: Buffer[][] = [];

  const entryOf = async (node: Resolved, name: Buffer, path: Buffer[]): Promise<SourceEntry> => {
    const rec = node.rec;
    const entry: SourceEntry = { name, attrs: attrsOf(rec, rec.nlink) };
    if (isClutterName(name)) entry.clutter = true;
    if (rec.kind === 'dir') {
      const children: SourceEntry[] = [];
      for (const c of await ns.children(node)) {
        const childPath = [...path, c.name];
        if (policy === 'exclude' && isClutterName(c.name)) {
          excluded.push(childPath);
          continue;
        }
        children.push(await entryOf(c.node, c.name, childPath));
      }
      entry.children = children;
      entry.attrs.nlink = 2 + children.filter((c) => c.attrs.kind === 'dir').length;
    } else if (rec.kind === 'symlink' && rec.symlinkTarget !== null) {
      entry.symlinkTarget = rec.symlinkTarget;
    } else if (rec.kind === 'file') {
      if (rec.nlink > 1) entry.linkId = rec.ino.toString(10);
      if (rec.content === 'lower' && node.lower !== undefined) entry.content = oldContentOf(node.lower, path.map((p) => p.toString('utf8')).join('/'));
      else if (rec.content === 'whole') entry.content = { from: 'local', path: dataPath(rec.ino) };
    }
    return entry;
  };

  const root = await entryOf(ns.root(), Buffer.alloc(0), []);
  return { root, excluded };
}

interface Occurrence {
  path: Buffer[];
  node: Resolved;
  /** Reached through an overlay entry (moved or linked there), not found at its place in the lower directory. */
  viaOverlay: boolean;
  clutter: boolean;
}

export async function listChanges(ns: Namespace, policy: ClutterPolicy): Promise<ChangeEntry[]> {
  const seen: Occurrence[] = [];
  const hidden: { path: Buffer[]; ino: bigint; kind: NodeKind }[] = [];
  const visit = async (dir: Resolved, path: Buffer[]): Promise<void> => {
    for (const c of await ns.children(dir)) {
      const childPath = [...path, c.name];
      const clutter = isClutterName(c.name);
      const home = dir.rec.lowerPath === null ? null : [...dir.rec.lowerPath, c.name];
      const viaOverlay = ns.hasOverlayEntry(dir, c.name) && !sameLowerPath(c.node.rec.lowerPath, home);
      seen.push({ path: childPath, node: c.node, viaOverlay, clutter });
      if (c.node.rec.kind === 'dir') await visit(c.node, childPath);
    }
    hidden.push(...(await hiddenLowerEntries(ns, dir, path)));
  };
  await visit(ns.root(), []);

  const visible = new Set(seen.map((o) => o.node.ino));
  const atLowerPlace = new Set(seen.filter((o) => !o.viaOverlay).map((o) => o.node.ino));
  const moved = new Set<bigint>();
  const out: ChangeEntry[] = [];
  for (const o of seen) {
    if (o.clutter && policy === 'exclude') continue;
    const rec = o.node.rec;
    const base = { path: o.path, kind: rec.kind, clutter: o.clutter };
    const staged = rec.content === 'whole' || rec.content === 'chunked' ? rec.size : 0;
    if (rec.lowerPath === null) {
      out.push({ change: 'added', bytes: staged, ...base });
      continue;
    }
    if (o.viaOverlay) {
      // The first other place of a node no longer at its lower place is where it moved; further ones are links.
      const isMove = !atLowerPlace.has(rec.ino) && !moved.has(rec.ino);
      if (isMove) moved.add(rec.ino);
      out.push(isMove ? { change: 'renamed', from: rec.lowerPath, bytes: 0, ...base } : { change: 'added', bytes: 0, ...base });
    }
    if (rec.content === 'whole' || rec.content === 'chunked') {
      out.push({ change: 'changed', bytes: staged, contentChanged: true, ...base });
    } else if (o.node.lower !== undefined && metadataChanged(rec, recordFromLower(o.node.lower, rec.lowerPath))) {
      out.push({ change: 'changed', bytes: 0, contentChanged: false, ...base });
    }
  }
  for (const h of hidden) {
    if (!visible.has(h.ino)) out.push({ change: 'deleted', path: h.path, kind: h.kind, bytes: 0, clutter: false });
  }
  return out;
}

function metadataChanged(rec: NodeRecord, orig: NodeRecord): boolean {
  return (
    rec.mode !== orig.mode || rec.uid !== orig.uid || rec.gid !== orig.gid || rec.rdev !== orig.rdev ||
    rec.mtime.sec !== orig.mtime.sec || rec.mtime.nsec !== orig.mtime.nsec ||
    (rec.kind !== 'dir' && rec.nlink !== orig.nlink)
  );
}

/** Lower entries of a directory that the overlay hides (whiteouts, or names taken by another node). */
async function hiddenLowerEntries(ns: Namespace, dir: Resolved, path: Buffer[]): Promise<{ path: Buffer[]; ino: bigint; kind: NodeKind }[]> {
  if (dir.lower === undefined || dir.rec.lowerPath === null) return [];
  const visible = new Map((await ns.list(dir)).map((c) => [c.name.toString('latin1'), c.ino]));
  const out: { path: Buffer[]; ino: bigint; kind: NodeKind }[] = [];
  for (const ln of await ns.lowerChildren(dir)) {
    const now = visible.get(ln.name.toString('latin1'));
    if (now !== ln.id) out.push({ path: [...path, ln.name], ino: ln.id, kind: ln.attrs.kind });
  }
  return out;
}
