// A drive held by another program (issue 6 "Desktop"): the device or a partition of it mounted elsewhere, found in
// /proc/self/mountinfo (proc(5): field 3 is the mounted device's major:minor) by device number, not by name.
import fs from 'node:fs';
import path from 'node:path';
import { CliError } from '../cli/exit-codes';
import { SgTransport } from '../mmc/sg-transport';
import { DiscfsError } from '../util/errors';

export interface MountEntry {
  /** "major:minor" of the mounted device. */
  readonly device: string;
  readonly mountpoint: string;
  readonly fsType: string;
  readonly source: string;
}

/** The block device behind a drive path and the numbers that count as "this drive" (itself and its partitions). */
export interface DriveNumbers {
  /** Kernel name of the block device (sr0), when known: the udisksctl hint needs it. */
  readonly blockName?: string;
  readonly numbers: ReadonlySet<string>;
}

/** A bound on mountinfo lines looked at: a hostile or huge mount table must not stall the mount command. */
const MAX_MOUNT_LINES = 100_000;

/** mountinfo escapes space, tab, newline and backslash as \ooo (fs/proc_namespace.c mangle()). */
function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n').slice(0, MAX_MOUNT_LINES)) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-', 6);
    if (fields.length < 7 || dash < 0 || dash + 2 >= fields.length || !/^\d+:\d+$/.test(fields[2])) continue;
    out.push({ device: fields[2], mountpoint: unescapeOctal(fields[4]), fsType: fields[dash + 1], source: unescapeOctal(fields[dash + 2]) });
  }
  return out;
}

/** glibc's dev_t layout (sysmacros.h gnu_dev_major/minor); st_rdev stays below 2^53 so arithmetic is exact. */
export function splitDevNumber(rdev: number): { major: number; minor: number } {
  const high = Math.floor(rdev / 2 ** 32);
  const low = rdev >>> 0;
  return { major: ((low >>> 8) & 0xfff) | ((high & 0xfffff000) >>> 0), minor: ((low & 0xff) | ((low >>> 12) & 0xfff00) | ((high & 0xfff) << 20)) >>> 0 };
}

function readTrim(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'latin1').trim();
  } catch {
    return undefined;
  }
}

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** The block device and its partitions, from /sys/dev/block/M:m (partitions are subdirectories with a `partition` file). */
function blockFamily(sys: string, number: string): DriveNumbers {
  const dir = path.join(sys, 'dev', 'block', number);
  let blockName: string | undefined;
  try {
    blockName = path.basename(fs.realpathSync(dir));
  } catch {
    blockName = undefined;
  }
  const numbers = new Set([number]);
  for (const child of listDir(dir)) {
    if (readTrim(path.join(dir, child, 'partition')) === undefined) continue;
    const dev = readTrim(path.join(dir, child, 'dev'));
    if (dev && /^\d+:\d+$/.test(dev)) numbers.add(dev);
  }
  return { blockName, numbers };
}

/**
 * The device numbers of a drive path: a block device (/dev/sr0) is itself; a character device (/dev/sg0) is
 * mapped through sysfs to the block device of the same SCSI device, when the sr driver has one.
 */
export function driveNumbers(kind: 'block' | 'char', rdev: number, sys = '/sys'): DriveNumbers {
  const { major, minor } = splitDevNumber(rdev);
  const own = `${major}:${minor}`;
  if (kind === 'block') return blockFamily(sys, own);
  const blocks = listDir(path.join(sys, 'dev', 'char', own, 'device', 'block'));
  const dev = blocks.length > 0 ? readTrim(path.join(sys, 'dev', 'char', own, 'device', 'block', blocks[0], 'dev')) : undefined;
  if (!dev || !/^\d+:\d+$/.test(dev)) return { numbers: new Set() };
  return blockFamily(sys, dev);
}

export function mountsOf(entries: readonly MountEntry[], drive: DriveNumbers): MountEntry[] {
  return entries.filter((e) => drive.numbers.has(e.device));
}

/** One line naming the mountpoint and how to release it. */
export function heldMessage(devicePath: string, drive: DriveNumbers, mounts: readonly MountEntry[]): string {
  const block = drive.blockName ? `/dev/${drive.blockName}` : devicePath;
  const first = mounts[0];
  const more = mounts.length > 1 ? ` (and ${mounts.length - 1} more)` : '';
  const dev = first.source.startsWith('/dev/') ? first.source : block;
  return (
    `${devicePath} is held by another program: ${dev} is mounted on ${first.mountpoint} (${first.fsType})${more}; ` +
    `release it with \`udisksctl unmount -b ${dev}\` or \`umount ${first.mountpoint}\``
  );
}

/** What an O_EXCL open refused with EBUSY becomes: the same exit as a mount found in mountinfo. */
export function busyOpenError(devicePath: string, error: unknown): unknown {
  if (!(error instanceof DiscfsError) || error.code !== 'DEVICE_BUSY') return error;
  return new CliError(
    'driveBusy',
    `${devicePath} is held by another program (an exclusive open failed with EBUSY); ` +
      `close the program using it, or release it with \`udisksctl unmount -b ${devicePath}\``,
    { cause: error },
  );
}

/**
 * Refuses a drive mounted elsewhere (a desktop automounter, a manual mount) before `discfs mount` takes it, then
 * probes with O_EXCL, which the kernel refuses while anybody holds the device exclusively. Image files pass.
 */
export async function refuseDriveHeldElsewhere(devicePath: string, mountinfoFile = '/proc/self/mountinfo'): Promise<void> {
  let st: fs.Stats;
  try {
    st = fs.statSync(devicePath);
  } catch {
    return; // openSource reports a missing source.
  }
  if (!st.isBlockDevice() && !st.isCharacterDevice()) return;
  const drive = driveNumbers(st.isBlockDevice() ? 'block' : 'char', st.rdev);
  const text = readTrim(mountinfoFile) ?? '';
  const mounts = mountsOf(parseMountinfo(text), drive);
  if (mounts.length > 0) throw new CliError('driveBusy', heldMessage(devicePath, drive, mounts));
  let probe: SgTransport | undefined;
  try {
    probe = await SgTransport.open(devicePath, { exclusive: true });
  } catch (e) {
    const busy = busyOpenError(devicePath, e);
    if (busy instanceof CliError) throw busy;
    // Anything else (permission, not a drive) is reported by the real open with its own wording.
  } finally {
    await probe?.close().catch(() => undefined);
  }
}
