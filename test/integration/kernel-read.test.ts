// The read path on a real /dev/sr0: QEMU's scsi-cd serves the 3-session xorriso-grown fixture to a guest
// running Debian's kernel. Inside the guest: the sessions and newest tree read through SG_IO READ(10) with
// src/tree (guest-mmc-probe tree), `discfs sessions` and `discfs mount --read-only` on /dev/sr0 (a DriveMedium), and the guest
// kernel's own iso9660 mount. Each is compared on the host with xorriso's view of the same image file.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture } from '../helpers/fixtures';
import { diffListings, formatDiff, type Entry, type EntryField } from '../helpers/listing';
import { extractedListing, tocSessions } from '../helpers/oracle';
import { runInGuest, shellQuote, type GuestResult } from '../helpers/qemu/guest';
import type { TreeReport } from '../helpers/qemu/guest-mmc-probe';

const ROOT = path.join(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'discfs');
const PROBE = path.join(__dirname, '..', 'helpers', 'qemu', 'guest-mmc-probe.js');
/** A boot takes 10-15 s on a quiet machine, up to 70 s seen under the load of parallel builds. */
const GUEST_TIMEOUT_MS = 150_000;
const FIELDS: readonly EntryField[] = ['type', 'size', 'mode', 'mtime', 'target', 'sha256', 'rdev'];
/**
 * Linux 6.1 isofs computes recording dates in a 32-bit int (fs/isofs/util.c iso_date()), so 2100-01-01
 * wraps to 1963; later kernels return a 64-bit time. A kernel bug, not a disc one: xorriso and discfs agree.
 */
const KERNEL_32BIT_DATES = ['times/future-2100.txt: mtime expected 4102444800, got -192522496'];

let work = '';
let image = '';
let guest: GuestResult;
let oracle: Entry[] = [];
let toc: { start: number; blocks: number }[] = [];

/** Every step writes into the shared work dir; a failing step leaves its stderr and rc next to it. */
function guestScript(out: string): string {
  const q = shellQuote;
  const node = (args: string, name: string): string =>
    `node ${args} >${q(path.join(out, `${name}.out`))} 2>${q(path.join(out, `${name}.err`))}; echo $? >${q(path.join(out, `${name}.rc`))}`;
  return [
    node(`${q(PROBE)} tree /dev/sr0`, 'probe-tree'),
    node(`${q(BIN)} sessions --json /dev/sr0`, 'cli-sessions'),
    'mkdir -p /tmp/fuse /tmp/kernel /tmp/state',
    `export XDG_STATE_HOME=/tmp/state`,
    `if node ${q(BIN)} mount --read-only /dev/sr0 /tmp/fuse 2>${q(path.join(out, 'cli-mount.err'))}; then`,
    `  ${node(`${q(PROBE)} list /tmp/fuse`, 'cli-list')}`,
    '  fusermount -u /tmp/fuse',
    'fi',
    'mkdir -p /tmp/fuse-rw',
    `if node ${q(BIN)} mount /dev/sr0 /tmp/fuse-rw 2>${q(path.join(out, 'rom-mount.err'))}; then`,
    `  touch /tmp/fuse-rw/new-file 2>${q(path.join(out, 'rom-touch.err'))}; echo $? >${q(path.join(out, 'rom-touch.rc'))}`,
    '  fusermount -u /tmp/fuse-rw',
    'fi',
    `mount -t iso9660 -o ro /dev/sr0 /tmp/kernel 2>${q(path.join(out, 'kernel-mount.err'))} && ${node(`${q(PROBE)} list /tmp/kernel`, 'kernel-list')}`,
    'umount /tmp/kernel 2>/dev/null',
    'exit 0',
  ].join('\n');
}

function output(name: string): string {
  const file = path.join(work, 'out', `${name}.out`);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

function errors(name: string): string {
  const file = path.join(work, 'out', `${name}.err`);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

function step<T>(name: string): T {
  const rc = path.join(work, 'out', `${name}.rc`);
  assert.ok(fs.existsSync(rc), `step ${name} did not run in the guest:\n${guest.stderr}\n${errors(name)}`);
  assert.equal(fs.readFileSync(rc, 'utf8').trim(), '0', `step ${name} failed:\n${errors(name)}`);
  return JSON.parse(output(name)) as T;
}

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'discfs-kernel-read-'));
  fs.mkdirSync(path.join(work, 'out'));
  image = await fixture('xorriso-grown');
  [oracle, toc] = await Promise.all([extractedListing(image), tocSessions(image)]);
  guest = await runInGuest(guestScript(path.join(work, 'out')), {
    devices: [{ kind: 'cdrom', file: image }],
    workDir: work,
    timeoutMs: GUEST_TIMEOUT_MS,
  });
}, { timeout: GUEST_TIMEOUT_MS + 60_000 });

after(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

test('SG_IO READ(10) on /dev/sr0 finds the same sessions as xorriso -toc on the image', () => {
  const report = step<TreeReport>('probe-tree');
  assert.deepEqual(report.sessions.map((s) => ({ start: s.startLba, blocks: s.blocks })), toc.map((s) => ({ start: s.start, blocks: s.blocks })));
  assert.equal(report.capacityBlocks, fs.statSync(image).size / 2048);
});

test('the newest session read through SG_IO equals the osirrox extraction', () => {
  const report = step<TreeReport>('probe-tree');
  assert.equal(formatDiff(oracle, report.entries, { fields: FIELDS }), '');
});

test('the guest kernel mounts /dev/sr0 (iso9660) and sees the same newest tree', () => {
  const listing = step<Entry[]>('kernel-list');
  assert.deepEqual(diffListings(oracle, listing, { fields: FIELDS }), KERNEL_32BIT_DATES);
});

/** QEMU's scsi-cd (a DVD-ROM) reports one TOC session at LBA 0; LBA 0..31 holds the emulated TOC of the grown image. */
test('discfs sessions /dev/sr0 lists the same sessions as xorriso -toc on the image', () => {
  const sessions = step<{ startLba: number; blocks: number }[]>('cli-sessions');
  assert.deepEqual(sessions.map((s) => [s.startLba, s.blocks]), toc.map((s) => [s.start, s.blocks]));
});

test('discfs mount --read-only /dev/sr0 shows the newest session as osirrox extracts it', () => {
  assert.equal(errors('cli-mount'), '', 'discfs mount failed');
  assert.equal(formatDiff(oracle, step<Entry[]>('cli-list'), { fields: FIELDS }), '');
});

/** QEMU's scsi-cd reports a ROM profile (CD-ROM for an image this small, DVD-ROM above 700 MB): no session can be added. */
test('discfs mount /dev/sr0 without --read-only on a ROM drive mounts read-only and says why', () => {
  assert.match(errors('rom-mount'), /(CD|DVD)-ROM .*cannot write (CD|DVD)-ROM media; mounting read-only/, 'the notice names the medium and the read-only mount');
  assert.notEqual(fs.readFileSync(path.join(work, 'out', 'rom-touch.rc'), 'utf8').trim(), '0', 'a file was created on a read-only mount');
  assert.match(errors('rom-touch'), /Read-only file system/);
});
