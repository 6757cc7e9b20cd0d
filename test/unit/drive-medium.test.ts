// DriveMedium on the drive model: a blank disc reads as empty, and a grown image burnt as one TOC session at
// LBA 0 lists the sessions of its emulated TOC (libisoburn's rule for ROM media), as xorriso -toc does on the file.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DriveMedium } from '../../src/drive/drive-medium';
import { findSessions } from '../../src/session/find-sessions';
import { listSessions } from '../../src/tree/iso-volume';
import { adjustForDrive, writableOverlayOptions, type MountRequest } from '../../src/cli/mount-runner';
import { createLog } from '../../src/cli/log';
import { DriveModel } from '../helpers/drive-model/drive-model';
import { MODEL_BLOCK } from '../helpers/drive-model/disc-state';
import { fixture } from '../helpers/fixtures';
import { tocSessions } from '../helpers/oracle';

/** Records `image` as the disc's only track and session, finalised: what tgt shows after one burn, or a pressed disc. */
function pressed(image: Buffer, close: 'finalize' | 'none' = 'finalize'): DriveModel {
  const blocks = Math.ceil(image.length / MODEL_BLOCK);
  const model = new DriveModel({ medium: 'dvd+r', capacityBlocks: blocks + 1000 });
  const disc = model.disc;
  assert.ok(disc);
  const padded = Buffer.alloc(blocks * MODEL_BLOCK);
  image.copy(padded);
  disc.write(0, Array.from({ length: blocks }, (_, i) => padded.subarray(i * MODEL_BLOCK, (i + 1) * MODEL_BLOCK)));
  if (close === 'finalize') disc.closeSession(true);
  return model;
}

function request(source: string, staging: string): MountRequest {
  return { source, mountpoint: '/nonexistent', readOnly: false, options: [], keepOwners: false, staging };
}

describe('DriveMedium', () => {
  let work = '';
  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'discfs-drive-medium-'));
  });
  after(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('a blank DVD+R has 0 readable blocks and its overlay takes capacity and free space from the track information', async () => {
    const medium = await DriveMedium.open(new DriveModel({ medium: 'dvd+r', capacityBlocks: 5000 }));
    try {
      assert.equal(medium.blocks, 0);
      assert.equal(medium.sessionStarts, undefined);
      const { options, byPath } = await writableOverlayOptions(request('/dev/sr-model', path.join(work, 'blank')), medium, undefined);
      assert.equal(byPath, true);
      assert.equal(options.lower, null);
      assert.deepEqual(options.capacity, { blocks: 5000, freeBlocks: 5000 });
    } finally {
      await medium.close();
    }
  });

  it('a grown image as one TOC session at LBA 0: the emulated TOC chain is the session list (xorriso -toc)', async () => {
    const image = await fixture('xorriso-grown');
    const medium = await DriveMedium.open(pressed(fs.readFileSync(image)));
    try {
      assert.equal(medium.sessionStarts, undefined, 'the TOC session at 0 must not hide the emulated TOC');
      const found = await findSessions(medium);
      const toc = await tocSessions(image);
      assert.equal(found.method, 'emulated-toc');
      assert.deepEqual(found.sessions.map((s) => [s.startLba, s.blocks]), toc.map((s) => [s.start, s.blocks]));
      assert.deepEqual((await listSessions(medium)).map((s) => s.startLba), [32, 288, 352]);
    } finally {
      await medium.close();
    }
  });

  it('a plain single-session image at LBA 0 stays one session at 0 (no chain behind LBA 32)', async () => {
    const image = await fixture('genisoimage-level4');
    const medium = await DriveMedium.open(pressed(fs.readFileSync(image)));
    try {
      assert.deepEqual(medium.sessionStarts, [0]);
      assert.deepEqual((await findSessions(medium)).sessions.map((s) => s.startLba), [0]);
    } finally {
      await medium.close();
    }
  });

  it('a closed (finalised) disc mounts read-only with a notice that says why', async () => {
    const medium = await DriveMedium.open(pressed(fs.readFileSync(await fixture('genisoimage-level4'))));
    try {
      const log = createLog(path.join(work, 'closed.log'));
      const req = adjustForDrive(request('/dev/sr-model', path.join(work, 'closed')), medium, log);
      assert.equal(req.readOnly, true);
      assert.equal(log.notices.length, 1);
      assert.match(log.notices[0], /closed \(finalized\).*mounting read-only/);
    } finally {
      await medium.close();
    }
  });

  it('an interrupted burn (a track never closed) is reported with the command that closes it, and mounts read-only', async () => {
    const medium = await DriveMedium.open(pressed(fs.readFileSync(await fixture('genisoimage-level4')), 'none'));
    try {
      assert.ok(medium.state.incomplete);
      const log = createLog(path.join(work, 'interrupted.log'));
      const req = adjustForDrive(request('/dev/sr-model', path.join(work, 'interrupted')), medium, log);
      assert.equal(req.readOnly, true);
      assert.match(log.notices.join('\n'), /interrupted burn left track 1 of session 1 open .*discfs close-session \/dev\/sr-model/);
      assert.match(log.notices.join('\n'), /never closed.*mounting read-only/);
    } finally {
      await medium.close();
    }
  });

  it('an appendable disc keeps its writable mount and prints nothing', async () => {
    const medium = await DriveMedium.open(new DriveModel({ medium: 'bd-r', capacityBlocks: 5000 }));
    try {
      const log = createLog(path.join(work, 'blank.log'));
      const req = request('/dev/sr-model', path.join(work, 'blank-bd'));
      assert.equal(adjustForDrive(req, medium, log), req);
      assert.deepEqual(log.notices, []);
    } finally {
      await medium.close();
    }
  });
});
