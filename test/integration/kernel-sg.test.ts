// The SG_IO addon and src/mmc on a real kernel: a QEMU guest (Debian's kernel) reaches tgt's emulated blank
// DVD+R over iSCSI through the sg and sr drivers, so every CDB and reply crosses the kernel's SCSI midlayer.
// One guest boot; the probe (test/helpers/qemu/guest-mmc-probe.ts) runs once on /dev/sg0, once on /dev/sr0.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { DriveInfo } from '../../src/cli/drive-info';
import { PROFILE } from '../../src/mmc/profiles';
import { runInGuest, type GuestResult } from '../helpers/qemu/guest';
import type { Survey } from '../helpers/qemu/guest-mmc-probe';
import { TgtDaemon } from '../helpers/qemu/tgt-daemon';

const PROBE = path.join(__dirname, '..', 'helpers', 'qemu', 'guest-mmc-probe.js');
const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'discfs');
const GUEST_TIMEOUT_MS = 100_000;
/** ILLEGAL REQUEST / INVALID COMMAND OPERATION CODE (SPC-4 4.5.6). */
const INVALID_OPCODE = { key: 0x05, asc: 0x20, ascq: 0x00 };

let work = '';
let tgt: TgtDaemon | undefined;
let guest: GuestResult;
const surveys = new Map<string, Survey>();
/** `discfs info --json /dev/sr0` in the same guest run, folded onto one line. */
let infoLine = '';

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'discfs-kernel-sg-'));
  tgt = await TgtDaemon.start(path.join(work, 'tgt'));
  const disc = path.join(work, 'blank.img');
  fs.writeFileSync(disc, '');
  const url = await tgt.addDisc('blank', disc);
  const script = [
    ...['sg0', 'sr0'].map((d) => `echo "== ${d}"; node ${PROBE} survey /dev/${d} || echo "probe failed: $?"`),
    `echo "== info"; node ${BIN} info --json /dev/sr0 | tr -d '\\n'; echo`,
  ].join('\n');
  guest = await runInGuest(script, { devices: [{ kind: 'iscsi', url }], timeoutMs: GUEST_TIMEOUT_MS });
  let current = '';
  for (const line of guest.stdout.split('\n')) {
    const m = /^== (\w+)$/.exec(line);
    if (m) current = m[1];
    else if (line.startsWith('{') && current === 'info') infoLine = line;
    else if (line.startsWith('{')) surveys.set(current, JSON.parse(line) as Survey);
  }
}, { timeout: GUEST_TIMEOUT_MS + 20_000 });

after(async () => {
  await tgt?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

function surveyOf(device: string): Survey {
  const s = surveys.get(device);
  assert.ok(s, `no survey of /dev/${device}:\n${guest.stdout}\n${guest.stderr}`);
  return s;
}

for (const device of ['sg0', 'sr0']) {
  test(`/dev/${device}: INQUIRY names tgt's MMC device (peripheral type 5)`, () => {
    const s = surveyOf(device);
    assert.equal(s.peripheralType, 5);
    assert.equal(s.vendor, 'DISCFS');
    assert.equal(s.product, 'TGT-DVD');
  });

  test(`/dev/${device}: TEST UNIT READY, GET CONFIGURATION (DVD+R), READ DISC/TRACK INFORMATION (blank, NWA 0)`, () => {
    const s = surveyOf(device);
    assert.equal(s.testUnitReady, 'ready');
    assert.equal(s.profile, PROFILE.dvdPlusR);
    assert.equal(s.discStatus, 'blank');
    assert.equal(s.nextWritableAddress, 0);
    assert.ok((s.freeBlocks ?? 0) > 0, `free blocks ${s.freeBlocks}`);
  });

  test(`/dev/${device}: rejected commands decode to ILLEGAL REQUEST 5/20/00 with a message`, () => {
    const s = surveyOf(device);
    assert.deepEqual(s.rejected.map((r) => r.command), ['READ CAPACITY(16)', 'RESERVE TRACK']);
    for (const r of s.rejected) {
      assert.deepEqual({ key: r.key, asc: r.asc, ascq: r.ascq }, INVALID_OPCODE, `${r.command}: ${r.message}`);
      assert.match(r.message, /invalid command operation code/i);
    }
  });
}

test('discfs info --json /dev/sr0 names tgt\'s drive and its blank DVD+R', () => {
  assert.ok(infoLine, `no info output:\n${guest.stdout}\n${guest.stderr}`);
  const info = JSON.parse(infoLine) as { kind: string; drive: DriveInfo };
  assert.equal(info.kind, 'drive');
  assert.equal(info.drive.vendor, 'DISCFS');
  assert.equal(info.drive.model, 'TGT-DVD');
  assert.equal(info.drive.mediaType, 'DVD+R');
  assert.equal(info.drive.discStatus, 'blank');
  assert.equal(info.drive.appendable, true);
  assert.deepEqual(info.drive.sessions, []);
  assert.ok((info.drive.freeBlocks ?? 0) > 0, `free blocks ${info.drive.freeBlocks}`);
});

test('the guest run stays inside its time budget', () => {
  assert.equal(guest.code, 0, guest.stderr);
  assert.ok(guest.wallMs < GUEST_TIMEOUT_MS, `guest took ${guest.wallMs} ms`);
});
