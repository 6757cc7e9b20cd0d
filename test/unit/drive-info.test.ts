// `discfs info` on a drive: inspectDriveInfo over the drive model (blank, appendable with 2 sessions, closed DVD+R;
// CD-R; BD-RE; an interrupted burn; an empty tray) and the human table drawn from it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspectDriveInfo, type DriveInfo } from '../../src/cli/drive-info';
import { renderDrive } from '../../src/cli/commands/info';
import type { BurnOptions } from '../../src/drive/session-writer';
import { DriveModel, type DriveModelOptions } from '../helpers/drive-model/drive-model';
import { burnOverlay, Changer, mountModel } from '../helpers/drive-model/burn-rounds';

let work = '';
let round = 0;

/** One burn with one new file, as a mount + copy + unmount would do it. */
async function burn(model: DriveModel, extra: Partial<BurnOptions> = {}): Promise<void> {
  round++;
  const mirror = path.join(work, `mirror${round}`);
  fs.mkdirSync(mirror);
  const { medium, overlay } = await mountModel(model, path.join(work, `staging${round}`), `info-${round}`);
  try {
    await new Changer(overlay, mirror).writeFile(`/file${round}.txt`, `round ${round}\n`);
    await burnOverlay(model, overlay, extra);
  } finally {
    await overlay.close();
    await medium.close();
  }
}

async function info(options: DriveModelOptions, burns = 0, lastExtra: Partial<BurnOptions> = {}): Promise<{ model: DriveModel; d: DriveInfo }> {
  const model = new DriveModel({ strictWriteParameters: true, capacityBlocks: 100_000, ...options });
  for (let i = 0; i < burns; i++) await burn(model, i === burns - 1 ? lastExtra : {});
  return { model, d: await inspectDriveInfo(model) };
}

describe('discfs info on a drive', () => {
  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'discfs-drive-info-'));
  });
  after(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('a blank DVD+R: INQUIRY identity, profile, blank, every block free, appendable at LBA 0', async () => {
    const { d } = await info({ medium: 'dvd+r' });
    assert.equal(d.vendor, 'DISCFS');
    assert.equal(d.model, 'DRIVE MODEL');
    assert.equal(d.revision, '1.0');
    assert.equal(d.mediaType, 'DVD+R');
    assert.equal(d.discStatus, 'blank');
    assert.deepEqual(d.sessions, []);
    assert.equal(d.capacityBlocks, 100_000);
    assert.equal(d.freeBlocks, 100_000);
    assert.equal(d.appendable, true);
    assert.equal(d.nextWritableAddress, 0);
    assert.equal(d.interruptedBurn, undefined);
    const text = renderDrive('/dev/sr0', d);
    assert.match(text, /^drive: +\/dev\/sr0: DISCFS DRIVE MODEL 1\.0$/m);
    assert.match(text, /^media: +DVD\+R \(blank\)$/m);
    assert.match(text, /^append: +appendable; the next session starts at LBA 0$/m);
  });

  it('a DVD+R with 2 sessions: appendable, both sessions listed as `discfs sessions` does, free = capacity - NWA', async () => {
    const { d } = await info({ medium: 'dvd+r' }, 2);
    assert.equal(d.discStatus, 'appendable');
    assert.equal(d.appendable, true);
    const sessions = d.sessions ?? [];
    assert.deepEqual(sessions.map((s) => s.number), [1, 2]);
    assert.equal(sessions[0].startLba, 0);
    assert.ok(sessions[1].startLba >= sessions[0].blocks, JSON.stringify(sessions));
    assert.ok(d.nextWritableAddress !== undefined && d.nextWritableAddress >= sessions[1].startLba + sessions[1].blocks);
    assert.equal(d.freeBlocks, 100_000 - (d.nextWritableAddress ?? 0));
    assert.equal(d.capacityBlocks, 100_000);
    const text = renderDrive('/dev/sr0', d);
    assert.match(text, /^sessions: +2$/m);
    assert.match(text, /^# +start +blocks/m);
  });

  it('a closed DVD+R: complete, cannot append and says why, sessions still listed', async () => {
    const { d } = await info({ medium: 'dvd+r' }, 1, { finalize: true });
    assert.equal(d.discStatus, 'complete');
    assert.equal(d.appendable, false);
    assert.match(d.notAppendableReason ?? '', /closed/);
    assert.equal(d.sessions?.length, 1);
    assert.equal(d.freeBlocks, 0);
    assert.match(renderDrive('/dev/sr0', d), /^append: +cannot append: the disc is closed/m);
  });

  it('a CD-R with one session: CD-R, appendable, one session', async () => {
    const { d } = await info({ medium: 'cd-r' }, 1);
    assert.equal(d.mediaType, 'CD-R');
    assert.equal(d.discStatus, 'appendable');
    assert.equal(d.appendable, true);
    assert.equal(d.sessions?.length, 1);
    assert.ok((d.freeBlocks ?? 0) > 0 && (d.freeBlocks ?? 0) < 100_000);
  });

  it('a BD-RE with a session: overwritable, capacity is the formatted size, free after the last session', async () => {
    const { d } = await info({ medium: 'bd-re' }, 1);
    assert.equal(d.mediaType, 'BD-RE');
    assert.equal(d.appendable, true);
    const sessions = d.sessions ?? [];
    assert.equal(sessions.length, 1);
    assert.equal(sessions[0].startLba, 32);
    assert.equal(d.capacityBlocks, 100_000);
    assert.equal(d.freeBlocks, 100_000 - (sessions[0].startLba + sessions[0].blocks));
  });

  it('an interrupted burn (data written, track never closed) is reported with the way to close it', async () => {
    const model = new DriveModel({ medium: 'dvd+r', capacityBlocks: 100_000 });
    await burn(model);
    const disc = model.disc;
    assert.ok(disc);
    disc.write(disc.nextWritable, [Buffer.alloc(2048, 1), Buffer.alloc(2048, 2)]);
    const d = await inspectDriveInfo(model);
    assert.equal(d.appendable, false);
    assert.ok(d.interruptedBurn, JSON.stringify(d));
    assert.equal(d.interruptedBurn.blocks, 2);
    assert.equal(d.sessions?.length, 1);
    assert.match(renderDrive('/dev/sr0', d), /^interrupted: +track \d+ of session 2 .*discfs close-session \/dev\/sr0/m);
  });

  it('an empty tray: identity only, media none', async () => {
    const d = await inspectDriveInfo(new DriveModel({}));
    assert.equal(d.vendor, 'DISCFS');
    assert.equal(d.mediaType, undefined);
    assert.match(renderDrive('/dev/sr0', d), /^media: +none$/m);
  });
});
