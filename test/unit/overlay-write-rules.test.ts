// Writes and the fast path: setuid/setgid cleared as Linux does, and lazily recorded sizes surviving a crash.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs, { constants as C } from 'node:fs';
import path from 'node:path';
import { OverlayFs } from '../../src/overlay/overlay-fs';
import { makeOverlay, readFile, ROOT, writeFile, type OverlayHarness } from './overlay-fixture';

const USER = { uid: 65534, gid: 65534, pid: 2 };

async function writeAs(o: OverlayFs, p: string, caller: typeof USER, data: string, position = 0): Promise<void> {
  const fh = await o.open(p, C.O_WRONLY, caller);
  try {
    await o.write(p, fh, Buffer.from(data), data.length, position);
  } finally {
    await o.release(p, fh);
  }
}

const perm = async (o: OverlayFs, p: string): Promise<number> => (await o.getattr(p, ROOT)).mode & 0o7777;

describe('overlay: setuid and setgid', () => {
  let h: OverlayHarness;
  before(async () => (h = await makeOverlay()));
  after(async () => h.cleanup());

  it('a write by a non-root opener clears setuid, and setgid when group-executable', async () => {
    await writeFile(h.fs, '/s1', 'x');
    await h.fs.chmod('/s1', 0o6777, ROOT);
    await writeAs(h.fs, '/s1', USER, 'more', 1);
    assert.equal(await perm(h.fs, '/s1'), 0o777);
    await writeFile(h.fs, '/s2', 'x');
    await h.fs.chmod('/s2', 0o6767, ROOT);
    await writeAs(h.fs, '/s2', USER, 'y');
    assert.equal(await perm(h.fs, '/s2'), 0o2767, 'setgid without group exec marks locking and stays');
  });

  it('root keeps them on write; a non-root truncate clears them', async () => {
    await writeFile(h.fs, '/s3', 'x');
    await h.fs.chmod('/s3', 0o6777, ROOT);
    await writeAs(h.fs, '/s3', ROOT, 'yy');
    assert.equal(await perm(h.fs, '/s3'), 0o6777);
    await h.fs.truncate('/s3', 1, USER);
    assert.equal(await perm(h.fs, '/s3'), 0o777);
  });

  it('chown of a file clears them (by root too), of a directory not', async () => {
    await writeFile(h.fs, '/s4', 'x');
    await h.fs.chmod('/s4', 0o6755, ROOT);
    await h.fs.chown('/s4', -1, -1, ROOT);
    assert.equal(await perm(h.fs, '/s4'), 0o755);
    await h.fs.mkdir('/d4', 0o2755, ROOT);
    await h.fs.chown('/d4', 5, 5, ROOT);
    assert.equal(await perm(h.fs, '/d4'), 0o2755);
  });
});

describe('overlay: lazily recorded sizes', () => {
  let h: OverlayHarness;
  before(async () => (h = await makeOverlay()));
  after(async () => h.cleanup());

  it('a copy of the staging dir taken while writing (a killed daemon) has every returned write', async () => {
    await writeFile(h.fs, '/grow', 'a');
    const fh = await h.fs.open('/grow', C.O_WRONLY | C.O_APPEND, ROOT);
    const chunk = Buffer.alloc(10_000, 0x62);
    for (let i = 0; i < 5; i++) await h.fs.write('/grow', fh, chunk, chunk.length, 0);
    // Still open, nothing flushed: what a kill -9 leaves is the database as committed plus the data files.
    const copy = path.join(h.dir, 'crashed');
    fs.cpSync(h.options.stagingDir, copy, { recursive: true });
    await h.fs.release('/grow', fh);
    const reopened = await OverlayFs.open({ ...h.options, stagingDir: copy });
    try {
      assert.equal((await reopened.getattr('/grow', ROOT)).size, 50_001);
      const content = await readFile(reopened, '/grow');
      assert.equal(content.subarray(1).every((b) => b === 0x62), true);
    } finally {
      await reopened.close();
    }
    assert.equal((await h.reopen().then((o) => o.getattr('/grow', ROOT))).size, 50_001);
  });
});
