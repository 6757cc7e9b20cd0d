// Three rounds of mount -> change -> burn on every medium of the drive model; each session extracted by osirrox
// from the model's recorded blocks must equal what was staged in its round.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Drive } from '../../src/drive/drive';
import type { ModelMedium } from '../helpers/drive-model/disc-state';
import { DriveModel } from '../helpers/drive-model/drive-model';
import { burnOverlay, Changer, dumpImage, mirrorListing, mountModel } from '../helpers/drive-model/burn-rounds';
import { extractedListing } from '../helpers/oracle';
import { formatDiff, type Entry } from '../helpers/listing';

const FIELDS = ['type', 'size', 'mode', 'target', 'sha256'] as const;

function bytes(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** Round n's changes: new files, a copy-up by pwrite, a rename, a delete. */
const ROUNDS: ((c: Changer) => Promise<void>)[] = [
  async (c) => {
    await c.mkdir('/docs');
    await c.writeFile('/docs/a.txt', 'alpha\n');
    await c.writeFile('/big.bin', bytes(300_000, 1));
    await c.symlink('docs/a.txt', '/link');
  },
  async (c) => {
    await c.writeFile('/docs/b.txt', 'beta\n');
    await c.pwrite('/big.bin', 'PATCHED', 123_456);
    await c.mkdir('/r2');
    await c.writeFile('/r2/empty', '');
  },
  async (c) => {
    await c.rename('/docs', '/papers');
    await c.unlink('/link');
    await c.writeFile('/r3.txt', bytes(5000, 3));
  },
];

const MEDIA: { medium: ModelMedium; firstStart: number }[] = [
  { medium: 'cd-r', firstStart: 0 },
  { medium: 'dvd+r', firstStart: 0 },
  { medium: 'dvd-r', firstStart: 0 },
  { medium: 'bd-r', firstStart: 0 },
  { medium: 'dvd+rw', firstStart: 32 },
  { medium: 'bd-re', firstStart: 32 },
];

describe('multisession burns on every medium of the drive model', () => {
  let work: string;
  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'discfs-drive-burn-'));
  });
  after(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  for (const { medium, firstStart } of MEDIA) {
    it(`${medium}: three sessions, each one equal to its round's staging`, { timeout: 50_000 }, async () => {
      const model = new DriveModel({ medium, capacityBlocks: 400_000, strictWriteParameters: true, unformatted: medium === 'bd-re' });
      const dir = path.join(work, medium.replace('+', 'plus'));
      const mirror = path.join(dir, 'mirror');
      fs.mkdirSync(mirror, { recursive: true });
      const expected: Entry[][] = [];
      const starts: number[] = [];
      for (let round = 0; round < ROUNDS.length; round++) {
        const { medium: m, overlay } = await mountModel(model, path.join(dir, `staging${round}`), `${medium}-${round}`);
        try {
          await ROUNDS[round](new Changer(overlay, mirror));
          const result = await burnOverlay(model, overlay);
          assert.equal(result.verified, true);
          assert.equal(result.sessionNumber, round + 1);
          starts.push(result.startLba);
        } finally {
          await overlay.close();
          await m.close();
        }
        expected.push(await mirrorListing(mirror));
        assert.equal(model.locked, false, 'the tray is unlocked after the burn');
      }
      assert.equal(starts[0], firstStart);
      assert.ok(starts[1] > starts[0] && starts[2] > starts[1]);
      assert.deepEqual(model.lockHistory, [true, false, true, false, true, false], 'locked during each burn');
      const state = await Drive.inspect(model);
      assert.equal(state.appendable, true);
      if (state.procedure !== 'overwrite') assert.deepEqual(state.sessions.map((s) => s.startLba), starts);
      const image = path.join(dir, 'disc.img');
      dumpImage(model, image);
      for (let i = 0; i < starts.length; i++) {
        const got = await extractedListing(image, { session: starts[i] });
        assert.equal(formatDiff(expected[i], got, { fields: FIELDS }), '', `${medium} session ${i + 1} at LBA ${starts[i]}`);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    });
  }
});
