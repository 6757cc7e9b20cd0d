// Burning on a real kernel path: two blank DVD+R discs in a private tgtd, attached over iSCSI to one QEMU guest.
// Disc A: a first session made by the engine on the host, burnt raw through the SG_IO addon inside the guest
// (WRITE(10) at the NWA, SYNCHRONIZE CACHE, CLOSE TRACK, CLOSE SESSION). Disc B: `discfs mount /dev/srN`,
// copy the staged files in, `discfs unmount` burns. After each burn the guest
// re-probes the drive and its kernel mounts it as iso9660; on the host xorriso reads tgt's backing file.
// All of them must equal the staged tree.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { commitSession } from '../../src/engine/commit';
import { sourceTreeFromDirectory } from '../../src/engine/from-directory';
import { PROFILE } from '../../src/mmc/profiles';
import { diffListings, listTree, type Entry, type EntryField } from '../helpers/listing';
import { extractedListing } from '../helpers/oracle';
import { runInGuest, shellQuote, type GuestResult } from '../helpers/qemu/guest';
import type { BurnReport, Survey } from '../helpers/qemu/guest-mmc-probe';
import { TgtDaemon } from '../helpers/qemu/tgt-daemon';

const ROOT = path.join(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'discfs');
const PROBE = path.join(__dirname, '..', 'helpers', 'qemu', 'guest-mmc-probe.js');
const SCSI_FUNCTIONS = path.join(ROOT, 'test', 'helpers', 'qemu', 'guest-scsi.sh');
/** One boot and two burns; a boot alone took up to 70 s under the load of parallel builds. */
const GUEST_TIMEOUT_MS = 200_000;
const FIXED_TIME = new Date('2024-05-01T12:00:00Z');
const FIELDS: readonly EntryField[] = ['type', 'size', 'mode', 'mtime', 'target', 'sha256'];

let work = '';
let staged = '';
let tgt: TgtDaemon | undefined;
let guest: GuestResult;
let expected: Entry[] = [];
const discs = { raw: '', cli: '' };

/** Deterministic content: nested dirs, sizes around block edges, a symlink, modes, fixed mtimes. */
function writeStagedTree(dir: string): void {
  const files: Record<string, number> = {
    'README.txt': 100, 'empty.txt': 0, 'sizes/b2047.bin': 2047, 'sizes/b2048.bin': 2048, 'sizes/b2049.bin': 2049,
    'sizes/big.bin': 300_000, 'deep/a/b/c/leaf.txt': 42, 'names/Ελληνικά.txt': 17, 'names/space name.txt': 9,
  };
  for (const [rel, size] of Object.entries(files)) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const line = Buffer.from(`${rel}\n`);
    fs.writeFileSync(file, Buffer.alloc(size, line));
  }
  fs.chmodSync(path.join(dir, 'README.txt'), 0o600);
  fs.symlinkSync('../README.txt', path.join(dir, 'deep', 'up-link'));
  const stamp = (p: string): void => fs.lutimesSync(p, FIXED_TIME, FIXED_TIME);
  const walk = (p: string): void => {
    if (fs.lstatSync(p).isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
    stamp(p);
  };
  walk(dir);
}

function guestScript(out: string, image: string): string {
  const q = shellQuote;
  const o = (name: string): string => q(path.join(out, name));
  return [
    `. ${q(SCSI_FUNCTIONS)}`,
    'export XDG_STATE_HOME=/tmp/state',
    'mkdir -p /tmp/state /tmp/ka /tmp/kb /tmp/fuse',
    // Disc A: raw burn through the addon, then the kernel's view after a re-probe.
    'A=$(hctl_of 0) || { echo "no MMC device at id 0" >&2; exit 3; }',
    `node ${q(PROBE)} burn /dev/$(sg_of $A) ${q(image)} >${o('raw-burn.out')} 2>${o('raw-burn.err')}; echo $? >${o('raw-burn.rc')}`,
    'reprobe $A || echo "reprobe of $A failed" >&2',
    `mount -t iso9660 -o ro /dev/$(sr_of $A) /tmp/ka 2>${o('raw-kernel.err')} &&`,
    `  node ${q(PROBE)} list /tmp/ka >${o('raw-kernel.out')} 2>>${o('raw-kernel.err')}; echo $? >${o('raw-kernel.rc')}`,
    'umount /tmp/ka 2>/dev/null',
    // Disc B: the product itself, when it can open drives.
    'B=$(hctl_of 1) || { echo "no MMC device at id 1" >&2; exit 3; }',
    `node ${q(PROBE)} survey /dev/$(sg_of $B) >${o('cli-survey.out')} 2>${o('cli-survey.err')}; echo $? >${o('cli-survey.rc')}`,
    `if timeout 60 node ${q(BIN)} mount /dev/$(sr_of $B) /tmp/fuse 2>${o('cli-mount.err')}; then`,
    `  stat -f -c '%S %b %a' /tmp/fuse >${o('cli-df.out')}`,
    `  cp -a ${q(staged)}/. /tmp/fuse/ 2>${o('cli-copy.err')}`,
    `  timeout 90 node ${q(BIN)} unmount /tmp/fuse >${o('cli-unmount.out')} 2>${o('cli-unmount.err')}; echo $? >${o('cli-unmount.rc')}`,
    '  fusermount -u /tmp/fuse 2>/dev/null',
    '  reprobe $B || echo "reprobe of $B failed" >&2',
    `  mount -t iso9660 -o ro /dev/$(sr_of $B) /tmp/kb 2>${o('cli-kernel.err')} &&`,
    `    node ${q(PROBE)} list /tmp/kb >${o('cli-kernel.out')} 2>>${o('cli-kernel.err')}; echo $? >${o('cli-kernel.rc')}`,
    '  umount /tmp/kb 2>/dev/null',
    'fi',
    'exit 0',
  ].join('\n');
}

function read(name: string): string {
  const file = path.join(work, 'out', name);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

function step<T>(name: string): T {
  assert.ok(read(`${name}.rc`) !== '', `step ${name} did not run in the guest:\n${guest.stderr}\n${read(`${name}.err`)}`);
  assert.equal(read(`${name}.rc`).trim(), '0', `step ${name} failed:\n${read(`${name}.err`)}`);
  return JSON.parse(read(`${name}.out`)) as T;
}

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'discfs-kernel-burn-'));
  fs.mkdirSync(path.join(work, 'out'));
  staged = path.join(work, 'staged');
  fs.mkdirSync(staged);
  writeStagedTree(staged);
  expected = await listTree(staged);
  const image = path.join(work, 'session.iso');
  await commitSession({ imagePath: image, tree: await sourceTreeFromDirectory(staged), now: FIXED_TIME, volumeId: 'KERNEL_BURN' });
  tgt = await TgtDaemon.start(path.join(work, 'tgt'));
  discs.raw = path.join(work, 'disc-raw.img');
  discs.cli = path.join(work, 'disc-cli.img');
  const urls: string[] = [];
  for (const [name, file] of [['raw', discs.raw], ['cli', discs.cli]]) {
    fs.writeFileSync(file, ''); // empty backing file = blank DVD+R
    urls.push(await tgt.addDisc(name, file));
  }
  guest = await runInGuest(guestScript(path.join(work, 'out'), image), {
    devices: urls.map((url) => ({ kind: 'iscsi' as const, url })),
    workDir: work,
    timeoutMs: GUEST_TIMEOUT_MS,
  });
}, { timeout: GUEST_TIMEOUT_MS + 60_000 });

after(async () => {
  await tgt?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

test('raw burn through SG_IO: the whole engine image at NWA 0, then tgt reports a closed DVD-ROM', () => {
  assert.equal(guest.code, 0, guest.stderr);
  const report = step<BurnReport>('raw-burn');
  assert.equal(report.startLba, 0);
  assert.equal(report.blocks * 2048, fs.statSync(path.join(work, 'session.iso')).size);
  assert.deepEqual(report.afterClose, { discStatus: 'complete', profile: PROFILE.dvdRom });
});

test('raw burn: the guest kernel mounts the re-probed disc and sees the staged tree', () => {
  const listing = step<Entry[]>('raw-kernel');
  assert.deepEqual(diffListings(expected, listing, { fields: FIELDS }), []);
});

/** osirrox cannot set symlink mtimes, so its listing has none (test/helpers/oracle.ts): compare the rest. */
function asOracleSees(entries: readonly Entry[]): Entry[] {
  return entries.map((e) => (e.type === 'symlink' ? { ...e, mtime: undefined } : e));
}

test("raw burn: xorriso reads tgt's backing file as the staged tree", async () => {
  assert.ok(fs.statSync(discs.raw).size > 0, 'nothing reached the backing file');
  assert.deepEqual(diffListings(asOracleSees(expected), await extractedListing(discs.raw), { fields: FIELDS }), []);
});

/** tgt's blank DVD+R: READ CAPACITY says last LBA 0, disc information says blank; it mounts as an empty writable tree. */
test('discfs mount /dev/srN + copy + discfs unmount burns the staged tree', async () => {
  assert.equal(read('cli-mount.err'), '', 'discfs mount failed');
  assert.equal(read('cli-copy.err'), '');
  assert.equal(read('cli-unmount.rc').trim(), '0', `discfs unmount failed:\n${read('cli-unmount.err')}`);
  // The root directory's mtime changes as files are copied in; everything below it must match.
  const below = (entries: Entry[]): Entry[] => entries.filter((e) => e.path !== '.');
  assert.deepEqual(diffListings(below(expected), below(step<Entry[]>('cli-kernel')), { fields: FIELDS }), []);
  assert.deepEqual(diffListings(asOracleSees(below(expected)), below(await extractedListing(discs.cli)), { fields: FIELDS }), []);
});

test('df on the blank drive mount: the capacity is the free blocks of the invisible track (READ TRACK INFORMATION)', () => {
  const survey = step<Survey>('cli-survey');
  const [bsize, blocks, avail] = read('cli-df.out').trim().split(' ').map(Number);
  assert.equal(survey.nextWritableAddress, 0);
  assert.ok((survey.freeBlocks ?? 0) > 0, `free blocks ${survey.freeBlocks}`);
  assert.deepEqual([bsize, blocks], [2048, survey.freeBlocks], `statfs: ${read('cli-df.out')}`);
  // The guest's staging dir is a tmpfs far smaller than the disc: free space is the smaller of the two.
  assert.ok(avail > 0 && avail <= blocks, `statfs: ${read('cli-df.out')}`);
});
