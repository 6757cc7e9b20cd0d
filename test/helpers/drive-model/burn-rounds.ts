// Test support: "mount" a DriveModel through the library (DriveMedium + reader + OverlayFs), change it, burn, and
// mirror every change on a plain directory so xorriso's extraction of each session can be compared with it.
import fs from 'node:fs';
import path from 'node:path';
import type { Caller } from '../../../src/fuse/filesystem';
import { DriveMedium } from '../../../src/drive/drive-medium';
import { burnSession, type BurnOptions, type BurnResult } from '../../../src/drive/session-writer';
import { emptyLowerTree } from '../../../src/overlay/empty-lower';
import { OverlayFs } from '../../../src/overlay/overlay-fs';
import { openVolume } from '../../../src/tree/iso-volume';
import type { Entry } from '../listing';
import { listTree } from '../listing';
import type { DriveModel } from './drive-model';

export const ROOT_CALLER: Caller = { uid: 0, gid: 0, pid: 1 };
export const noSleep = async (): Promise<void> => {};

/** The same change applied to the overlay and to the mirror directory. */
export class Changer {
  constructor(
    readonly overlay: OverlayFs,
    readonly mirror: string,
  ) {}

  async writeFile(p: string, data: Buffer | string): Promise<void> {
    const buf = Buffer.from(data);
    const fh = await this.overlay.create(p, 0o644, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC, ROOT_CALLER);
    await this.overlay.truncate(p, 0);
    if (buf.length > 0) await this.overlay.write(p, fh, buf, buf.length, 0);
    await this.overlay.release(p, fh);
    fs.writeFileSync(path.join(this.mirror, p), buf, { mode: 0o644 });
    fs.chmodSync(path.join(this.mirror, p), 0o644);
  }

  async pwrite(p: string, data: Buffer | string, position: number): Promise<void> {
    const buf = Buffer.from(data);
    const fh = await this.overlay.open(p, fs.constants.O_WRONLY, ROOT_CALLER);
    await this.overlay.write(p, fh, buf, buf.length, position);
    await this.overlay.release(p, fh);
    const fd = fs.openSync(path.join(this.mirror, p), 'r+');
    fs.writeSync(fd, buf, 0, buf.length, position);
    fs.closeSync(fd);
  }

  async mkdir(p: string): Promise<void> {
    await this.overlay.mkdir(p, 0o755, ROOT_CALLER);
    fs.mkdirSync(path.join(this.mirror, p));
    fs.chmodSync(path.join(this.mirror, p), 0o755);
  }

  async symlink(target: string, p: string): Promise<void> {
    await this.overlay.symlink(target, p, ROOT_CALLER);
    fs.symlinkSync(target, path.join(this.mirror, p));
  }

  async unlink(p: string): Promise<void> {
    await this.overlay.unlink(p, ROOT_CALLER);
    fs.unlinkSync(path.join(this.mirror, p));
  }

  async rename(from: string, to: string): Promise<void> {
    await this.overlay.rename(from, to, ROOT_CALLER);
    fs.renameSync(path.join(this.mirror, from), path.join(this.mirror, to));
  }
}

/** Opens the medium in the model as a mount would: the newest session (if any) under a fresh overlay. */
export async function mountModel(model: DriveModel, stagingDir: string, identity: string): Promise<{ medium: DriveMedium; overlay: OverlayFs }> {
  const medium = await DriveMedium.open(model, { ownsTransport: false });
  const hasSession = medium.sessionStarts !== undefined || (medium.state.procedure === 'overwrite' && medium.blocks > 32 && (await hasPvd(medium)));
  const lower = hasSession ? await openVolume(medium, { sessionStarts: medium.sessionStarts }) : emptyLowerTree();
  const overlay = await OverlayFs.open({
    stagingDir,
    identity,
    lower,
    owner: { uid: 0, gid: 0 },
    keepOwners: true,
    capacity: { blocks: 2_000_000, freeBlocks: 1_000_000 },
    now: () => ({ sec: 1_700_000_000, nsec: 0 }),
  });
  return { medium, overlay };
}

async function hasPvd(medium: DriveMedium): Promise<boolean> {
  const block = await medium.read(16, 1);
  return block[0] === 1 && block.toString('latin1', 1, 6) === 'CD001';
}

/** Burns the overlay's merged tree and, on success, drops the staging (as commit-overlay does). */
export async function burnOverlay(model: DriveModel, overlay: OverlayFs, extra: Partial<BurnOptions> = {}): Promise<BurnResult> {
  const merged = await overlay.mergedTree();
  const result = await burnSession({ transport: model, tree: merged, sleep: noSleep, pollIntervalMs: 1, now: new Date(1_700_000_000_000), ...extra });
  await overlay.discard();
  return result;
}

/** The mirror as the oracle lists it: root mode left out (mkdtemp makes it 0700), mtimes not compared. */
export async function mirrorListing(mirror: string): Promise<Entry[]> {
  const entries = await listTree(mirror);
  for (const e of entries) {
    e.mtime = undefined;
    if (e.path === '.') e.mode = undefined;
  }
  return entries;
}

export function dumpImage(model: DriveModel, file: string): void {
  const disc = model.disc ?? model.removed;
  if (!disc) throw new Error('no medium to dump');
  fs.writeFileSync(file, disc.image());
}
