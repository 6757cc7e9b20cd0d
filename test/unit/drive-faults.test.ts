// Burn failures against the drive model: write error, medium removed, unit attention, full buffer, disc full,
// closed discs; each says what happened and whether the disc is appendable, keeps the staging, and a retry works.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Drive } from '../../src/drive/drive';
import { closeIncompleteSession } from '../../src/drive/session-writer';
import type { DataDirection, ScsiResult, Transport } from '../../src/mmc/transport';
import { DiscfsError } from '../../src/util/errors';
import type { ModelMedium } from '../helpers/drive-model/disc-state';
import { DriveModel } from '../helpers/drive-model/drive-model';
import { burnOverlay, Changer, dumpImage, mirrorListing, mountModel, noSleep } from '../helpers/drive-model/burn-rounds';
import { extractedListing } from '../helpers/oracle';
import { formatDiff } from '../helpers/listing';

const FIELDS = ['type', 'size', 'mode', 'target', 'sha256'] as const;
const WRITE10 = 0x2a;

function failure(e: unknown, code: string): DiscfsError {
  assert.ok(e instanceof DiscfsError, `expected a DiscfsError, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  return e;
}

describe('burn failures and retries', () => {
  let work: string;
  let n = 0;
  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'discfs-drive-faults-'));
  });
  after(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  /** A model with session 1 burnt, and a second round staged (not burnt) in an open overlay. */
  async function secondRound(medium: ModelMedium, capacityBlocks = 200_000) {
    const dir = path.join(work, `case${n++}`);
    const mirror = path.join(dir, 'mirror');
    fs.mkdirSync(mirror, { recursive: true });
    const model = new DriveModel({ medium, capacityBlocks, strictWriteParameters: true });
    const first = await mountModel(model, path.join(dir, 's1'), 'one');
    await new Changer(first.overlay, mirror).writeFile('/one.txt', 'session one\n');
    const r1 = await burnOverlay(model, first.overlay);
    await first.overlay.close();
    await first.medium.close();
    const session1 = await mirrorListing(mirror);
    const second = await mountModel(model, path.join(dir, 's2'), 'two');
    const c = new Changer(second.overlay, mirror);
    await c.writeFile('/two.bin', Buffer.alloc(200_000, 7));
    await c.mkdir('/d');
    const close = async (): Promise<void> => {
      await second.overlay.close();
      await second.medium.close();
    };
    return { dir, mirror, model, overlay: second.overlay, close, session1, r1 };
  }

  async function assertSessions(model: DriveModel, dir: string, expected: { start: number; listing: Awaited<ReturnType<typeof mirrorListing>> }[]) {
    const image = path.join(dir, 'disc.img');
    dumpImage(model, image);
    for (const e of expected) {
      assert.equal(formatDiff(e.listing, await extractedListing(image, { session: e.start }), { fields: FIELDS }), '', `session at ${e.start}`);
    }
  }

  it('DVD+R write error: LBA and sense reported, staging kept, disc not appendable until the track is closed, then a retry works', async () => {
    const s = await secondRound('dvd+r');
    try {
      const start2 = s.r1.endLba;
      s.model.faults.writeErrorAt = start2 + 40;
      const e = failure(await burnOverlay(s.model, s.overlay).then(() => undefined, (x: unknown) => x), 'DRIVE_BURN_FAILED');
      assert.match(e.message, /LBA \d+/);
      assert.match(e.message, /3\/0C\/00|write error/i);
      assert.equal(e.data.stage, 'write');
      assert.equal(e.data.appendable, false);
      assert.ok(e.data.incomplete, 'the interrupted track is reported');
      assert.ok((await s.overlay.changes()).length > 0, 'the staging is kept');
      assert.equal(s.model.locked, false, 'the tray is unlocked after a failure');
      s.model.faults.writeErrorAt = undefined;
      const state = await Drive.inspect(s.model);
      assert.equal(state.appendable, false);
      assert.match(state.notAppendableReason ?? '', /never closed/);
      const closed = await closeIncompleteSession({ transport: s.model, sleep: noSleep, pollIntervalMs: 1 });
      assert.equal(closed.appendable, true);
      const retry = await burnOverlay(s.model, s.overlay);
      assert.ok(retry.startLba > start2);
      await assertSessions(s.model, s.dir, [{ start: s.r1.startLba, listing: s.session1 }, { start: retry.startLba, listing: await mirrorListing(s.mirror) }]);
    } finally {
      await s.close();
    }
  });

  it('DVD+RW write error: the head is untouched, the disc stays appendable, the retry writes session 2', async () => {
    const s = await secondRound('dvd+rw');
    try {
      s.model.faults.writeErrorAt = s.r1.endLba + 64;
      const e = failure(await burnOverlay(s.model, s.overlay).then(() => undefined, (x: unknown) => x), 'DRIVE_BURN_FAILED');
      assert.equal(e.data.appendable, true);
      assert.match(e.message, /still appendable/);
      s.model.faults.writeErrorAt = undefined;
      const retry = await burnOverlay(s.model, s.overlay);
      assert.equal(retry.sessionNumber, 2);
      await assertSessions(s.model, s.dir, [{ start: 32, listing: s.session1 }, { start: retry.startLba, listing: await mirrorListing(s.mirror) }]);
    } finally {
      await s.close();
    }
  });

  it('BD-R medium removed mid-burn: the state is unknown; reinserted, the open track is closed and the retry works', async () => {
    const s = await secondRound('bd-r');
    try {
      s.model.faults.removeMediumAt = s.r1.endLba + 64;
      const e = failure(await burnOverlay(s.model, s.overlay).then(() => undefined, (x: unknown) => x), 'DRIVE_BURN_FAILED');
      assert.equal(e.data.appendable, undefined);
      assert.match(e.message, /medium not present|no medium/i);
      assert.match(e.message, /cannot tell/);
      s.model.reinsert();
      const state = await Drive.inspect(s.model);
      assert.ok(state.incomplete);
      await closeIncompleteSession({ transport: s.model, sleep: noSleep, pollIntervalMs: 1 });
      const retry = await burnOverlay(s.model, s.overlay);
      await assertSessions(s.model, s.dir, [{ start: 0, listing: s.session1 }, { start: retry.startLba, listing: await mirrorListing(s.mirror) }]);
    } finally {
      await s.close();
    }
  });

  it('CD-R unit attention on the first WRITE: not retried blindly, nothing recorded, the disc is still appendable', async () => {
    const s = await secondRound('cd-r');
    try {
      const nwa = (await Drive.inspect(s.model)).nextWritableAddress;
      s.model.faults.unitAttentionAt = nwa;
      const e = failure(await burnOverlay(s.model, s.overlay).then(() => undefined, (x: unknown) => x), 'DRIVE_BURN_FAILED');
      assert.match(e.message, /reset|unit attention/i);
      assert.equal(e.data.appendable, true);
      const retry = await burnOverlay(s.model, s.overlay);
      assert.equal(retry.startLba, nwa);
      await assertSessions(s.model, s.dir, [{ start: 0, listing: s.session1 }, { start: retry.startLba, listing: await mirrorListing(s.mirror) }]);
    } finally {
      await s.close();
    }
  });

  it('a full drive buffer (long write in progress) and a drive becoming ready are waited out', async () => {
    const s = await secondRound('dvd-r');
    try {
      s.model.faults.bufferFullWrites = 5;
      s.model.faults.notReady = 2;
      const r = await burnOverlay(s.model, s.overlay);
      assert.equal(r.verified, true);
      assert.equal(s.model.faults.bufferFullWrites, 0);
    } finally {
      await s.close();
    }
  });

  it('disc full: refused before anything is written or locked', async () => {
    const s = await secondRound('dvd+r', 120);
    try {
      const writesBefore = s.model.log.filter((op) => op === WRITE10).length;
      const locksBefore = s.model.lockHistory.length;
      const e = failure(await burnOverlay(s.model, s.overlay).then(() => undefined, (x: unknown) => x), 'DRIVE_DISC_FULL');
      assert.match(e.message, /blocks short/);
      assert.equal(s.model.log.filter((op) => op === WRITE10).length, writesBefore);
      assert.equal(s.model.lockHistory.length, locksBefore);
    } finally {
      await s.close();
    }
  });

  for (const medium of ['dvd+r', 'cd-r', 'dvd-r', 'bd-r'] as const) {
    it(`${medium} --close finalizes; the closed disc refuses another session`, async () => {
      const s = await secondRound(medium);
      try {
        const r = await burnOverlay(s.model, s.overlay, { finalize: true });
        assert.equal(r.finalized, true);
        const state = await Drive.inspect(s.model);
        assert.equal(state.discStatus, 'complete');
        assert.equal(state.appendable, false);
        assert.deepEqual(state.sessions.map((x) => x.startLba), [s.r1.startLba, r.startLba]);
        await new Changer(s.overlay, s.mirror).writeFile('/three.txt', '3');
        failure(await burnOverlay(s.model, s.overlay).then(() => undefined, (x: unknown) => x), 'DRIVE_DISC_CLOSED');
      } finally {
        await s.close();
      }
    });
  }
});

/** A drive without READ TRACK INFORMATION (QEMU scsi-cd): sessions come from READ TOC. */
class NoTrackInformation implements Transport {
  readonly description = 'no-RTI drive';
  constructor(private readonly inner: DriveModel) {}
  async execute(cdb: Buffer, direction: DataDirection, data: Buffer | null, timeoutMs: number): Promise<ScsiResult> {
    if (cdb[0] !== 0x52) return this.inner.execute(cdb, direction, data, timeoutMs);
    const sense = Buffer.alloc(18);
    sense[0] = 0x70; sense[2] = 0x05; sense[7] = 10; sense[12] = 0x20;
    return { status: 2, senseKey: 5, sense, residual: 0, hostStatus: 0, driverStatus: 0x08, durationMs: 0 };
  }
  async close(): Promise<void> {}
}

describe('Drive.inspect', () => {
  it('falls back to READ TOC when READ TRACK INFORMATION is not supported', async () => {
    const model = new DriveModel({ medium: 'dvd+r', capacityBlocks: 10_000 });
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'discfs-drive-toc-'));
    try {
      for (const round of [1, 2]) {
        const { medium, overlay } = await mountModel(model, path.join(work, `s${round}`), `r${round}`);
        await new Changer(overlay, fs.mkdtempSync(path.join(work, 'm'))).writeFile(`/f${round}`, 'x'.repeat(5000 * round));
        await burnOverlay(model, overlay);
        await overlay.close();
        await medium.close();
      }
      const full = await Drive.inspect(model);
      const fallback = await Drive.inspect(new NoTrackInformation(model));
      assert.deepEqual(fallback.sessions.map((x) => x.startLba), full.sessions.map((x) => x.startLba));
      assert.equal(fallback.appendable, false, 'without track information there is no NWA to write at');
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  it('reports an empty tray, a blank disc and the write unit of overwritable media', async () => {
    await assert.rejects(Drive.inspect(new DriveModel({})), (e: unknown) => e instanceof DiscfsError && e.code === 'DRIVE_NO_MEDIUM');
    const blank = await Drive.inspect(new DriveModel({ medium: 'bd-r', capacityBlocks: 1000 }));
    assert.deepEqual([blank.discStatus, blank.sessions.length, blank.nextWritableAddress, blank.freeBlocks, blank.appendable], ['blank', 0, 0, 1000, true]);
    assert.equal(blank.readableBlocks, 0, 'a blank disc has nothing to read (READ CAPACITY says LBA 0)');
    const bdre = await Drive.inspect(new DriveModel({ medium: 'bd-re', capacityBlocks: 1024 }));
    assert.deepEqual([bdre.procedure, bdre.writeUnitBlocks, bdre.readableBlocks], ['overwrite', 32, 1024]);
  });
});
