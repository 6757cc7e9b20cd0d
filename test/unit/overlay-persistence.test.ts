// The staged state survives closing and reopening the staging dir; discard() drops it.

import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CHUNK_SIZE } from '../../src/overlay/content-store';
import { makeOverlay, names, pwrite, readFile, ROOT, snapshot, writeFile, type OverlayHarness } from './overlay-fixture';

async function stageMany(h: OverlayHarness): Promise<void> {
  await h.fs.mkdir('/new', 0o750, ROOT);
  await writeFile(h.fs, '/new/file', 'content');
  await h.fs.symlink('../hello.txt', '/new/sym', ROOT);
  await h.fs.link('/hello.txt', '/new/hl', ROOT);
  await h.fs.rename('/docs', '/new/docs', ROOT);
  await h.fs.unlink('/new/docs/a.txt', ROOT);
  await pwrite(h.fs, '/big', 'chunk', 5 * CHUNK_SIZE + 1);
  await pwrite(h.fs, '/hello.txt', '!', 0);
  await h.fs.chmod('/hard1', 0o400, ROOT);
  await h.fs.utimens('/empty', { sec: 1, nsec: 2 }, { sec: 3, nsec: 4 }, ROOT);
}

describe('overlay: persistence', () => {
  let h: OverlayHarness;
  beforeEach(async () => (h = await makeOverlay()));
  afterEach(async () => h.cleanup());

  it('reopening shows exactly the staged state', async () => {
    await stageMany(h);
    const before = await snapshot(h.fs);
    const times = await h.fs.getattr('/empty', ROOT);
    await h.reopen();
    assert.deepEqual(await snapshot(h.fs), before);
    const again = await h.fs.getattr('/empty', ROOT);
    assert.deepEqual([again.atime, again.mtime], [times.atime, times.mtime]);
    assert.equal((await readFile(h.fs, '/new/hl')).toString(), '!ello from the disc\n');
  });

  it('discard() drops every staged change and its data files', async () => {
    const pristine = await snapshot(h.fs);
    await stageMany(h);
    await h.fs.discard();
    assert.deepEqual(await snapshot(h.fs), pristine);
    assert.deepEqual(fs.readdirSync(path.join(h.options.stagingDir, 'data')), []);
    await h.reopen();
    assert.deepEqual(await snapshot(h.fs), pristine);
    assert.deepEqual(await h.fs.changes(), []);
  });

  it('lists the changes for the engine', async () => {
    await stageMany(h);
    const list = (await h.fs.changes()).map((c) => `${c.change} /${c.path.map((n) => n.toString()).join('/')}`).sort();
    assert.deepEqual(list, [
      'added /new',
      'added /new/file',
      'added /new/hl',
      'added /new/sym',
      'changed /big',
      'changed /empty',
      'changed /hard1',
      'changed /hard2',
      'changed /hello.txt',
      'changed /new/docs',
      'changed /new/hl',
      'deleted /new/docs/a.txt',
      'renamed /new/docs',
    ]);
    assert.deepEqual(await names(h.fs, '/new/docs'), ['b.txt', 'sub']);
  });
});
