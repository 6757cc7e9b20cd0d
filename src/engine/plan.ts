// Stage "plan": SourceTree -> planned tree (ISO 9660 level-3 and Joliet identifiers, inode numbers, link counts).

import { DiscfsError } from '../util/errors';
import type { SourceContent, SourceEntry, SourceTree } from './source-tree';
import { displayPath } from './source-tree';
import { compareIdentifiers, planIsoIdentifiers, planJolietIdentifiers } from './names';

export interface PlannedNode {
  entry: SourceEntry;
  path: Buffer[];
  parent?: PlannedDir;
  /** ISO 9660 identifier (files with ";1"). */
  isoId: Buffer;
  /** Joliet identifier; undefined when the entry is not in the Joliet tree (symlinks and special files). */
  jolietId?: Buffer;
  /** Rock Ridge PX file serial number: shared by hard links. */
  ino: number;
  nlink: number;
  /** The link group's content (the first entry of a hard-link group supplies it). */
  content?: SourceContent;
  /** First entry of its hard-link group (or not linked): this one writes local data. */
  dataOwner: boolean;
}

export interface PlannedDir extends PlannedNode {
  /** Children in ECMA-119 9.3 order. */
  isoChildren: PlannedNode[];
  /** Joliet children in identifier order. */
  jolietChildren: PlannedNode[];
  depth: number;
}

export interface PlannedTree {
  root: PlannedDir;
  /** Directories in path-table order (level by level, parents in order, identifiers sorted: ECMA-119 9.4). */
  isoDirs: PlannedDir[];
  jolietDirs: PlannedDir[];
  /** Every node in depth-first order (data layout order). */
  nodes: PlannedNode[];
  bootRecord?: Buffer;
}

function isPlannedDir(n: PlannedNode): n is PlannedDir {
  return n.entry.attrs.kind === 'dir';
}

const DOT = Buffer.from('.');
const DOTDOT = Buffer.from('..');

function validateName(entry: SourceEntry, path: Buffer[]): void {
  const n = entry.name;
  if (n.length === 0 || n.length > 255 || n.includes(0x2f) || n.includes(0) || n.equals(DOT) || n.equals(DOTDOT)) {
    throw new DiscfsError('ENGINE_BAD_NAME', `cannot record the name of ${displayPath(path)} (${n.length} bytes)`, { path: displayPath(path) });
  }
}

interface PlanState {
  nextIno: number;
  links: Map<string, { ino: number; count: number; content?: SourceContent }>;
  nodes: PlannedNode[];
}

function makeNode(entry: SourceEntry, path: Buffer[], parent: PlannedDir | undefined, state: PlanState): PlannedNode {
  const group = entry.attrs.kind === 'file' && entry.linkId !== undefined ? state.links.get(entry.linkId) : undefined;
  const ino = group ? group.ino : state.nextIno++;
  const base = { entry, path, parent, isoId: Buffer.alloc(0), ino, nlink: 1, dataOwner: true, content: entry.content };
  if (entry.attrs.kind === 'dir') {
    const dir: PlannedDir = { ...base, isoChildren: [], jolietChildren: [], depth: parent ? parent.depth + 1 : 1 };
    return dir;
  }
  if (group) {
    group.count++;
    return { ...base, dataOwner: false, content: group.content };
  }
  if (entry.attrs.kind === 'file' && entry.linkId !== undefined) state.links.set(entry.linkId, { ino, count: 1, content: entry.content });
  return base;
}

function planDir(dir: PlannedDir, state: PlanState): void {
  const children = dir.entry.children ?? [];
  const nodes = children.map((c) => {
    const path = [...dir.path, c.name];
    validateName(c, path);
    return makeNode(c, path, dir, state);
  });
  const isoIds = planIsoIdentifiers(nodes.map((n) => ({ name: n.entry.name, isDir: isPlannedDir(n) })));
  nodes.forEach((n, i) => (n.isoId = isoIds[i]));
  const jolietMembers = nodes.filter((n) => n.entry.attrs.kind === 'dir' || n.entry.attrs.kind === 'file');
  const jolietIds = planJolietIdentifiers(jolietMembers.map((n) => ({ name: n.entry.name, isDir: isPlannedDir(n) })));
  jolietMembers.forEach((n, i) => (n.jolietId = jolietIds[i]));
  dir.isoChildren = [...nodes].sort((a, b) => compareIdentifiers(a.isoId, b.isoId));
  dir.jolietChildren = [...jolietMembers].sort((a, b) => Buffer.compare(a.jolietId as Buffer, b.jolietId as Buffer));
  for (const n of nodes) {
    state.nodes.push(n);
    if (isPlannedDir(n)) planDir(n, state);
  }
}

function fixLinkCounts(state: PlanState): void {
  for (const n of state.nodes) {
    if (isPlannedDir(n)) n.nlink = 2 + n.isoChildren.filter(isPlannedDir).length;
    else if (n.entry.linkId !== undefined && n.entry.attrs.kind === 'file') n.nlink = state.links.get(n.entry.linkId)?.count ?? 1;
  }
}

function dirsInPathTableOrder(root: PlannedDir, childrenOf: (d: PlannedDir) => PlannedNode[]): PlannedDir[] {
  const out: PlannedDir[] = [root];
  for (let i = 0; i < out.length; i++) for (const c of childrenOf(out[i])) if (isPlannedDir(c)) out.push(c);
  return out;
}

/** Plans names, inode numbers and link counts. Throws DiscfsError for unrecordable input. */
export function planTree(tree: SourceTree): PlannedTree {
  if (tree.root.attrs.kind !== 'dir') throw new DiscfsError('ENGINE_BAD_ROOT', 'the root of a session must be a directory');
  const state: PlanState = { nextIno: 1, links: new Map(), nodes: [] };
  const root = makeNode(tree.root, [], undefined, state) as PlannedDir;
  root.isoId = Buffer.from([0]);
  root.jolietId = Buffer.from([0]);
  state.nodes.push(root);
  planDir(root, state);
  fixLinkCounts(state);
  const isoDirs = dirsInPathTableOrder(root, (d) => d.isoChildren);
  if (isoDirs.length > 65535) {
    throw new DiscfsError('ENGINE_TOO_MANY_DIRS', `${isoDirs.length} directories exceed the 65535 an ISO 9660 path table can name`);
  }
  return { root, isoDirs, jolietDirs: dirsInPathTableOrder(root, (d) => d.jolietChildren), nodes: state.nodes, bootRecord: tree.bootRecord };
}

export { isPlannedDir };
