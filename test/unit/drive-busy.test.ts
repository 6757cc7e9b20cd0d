// A drive held elsewhere: mountinfo parsing, device numbers through a sysfs tree (sr0 with a partition, sg0 -> sr0),
// matching by major:minor rather than by name, the one-line message, and EBUSY from O_EXCL mapped to driveBusy.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliError, EXIT } from '../../src/cli/exit-codes';
import { busyOpenError, driveNumbers, heldMessage, mountsOf, parseMountinfo, splitDevNumber } from '../../src/drive/drive-busy';
import { DiscfsError } from '../../src/util/errors';

/** glibc's makedev, the inverse of splitDevNumber. */
function makedev(major: number, minor: number): number {
  const low = ((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & 0xfff00) << 12)) >>> 0;
  const high = ((major & 0xfffff000) | ((minor >>> 20) & 0xfff)) >>> 0;
  return high * 2 ** 32 + low;
}

const MOUNTINFO = [
  '22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw',
  '25 22 0:22 / /proc rw,nosuid shared:12 - proc proc rw',
  // The automounter's mount: a label with a space, escaped as \040.
  '91 22 11:0 / /run/media/ann/BACKUP\\0402024 ro,nosuid,nodev,relatime shared:50 - iso9660 /dev/sr0 ro,uid=1000',
  // A name that lies: "/dev/sr1" mounted, but the numbers are another disc's.
  '92 22 8:17 / /mnt/usb rw shared:51 - vfat /dev/sr1 rw',
  '93 22 11:3 / /media/ann/PART1 ro shared:52 - udf /dev/sr3p1 ro',
  'garbage line',
  '',
].join('\n');

let sys = '';

function mkfile(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

/** A sysfs as Linux lays it out: /sys/dev/{block,char}/M:m are symlinks into /sys/devices/... */
function buildSys(root: string): void {
  const scsi = path.join(root, 'devices', 'pci0', 'host0', 'target0:0:0', '0:0:0:0');
  mkfile(path.join(scsi, 'block', 'sr0', 'dev'), '11:0\n');
  mkfile(path.join(scsi, 'block', 'sr3', 'dev'), '11:3\n');
  mkfile(path.join(scsi, 'block', 'sr3', 'sr3p1', 'dev'), '11:3\n');
  mkfile(path.join(scsi, 'block', 'sr3', 'sr3p1', 'partition'), '1\n');
  mkfile(path.join(scsi, 'block', 'sr3', 'sr3p2', 'dev'), '259:7\n');
  mkfile(path.join(scsi, 'block', 'sr3', 'sr3p2', 'partition'), '2\n');
  mkfile(path.join(scsi, 'block', 'sr3', 'holders', 'dev'), '1:1\n');
  mkfile(path.join(scsi, 'scsi_generic', 'sg0', 'dev'), '21:0\n');
  fs.symlinkSync(scsi, path.join(scsi, 'scsi_generic', 'sg0', 'device'));
  fs.mkdirSync(path.join(root, 'dev', 'block'), { recursive: true });
  fs.mkdirSync(path.join(root, 'dev', 'char'), { recursive: true });
  fs.symlinkSync(path.join(scsi, 'block', 'sr0'), path.join(root, 'dev', 'block', '11:0'));
  fs.symlinkSync(path.join(scsi, 'block', 'sr3'), path.join(root, 'dev', 'block', '11:3'));
  fs.symlinkSync(path.join(scsi, 'scsi_generic', 'sg0'), path.join(root, 'dev', 'char', '21:0'));
}

describe('drive held by another program', () => {
  before(() => {
    sys = fs.mkdtempSync(path.join(os.tmpdir(), 'discfs-drive-busy-'));
    buildSys(sys);
  });
  after(() => {
    fs.rmSync(sys, { recursive: true, force: true });
  });

  it('parses mountinfo: device numbers, unescaped mountpoints, fs type and source; skips malformed lines', () => {
    const entries = parseMountinfo(MOUNTINFO);
    assert.equal(entries.length, 5);
    assert.deepEqual(entries[2], { device: '11:0', mountpoint: '/run/media/ann/BACKUP 2024', fsType: 'iso9660', source: '/dev/sr0' });
  });

  it('splits dev_t as glibc does, small and large numbers', () => {
    assert.deepEqual(splitDevNumber(makedev(11, 0)), { major: 11, minor: 0 });
    assert.deepEqual(splitDevNumber(makedev(259, 300_000)), { major: 259, minor: 300_000 });
    assert.deepEqual(splitDevNumber(makedev(5000, 7)), { major: 5000, minor: 7 });
  });

  it('/dev/sr0 mounted by the automounter is found by its numbers and named with the way to release it', () => {
    const drive = driveNumbers('block', makedev(11, 0), sys);
    assert.equal(drive.blockName, 'sr0');
    const mounts = mountsOf(parseMountinfo(MOUNTINFO), drive);
    assert.deepEqual(mounts.map((m) => m.mountpoint), ['/run/media/ann/BACKUP 2024']);
    const line = heldMessage('/dev/sr0', drive, mounts);
    assert.equal(line.includes('\n'), false);
    assert.match(line, /mounted on \/run\/media\/ann\/BACKUP 2024 \(iso9660\)/);
    assert.match(line, /`udisksctl unmount -b \/dev\/sr0`/);
    assert.match(line, /`umount \/run\/media\/ann\/BACKUP 2024`/);
  });

  it('/dev/sg0 maps through sysfs to sr0 and is held by the same mount', () => {
    const drive = driveNumbers('char', makedev(21, 0), sys);
    assert.equal(drive.blockName, 'sr0');
    assert.deepEqual([...drive.numbers], ['11:0']);
    const line = heldMessage('/dev/sg0', drive, mountsOf(parseMountinfo(MOUNTINFO), drive));
    assert.match(line, /^\/dev\/sg0 is held by another program: \/dev\/sr0 is mounted on/);
  });

  it('a mounted partition counts; a mount whose source name matches but whose numbers do not, does not', () => {
    const sr3 = driveNumbers('block', makedev(11, 3), sys);
    assert.deepEqual([...sr3.numbers].sort(), ['11:3', '259:7']);
    assert.deepEqual(mountsOf(parseMountinfo(MOUNTINFO), sr3).map((m) => m.mountpoint), ['/media/ann/PART1']);
    // "/dev/sr1" appears in mountinfo as a source, but 8:17 is not sr1's number (11:1).
    const sr1 = driveNumbers('block', makedev(11, 1), sys);
    assert.deepEqual(mountsOf(parseMountinfo(MOUNTINFO), sr1), []);
  });

  it('a character device without a block device (sysfs missing) holds nothing', () => {
    const drive = driveNumbers('char', makedev(21, 9), sys);
    assert.equal(drive.numbers.size, 0);
  });

  it('EBUSY from the O_EXCL open gives the driveBusy exit with a hint; other errors pass through', () => {
    const busy = busyOpenError('/dev/sr0', new DiscfsError('DEVICE_BUSY', '/dev/sr0 is busy', { path: '/dev/sr0', errno: 'EBUSY' }));
    assert.ok(busy instanceof CliError);
    assert.equal(EXIT[busy.exit], 11);
    assert.match(busy.message, /udisksctl unmount -b \/dev\/sr0/);
    const other = new DiscfsError('DEVICE_PERMISSION', 'denied');
    assert.equal(busyOpenError('/dev/sr0', other), other);
  });
});
