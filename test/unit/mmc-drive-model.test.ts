// The mmc layer driven against the software drive: DVD+R and CD-R session append, state reports, faults and retries.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeTrackSession, CLOSE_FUNCTION } from '../../src/mmc/close-track-session';
import { currentProfile, getConfiguration, parseProfileList, findFeature, FEATURE } from '../../src/mmc/get-configuration';
import { inquiry } from '../../src/mmc/inquiry';
import { modeSense10, modeSelect10, parseWriteParameters, encodeWriteParameters, MODE_PAGE, WRITE_TYPE } from '../../src/mmc/mode-pages';
import { readCapacity } from '../../src/mmc/read-capacity';
import { readDiscInformation } from '../../src/mmc/read-disc-information';
import { readFullToc, readSessionInfo, readToc, msfToLba } from '../../src/mmc/read-toc';
import { INVISIBLE_TRACK, readTrackInformation } from '../../src/mmc/read-track-information';
import { readBlocks, writeBlocks } from '../../src/mmc/read-write';
import { reserveTrack } from '../../src/mmc/reserve-track';
import { synchronizeCache } from '../../src/mmc/synchronize-cache';
import { testUnitReady } from '../../src/mmc/test-unit-ready';
import { waitUntilReady, withRetry } from '../../src/mmc/retry';
import { ScsiError } from '../../src/mmc/scsi-error';
import { PROFILE } from '../../src/mmc/profiles';
import type { Transport } from '../../src/mmc/transport';
import { DriveModel } from '../helpers/drive-model/drive-model';

const noSleep = async (): Promise<void> => {};
const pattern = (blocks: number, seed: number): Buffer => {
  const b = Buffer.alloc(blocks * 2048);
  for (let i = 0; i < b.length; i++) b[i] = (i * 31 + seed * 7) & 0xff;
  return b;
};

/** The DVD+R append sequence of docs/mmc.md: NWA from the invisible track, WRITE, SYNC CACHE, CLOSE TRACK, CLOSE SESSION. */
async function appendSession(t: Transport, data: Buffer): Promise<number> {
  const invisible = await readTrackInformation(t, 'track', INVISIBLE_TRACK);
  assert.ok(invisible.nextWritableAddress !== undefined);
  const nwa = invisible.nextWritableAddress;
  for (let off = 0; off < data.length; off += 16 * 2048) {
    await writeBlocks(t, nwa + off / 2048, data.subarray(off, Math.min(data.length, off + 16 * 2048)));
  }
  await synchronizeCache(t);
  await closeTrackSession(t, CLOSE_FUNCTION.track, invisible.track);
  await closeTrackSession(t, CLOSE_FUNCTION.session);
  return nwa;
}

describe('drive model through the mmc layer: DVD+R', () => {
  it('identifies as an MMC drive with DVD+R current', async () => {
    const t = new DriveModel({ medium: 'dvd+r', capacityBlocks: 100_000 });
    assert.equal((await inquiry(t)).peripheralType, 5);
    assert.equal(await currentProfile(t), PROFILE.dvdPlusR);
    const config = await getConfiguration(t);
    const list = parseProfileList(findFeature(config, FEATURE.profileList)!);
    assert.deepEqual(list.filter((p) => p.current).map((p) => p.profile), [PROFILE.dvdPlusR]);
  });

  it('blank → appendable with two sessions, data read back, NWA and free blocks consistent', async () => {
    const t = new DriveModel({ medium: 'dvd+r', capacityBlocks: 100_000 });
    const blank = await readDiscInformation(t);
    assert.equal(blank.discStatus, 'blank');
    const first = pattern(40, 1);
    assert.equal(await appendSession(t, first), 0);
    let info = await readDiscInformation(t);
    assert.equal(info.discStatus, 'appendable');
    assert.equal(info.sessions, 2, 'the empty next session is counted');
    const invisible = await readTrackInformation(t, 'track', INVISIBLE_TRACK);
    assert.equal(invisible.track, 2);
    assert.equal(invisible.nextWritableAddress, 48, 'next session at the next 16-block boundary');
    assert.equal(invisible.freeBlocks, 100_000 - 48);
    const second = pattern(20, 2);
    assert.equal(await appendSession(t, second), 48);
    info = await readDiscInformation(t);
    assert.equal(info.sessions, 3);
    const session = await readSessionInfo(t);
    assert.deepEqual([session.lastCompleteSession, session.firstTrackInLastSession, session.lastSessionStart], [2, 2, 48]);
    const toc = await readToc(t);
    assert.deepEqual(toc.tracks.map((x) => [x.track, x.address]), [[1, 0], [2, 48], [0xaa, 68]]);
    assert.deepEqual(await readBlocks(t, 0, 40), first);
    assert.deepEqual(await readBlocks(t, 48, 20), second);
    assert.equal((await readCapacity(t)).lastLba, 67);
    const track1 = await readTrackInformation(t, 'track', 1);
    assert.deepEqual([track1.size, track1.nextWritableAddress, track1.lastRecordedAddress], [40, undefined, 39]);
  });

  it('finalizing makes the disc complete and refuses further writes with a named error', async () => {
    const t = new DriveModel({ medium: 'dvd+r', capacityBlocks: 10_000 });
    await writeBlocks(t, 0, pattern(16, 3));
    await closeTrackSession(t, CLOSE_FUNCTION.finalizeDisc);
    assert.equal((await readDiscInformation(t)).discStatus, 'complete');
    await assert.rejects(writeBlocks(t, 16, pattern(1, 3)), (e: unknown) =>
      e instanceof ScsiError && e.opcodeName === 'WRITE(10)' && e.is(5, 0x30, 0x05));
  });

  it('a WRITE away from the NWA and unsupported RESERVE TRACK are reported as ILLEGAL REQUEST', async () => {
    const t = new DriveModel({ medium: 'dvd+r', capacityBlocks: 10_000 });
    await assert.rejects(writeBlocks(t, 5, pattern(1, 0)), (e: unknown) => e instanceof ScsiError && e.is(5, 0x21, 0x02));
    await assert.rejects(reserveTrack(t, 100), (e: unknown) => e instanceof ScsiError && e.isInvalidOpcode && !e.recoverable);
  });

  it('write error at an LBA: blocks before it are recorded, the error names the LBA', async () => {
    const t = new DriveModel({ medium: 'dvd+r', capacityBlocks: 10_000 });
    t.faults.writeErrorAt = 20;
    await writeBlocks(t, 0, pattern(16, 4));
    await assert.rejects(writeBlocks(t, 16, pattern(16, 4)), (e: unknown) =>
      e instanceof ScsiError && e.is(3, 0x0c, 0) && e.sense?.information === 20 && /write error/.test(e.message));
    const invisible = await readTrackInformation(t, 'track', INVISIBLE_TRACK);
    assert.equal(invisible.nextWritableAddress, 20);
  });

  it('MODE SENSE/SELECT page 05h round trip', async () => {
    const t = new DriveModel({ medium: 'dvd+r' });
    const page = await modeSense10(t, MODE_PAGE.writeParameters);
    assert.ok(page);
    const wp = parseWriteParameters(page);
    await modeSelect10(t, encodeWriteParameters(page, { ...wp, writeType: WRITE_TYPE.trackAtOnce, testWrite: true }));
    const again = parseWriteParameters((await modeSense10(t, MODE_PAGE.writeParameters))!);
    assert.deepEqual([again.writeType, again.testWrite], [WRITE_TYPE.trackAtOnce, true]);
  });

  it('padded replies (residual lost) decode the same as exact ones', async () => {
    const t = new DriveModel({ medium: 'dvd+r', capacityBlocks: 10_000, padReplies: true });
    await appendSession(t, pattern(16, 5));
    const info = await readDiscInformation(t);
    assert.deepEqual([info.discStatus, info.sessions], ['appendable', 2]);
    assert.equal((await readToc(t)).tracks.length, 2);
    assert.equal(await currentProfile(t), PROFILE.dvdPlusR);
  });
});

describe('drive model through the mmc layer: CD-R', () => {
  it('multisession CD-R: lead-in/out overhead between sessions, full TOC points', async () => {
    const t = new DriveModel({ medium: 'cd-r', capacityBlocks: 359_847, descriptorSense: true });
    assert.equal(await currentProfile(t), PROFILE.cdR);
    await appendSession(t, pattern(30, 6));
    const nwa = (await readTrackInformation(t, 'track', INVISIBLE_TRACK)).nextWritableAddress;
    assert.equal(nwa, 30 + 11400);
    await appendSession(t, pattern(10, 7));
    const full = await readFullToc(t);
    const a2 = full.entries.filter((e) => e.point === 0xa2).map((e) => msfToLba(e.ptime.minute, e.ptime.second, e.ptime.frame));
    assert.deepEqual(a2, [30, 11440]);
    assert.deepEqual(full.entries.filter((e) => e.point < 0xa0).map((e) => [e.session, e.point]), [[1, 1], [2, 2]]);
  });
});

describe('faults and retries', () => {
  it('no medium: TEST UNIT READY and READ DISC INFORMATION fail with 2/3A/00, not retried', async () => {
    const t = new DriveModel({});
    let attempts = 0;
    await assert.rejects(withRetry(async () => { attempts++; await testUnitReady(t); }, { attempts: 5, delayMs: 1, sleep: noSleep }),
      (e: unknown) => e instanceof ScsiError && e.isNoMedium && e.code === 'SCSI_NO_MEDIUM');
    assert.equal(attempts, 1);
    await assert.rejects(readDiscInformation(t), (e: unknown) => e instanceof ScsiError && /no medium present/.test(e.message));
    assert.equal((await inquiry(t)).peripheralType, 5, 'INQUIRY works without a medium');
  });

  it('unit attention after a medium change and becoming ready are retried within the bound', async () => {
    const t = new DriveModel({ medium: 'dvd+r' });
    t.load('cd-r');
    t.faults.notReady = 2;
    const retries: string[] = [];
    const profile = await withRetry(() => currentProfile(t), {
      attempts: 4, delayMs: 10, sleep: noSleep, onRetry: (e) => retries.push(`${e.senseKey}/${e.asc}`),
    });
    assert.equal(profile, PROFILE.cdR);
    assert.deepEqual(retries, ['6/40', '2/4', '2/4']);
  });

  it('gives up after the bound and rethrows the last error', async () => {
    const t = new DriveModel({ medium: 'dvd+r' });
    t.faults.notReady = 10;
    await assert.rejects(withRetry(() => testUnitReady(t), { attempts: 3, delayMs: 1, sleep: noSleep }),
      (e: unknown) => e instanceof ScsiError && e.isBecomingReady);
    assert.equal(t.faults.notReady, 7);
  });

  it('IMMED close is followed by polling until the drive is ready', async () => {
    const t = new DriveModel({ medium: 'dvd+r', capacityBlocks: 10_000 });
    await writeBlocks(t, 0, pattern(16, 8));
    await closeTrackSession(t, CLOSE_FUNCTION.session, 0, true);
    const slept: number[] = [];
    await waitUntilReady(t, { intervalMs: 250, timeoutMs: 5000, sleep: async (ms) => { slept.push(ms); } });
    assert.deepEqual(slept, [250, 250]);
    assert.equal((await readDiscInformation(t)).discStatus, 'appendable');
  });

  it('polling times out with a bounded number of attempts', async () => {
    const t = new DriveModel({ medium: 'dvd+r' });
    t.faults.notReady = 1000;
    await assert.rejects(waitUntilReady(t, { intervalMs: 100, timeoutMs: 300, sleep: noSleep }), (e: unknown) =>
      e instanceof ScsiError && e.isBecomingReady);
    assert.equal(t.faults.notReady, 996);
  });
});
