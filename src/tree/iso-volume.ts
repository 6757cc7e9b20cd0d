// One session of an ISO 9660 medium as a lazy LowerTree, in the Rock Ridge, Joliet or plain ISO 9660 view.

import type { Medium } from '../medium/medium';
import { BLOCK_SIZE } from '../medium/medium';
import { decodeDirectoryRecord, type DirectoryRecord } from '../iso9660/directory-record';
import { StructureError } from '../iso9660/bounds';
import { decodeRockRidge } from '../iso9660/rrip';
import { collectSuspEntries, decodeSharingProtocol, parseSuspArea } from '../iso9660/susp';
import { readZisofs } from '../iso9660/zisofs';
import { readDescriptorSet, type DescriptorSet } from '../session/descriptor-set';
import { findSessions, type SessionLocation } from '../session/find-sessions';
import { checkPathTables } from '../session/path-table-check';
import { DiscfsError, FsError } from '../util/errors';
import type { LowerNode, LowerTree } from './lower-tree';
import type { Extent, Timespec } from './node';
import { continuationReader, type DirectorySource, type ReadRecord } from './iso-directory-reader';
import { nodeAttributes, locationId, type IsoNode, type VolumeView } from './iso-node';
import { DirectoryLoader } from './iso-directory-loader';
import { readExtents } from './extent-reader';

export type { VolumeView } from './iso-node';
export type FileSystemKind = 'iso9660' | 'rockridge' | 'joliet' | 'el-torito';

export interface VolumeOptions {
  /** Session number (1 = oldest); default the newest. */
  session?: number;
  /** Explicit session start LBAs (genisoimage -M/-C stacks): skips the emulated-TOC search. */
  sessionStarts?: readonly number[];
  /** Default: Rock Ridge if recorded, else Joliet, else ISO 9660. */
  view?: VolumeView;
}

export interface SessionSummary {
  number: number;
  startLba: number;
  blocks: number;
  volumeId: string;
  creationDate?: Timespec;
  fileSystems: FileSystemKind[];
}

/** Warnings are capped so a hostile image cannot grow them without bound. */
export const MAX_WARNINGS = 10_000;

interface RockRidgeProbe {
  present: boolean;
  suspSkip: number;
  rootSelf?: ReadRecord;
}

async function probeRockRidge(medium: Medium, root: DirectoryRecord): Promise<RockRidgeProbe> {
  let block: Buffer;
  try {
    block = await medium.read(root.extentLocation + root.extAttrLength, 1);
  } catch {
    return { present: false, suspSkip: 0 };
  }
  let self: DirectoryRecord;
  try {
    self = decodeDirectoryRecord(block, 0);
  } catch (e) {
    if (e instanceof StructureError) return { present: false, suspSkip: 0 };
    throw e;
  }
  const first = parseSuspArea(self.systemUse).entries[0];
  const skip = first !== undefined ? decodeSharingProtocol(first) : undefined;
  if (skip === undefined) return { present: false, suspSkip: 0 };
  const susp = await collectSuspEntries(self.systemUse, continuationReader(medium));
  const rr = decodeRockRidge(susp.entries);
  const position = (root.extentLocation + root.extAttrLength) * BLOCK_SIZE;
  return { present: rr.present, suspSkip: skip, rootSelf: { record: self, position, rr } };
}

function trimmed(id: Buffer): string {
  return id.toString('latin1').replace(/[ \0]+$/, '');
}

function fileSystemsOf(set: DescriptorSet, rr: RockRidgeProbe): FileSystemKind[] {
  const kinds: FileSystemKind[] = ['iso9660'];
  if (rr.present) kinds.push('rockridge');
  if (set.joliet) kinds.push('joliet');
  if (set.elTorito) kinds.push('el-torito');
  return kinds;
}

async function summarize(medium: Medium, loc: SessionLocation): Promise<{ summary: SessionSummary; set: DescriptorSet; rr: RockRidgeProbe }> {
  const set = await readDescriptorSet(medium, loc.startLba);
  const rr = await probeRockRidge(medium, decodeRoot(set.primary.rootRecord));
  const summary: SessionSummary = {
    number: loc.number,
    startLba: loc.startLba,
    blocks: loc.blocks,
    volumeId: trimmed(set.primary.volumeId),
    creationDate: set.primary.creationDate,
    fileSystems: fileSystemsOf(set, rr),
  };
  return { summary, set, rr };
}

function decodeRoot(rootRecord: Buffer): DirectoryRecord {
  try {
    return decodeDirectoryRecord(rootRecord, 0);
  } catch (e) {
    if (e instanceof StructureError) throw new DiscfsError('VOLUME_DESCRIPTORS', `root directory record: ${e.message}`, { field: 'rootDirectoryRecord' });
    throw e;
  }
}

/** Every session of the medium, oldest first. */
export async function listSessions(medium: Medium, opts: Pick<VolumeOptions, 'sessionStarts'> = {}): Promise<SessionSummary[]> {
  const found = await findSessions(medium, opts.sessionStarts);
  const out: SessionSummary[] = [];
  for (const loc of found.sessions) out.push((await summarize(medium, loc)).summary);
  return out;
}

function chooseView(requested: VolumeView | undefined, set: DescriptorSet, rr: RockRidgeProbe): VolumeView {
  if (requested === 'rr' && !rr.present) throw new DiscfsError('VIEW_UNAVAILABLE', 'the session has no Rock Ridge entries', { view: 'rr' });
  if (requested === 'joliet' && !set.joliet) throw new DiscfsError('VIEW_UNAVAILABLE', 'the session has no Joliet descriptor', { view: 'joliet' });
  return requested ?? (rr.present ? 'rr' : set.joliet ? 'joliet' : 'iso9660');
}

export class IsoVolume implements LowerTree {
  readonly warnings: string[] = [];
  private readonly loader: DirectoryLoader;

  constructor(
    readonly medium: Medium,
    readonly session: SessionSummary,
    readonly view: VolumeView,
    readonly root: IsoNode,
    source: DirectorySource,
  ) {
    this.loader = new DirectoryLoader(source, view, (path, what) => this.warn(path, what));
    this.loader.claimDirectory(root);
  }

  /**
   * Called with each warning as it is found. Directories are read lazily, so most defects surface while the
   * mount is being used, long after openVolume returned: the daemon logs them through this.
   */
  onWarning?: (warning: string) => void;

  warn(path: string, what: string): void {
    let line: string | undefined;
    if (this.warnings.length < MAX_WARNINGS) line = `${path}: ${what}`;
    else if (this.warnings.length === MAX_WARNINGS) line = 'further warnings suppressed';
    if (line === undefined) return;
    this.warnings.push(line);
    this.onWarning?.(line);
  }

  list(dir: LowerNode): Promise<readonly LowerNode[]> {
    return this.loader.list(dir as IsoNode);
  }

  lookup(dir: LowerNode, name: Buffer): Promise<LowerNode | undefined> {
    return this.loader.lookup(dir as IsoNode, name);
  }

  async read(node: LowerNode, position: number, length: number): Promise<Buffer> {
    const n = node as IsoNode;
    if (n.attrs.kind !== 'file') throw new FsError(n.attrs.kind === 'dir' ? 'EISDIR' : 'EINVAL', `${n.path} is not a regular file`);
    if (n.unreadable !== undefined) throw new FsError('EIO', `${n.path}: ${n.unreadable}`, { path: n.path });
    const end = Math.min(n.attrs.size, position + Math.max(0, length));
    if (position >= end) return Buffer.alloc(0);
    try {
      if (n.compressed) {
        const compressedSize = n.extents.reduce((s, e) => s + e.bytes, 0);
        return await readZisofs((p, l) => readExtents(this.medium, n.extents, p, l), compressedSize, position, end - position);
      }
      return await readExtents(this.medium, n.extents, position, end - position);
    } catch (e) {
      if (e instanceof FsError && e.errno !== 'EIO') throw e;
      throw new FsError('EIO', `${n.path}: ${(e as Error).message}`, { path: n.path }, { cause: e });
    }
  }
}

function rootNode(root: DirectoryRecord, rr: RockRidgeProbe, view: VolumeView): IsoNode {
  const dirExtent: Extent = { lba: root.extentLocation + root.extAttrLength, bytes: root.dataLength };
  const position = dirExtent.lba * BLOCK_SIZE;
  const self: ReadRecord = view === 'rr' && rr.rootSelf ? rr.rootSelf : { record: root, position };
  const defects: string[] = [];
  const attrs = nodeAttributes({ group: [self], size: root.dataLength }, defects);
  const ino = view === 'rr' ? self.rr?.px?.ino : undefined;
  return { id: ino ? BigInt(ino) : locationId(position), name: Buffer.alloc(0), attrs, extents: [], path: '/', dirExtent };
}

/** Opens one session (default the newest) as a lazily read tree. */
export async function openVolume(medium: Medium, opts: VolumeOptions = {}): Promise<IsoVolume> {
  const found = await findSessions(medium, opts.sessionStarts);
  const number = opts.session ?? found.sessions.length;
  const loc = found.sessions.find((s) => s.number === number);
  if (loc === undefined) {
    throw new DiscfsError('NO_SUCH_SESSION', `session ${number} does not exist (1..${found.sessions.length})`, { session: number });
  }
  const { summary, set, rr } = await summarize(medium, loc);
  const view = chooseView(opts.view, set, rr);
  const rootRecord = decodeRoot(view === 'joliet' && set.joliet ? set.joliet.rootRecord : set.primary.rootRecord);
  const source: DirectorySource = { medium, rockRidge: view === 'rr', suspSkip: rr.suspSkip };
  const volume = new IsoVolume(medium, summary, view, rootNode(rootRecord, rr, view), source);
  for (const d of [...found.defects, ...set.defects]) volume.warn('(descriptors)', d);
  for (const d of await checkPathTables(medium, set.primary)) volume.warn('(path table)', d);
  return volume;
}
