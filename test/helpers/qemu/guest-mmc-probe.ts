// The program the kernel tests run INSIDE the QEMU guest (node from the host root): drives /dev/sg* and
// /dev/sr* through the SG_IO addon and src/mmc, and prints one JSON document on stdout for the host to check.
//
//   node guest-mmc-probe.js survey DEV          identify, TUR, profile, disc/track info, two rejected commands
//   node guest-mmc-probe.js burn DEV IMAGE      raw DVD+R first session: WRITE(10) at the NWA, SYNC, CLOSE x2
//   node guest-mmc-probe.js tree DEV            the newest session read through READ(10), listed like listing.ts
//   node guest-mmc-probe.js list DIR            listTree(DIR) of a kernel or FUSE mount

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BLOCK_SIZE, type Medium } from '../../../src/medium/medium';
import { CLOSE_FUNCTION, closeTrackSession } from '../../../src/mmc/close-track-session';
import { runCommand } from '../../../src/mmc/command';
import { currentProfile } from '../../../src/mmc/get-configuration';
import { readCapacity } from '../../../src/mmc/read-capacity';
import { readDiscInformation } from '../../../src/mmc/read-disc-information';
import { INVISIBLE_TRACK, readTrackInformation } from '../../../src/mmc/read-track-information';
import { readBlocks, writeBlocks } from '../../../src/mmc/read-write';
import { reserveTrack } from '../../../src/mmc/reserve-track';
import { ScsiError } from '../../../src/mmc/scsi-error';
import { SgTransport } from '../../../src/mmc/sg-transport';
import { synchronizeCache } from '../../../src/mmc/synchronize-cache';
import { testUnitReady } from '../../../src/mmc/test-unit-ready';
import type { Transport } from '../../../src/mmc/transport';
import { listSessions, openVolume } from '../../../src/tree/iso-volume';
import type { LowerNode, LowerTree } from '../../../src/tree/lower-tree';
import type { NodeKind } from '../../../src/tree/node';
import { listTree, sortEntries, type Entry } from '../listing';

/** What a rejected command came back with. */
export interface Rejection {
  command: string;
  key?: number;
  asc?: number;
  ascq?: number;
  message: string;
}

export interface Survey {
  peripheralType: number;
  vendor: string;
  product: string;
  testUnitReady: 'ready' | string;
  profile: number;
  discStatus: string;
  sessions: number;
  nextWritableAddress?: number;
  freeBlocks?: number;
  rejected: Rejection[];
}

export interface BurnReport {
  blocks: number;
  startLba: number;
  afterClose: { discStatus: string; profile: number };
}

export interface TreeReport {
  sessions: { number: number; startLba: number; blocks: number; volumeId: string }[];
  capacityBlocks: number;
  entries: Entry[];
}

/** Blocks per READ/WRITE: 64 KiB, within every sg and drive limit. */
const CHUNK_BLOCKS = 32;
/** SERVICE ACTION IN(16) / READ CAPACITY(16) (SBC-3 5.16): not an MMC command; tgt's cd LUN rejects it. */
const READ_CAPACITY_16 = Buffer.from([0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0]);

async function rejection(command: string, attempt: () => Promise<unknown>): Promise<Rejection> {
  try {
    await attempt();
    return { command, message: 'accepted' };
  } catch (error) {
    if (!(error instanceof ScsiError)) throw error;
    return { command, key: error.senseKey, asc: error.asc, ascq: error.ascq, message: error.message };
  }
}

async function survey(device: string): Promise<Survey> {
  const t = await SgTransport.open(device);
  try {
    const id = t.identity;
    const tur = await testUnitReady(t).then(() => 'ready', (e: Error) => e.message);
    const profile = await currentProfile(t);
    const disc = await readDiscInformation(t);
    const track = await readTrackInformation(t, 'track', INVISIBLE_TRACK).catch(() => undefined);
    const rejected = [
      await rejection('READ CAPACITY(16)', () => runCommand(t, { cdb: READ_CAPACITY_16, receive: 32 })),
      await rejection('RESERVE TRACK', () => reserveTrack(t, 1024)),
    ];
    return {
      peripheralType: id?.peripheralType ?? -1,
      vendor: id?.vendor ?? '',
      product: id?.product ?? '',
      testUnitReady: tur,
      profile,
      discStatus: disc.discStatus,
      sessions: disc.sessions,
      nextWritableAddress: track?.nextWritableAddress,
      freeBlocks: track?.freeBlocks,
      rejected,
    };
  } finally {
    await t.close();
  }
}

/** What a burner does for DVD+R (docs/mmc.md "Appending a session") with no RESERVE TRACK: tgt rejects it. */
async function burn(device: string, image: string): Promise<BurnReport> {
  const t = await SgTransport.open(device, { exclusive: true });
  try {
    await testUnitReady(t);
    const track = await readTrackInformation(t, 'track', INVISIBLE_TRACK);
    const start = track.nextWritableAddress;
    if (start === undefined) throw new Error(`${device}: the invisible track has no next writable address`);
    const data = fs.readFileSync(image);
    if (data.length % BLOCK_SIZE !== 0) throw new Error(`${image} is not a whole number of 2048-byte blocks`);
    const blocks = data.length / BLOCK_SIZE;
    for (let b = 0; b < blocks; b += CHUNK_BLOCKS) {
      const n = Math.min(CHUNK_BLOCKS, blocks - b);
      await writeBlocks(t, start + b, data.subarray(b * BLOCK_SIZE, (b + n) * BLOCK_SIZE));
    }
    await synchronizeCache(t);
    await closeTrackSession(t, CLOSE_FUNCTION.track, 1);
    await closeTrackSession(t, CLOSE_FUNCTION.session);
    const disc = await readDiscInformation(t);
    return { blocks, startLba: start, afterClose: { discStatus: disc.discStatus, profile: await currentProfile(t) } };
  } finally {
    await t.close();
  }
}

/** Blocks read through SG_IO READ(10): the kernel's idea of the size is not used. */
class SgReadMedium implements Medium {
  constructor(readonly transport: Transport, readonly blocks: number) {}
  get description(): string {
    return this.transport.description;
  }
  async read(lba: number, count: number): Promise<Buffer> {
    if (lba < 0 || count < 0 || lba + count > this.blocks) throw new RangeError(`blocks ${lba}+${count} outside 0..${this.blocks}`);
    const parts: Buffer[] = [];
    for (let b = 0; b < count; b += CHUNK_BLOCKS) parts.push(await readBlocks(this.transport, lba + b, Math.min(CHUNK_BLOCKS, count - b)));
    return Buffer.concat(parts);
  }
  close(): Promise<void> {
    return this.transport.close();
  }
}

const ENTRY_TYPE: Record<NodeKind, Entry['type']> = {
  file: 'file', dir: 'dir', symlink: 'symlink', fifo: 'fifo', socket: 'socket', chardev: 'chardev', blockdev: 'blockdev',
};

async function nodeEntry(tree: LowerTree, node: LowerNode, rel: string): Promise<Entry> {
  const a = node.attrs;
  const entry: Entry = { path: rel, type: ENTRY_TYPE[a.kind], mode: a.mode & 0o7777, mtime: a.mtime.sec };
  if (a.kind === 'file') {
    entry.size = a.size;
    const hash = crypto.createHash('sha256');
    for (let pos = 0; pos < a.size; pos += 1 << 20) hash.update(await tree.read(node, pos, Math.min(1 << 20, a.size - pos)));
    entry.sha256 = hash.digest('hex');
  }
  if (a.kind === 'symlink' && node.symlinkTarget) entry.target = node.symlinkTarget.toString('latin1');
  if (a.kind === 'chardev' || a.kind === 'blockdev') entry.rdev = a.rdev;
  return entry;
}

async function walk(tree: LowerTree, dir: LowerNode, rel: string, out: Entry[]): Promise<void> {
  for (const child of await tree.list(dir)) {
    const childRel = rel === '.' ? child.name.toString('latin1') : `${rel}/${child.name.toString('latin1')}`;
    out.push(await nodeEntry(tree, child, childRel));
    if (child.attrs.kind === 'dir') await walk(tree, child, childRel, out);
  }
}

async function tree(device: string): Promise<TreeReport> {
  const t = await SgTransport.open(device);
  const capacity = await readCapacity(t);
  const medium = new SgReadMedium(t, capacity.blocks);
  try {
    const sessions = (await listSessions(medium)).map((s) => ({ number: s.number, startLba: s.startLba, blocks: s.blocks, volumeId: s.volumeId }));
    const volume = await openVolume(medium);
    const entries: Entry[] = [await nodeEntry(volume, volume.root, '.')];
    await walk(volume, volume.root, '.', entries);
    return { sessions, capacityBlocks: capacity.blocks, entries: sortEntries(entries) };
  } finally {
    await medium.close();
  }
}

async function main(argv: readonly string[]): Promise<unknown> {
  const [command, target, extra] = argv;
  if (command === 'survey' && target) return survey(target);
  if (command === 'burn' && target && extra) return burn(target, extra);
  if (command === 'tree' && target) return tree(target);
  if (command === 'list' && target) return listTree(path.resolve(target));
  throw new Error('usage: guest-mmc-probe (survey DEV | burn DEV IMAGE | tree DEV | list DIR)');
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: unknown) => {
      process.stderr.write(`guest-mmc-probe: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
