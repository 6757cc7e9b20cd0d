// Copy-up of lower files: appended to and pwrite-ed into (never rewritten whole), chunk by chunk for big files.

import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs, { constants as C } from 'node:fs';
import path from 'node:path';
import { CHUNK_SIZE } from '../../src/overlay/content-store';
import { walkSourceTree } from '../../src/engine/source-tree';
import { makeOverlay, pwrite, readFile, ROOT, type OverlayHarness } from './overlay-fixture';

describe('overlay: copy-up', () => {
  let h: OverlayHarness;
  beforeEach(async () => (h = await makeOverlay()));
  afterEach(async () => h.cleanup());

  const dataFile = (ino: bigint): string => path.join(h.options.stagingDir, 'data', ino.toString());

  it('appends to a small lower file', async () => {
    await pwrite(h.fs, '/hello.txt', 'more\n', 0, C.O_WRONLY | C.O_APPEND);
    assert.equal((await readFile(h.fs, '/hello.txt')).toString(), 'hello from the disc\nmore\n');
  });

  it('pwrites into the middle of a small lower file, keeping the bytes around it', async () => {
    await pwrite(h.fs, '/docs/b.txt', 'X', 1);
    assert.equal((await readFile(h.fs, '/docs/b.txt')).toString(), 'bXbb');
    await pwrite(h.fs, '/docs/b.txt', 'Z', 6);
    assert.deepEqual(await readFile(h.fs, '/docs/b.txt'), Buffer.from('bXbb\0\0Z'));
  });

  it('copies only the touched chunks of a big lower file', async () => {
    const expected = Buffer.from(h.lower.contentOf('/big'));
    const at = 3 * CHUNK_SIZE + 100;
    await pwrite(h.fs, '/big', 'PATCH', at);
    expected.write('PATCH', at);
    assert.ok((await readFile(h.fs, '/big')).equals(expected));
    const ino = (await h.fs.getattr('/big', ROOT)).ino;
    const allocated = fs.statSync(dataFile(ino)).blocks * 512;
    assert.ok(allocated <= 2 * CHUNK_SIZE, `data file holds ${allocated} bytes`);
    const [change] = await h.fs.changes();
    assert.equal(change.change, 'changed');
    assert.equal(change.contentChanged, true);
  });

  it('writes across a chunk boundary and appends past the end of a big file', async () => {
    const expected = Buffer.from(h.lower.contentOf('/big'));
    const at = 2 * CHUNK_SIZE - 3;
    await pwrite(h.fs, '/big', 'ACROSS', at);
    expected.write('ACROSS', at);
    await pwrite(h.fs, '/big', 'TAIL', 0, C.O_WRONLY | C.O_APPEND);
    const all = Buffer.concat([expected, Buffer.from('TAIL')]);
    assert.ok((await readFile(h.fs, '/big')).equals(all));
  });

  it('truncating a big lower file down and up again reads zeros, and the commit sees the merged bytes', async () => {
    const orig = h.lower.contentOf('/big');
    const cut = 4 * CHUNK_SIZE + 777;
    await h.fs.truncate('/big', cut, ROOT);
    await h.fs.truncate('/big', orig.length, ROOT);
    await pwrite(h.fs, '/big', 'Q', 10);
    const expected = Buffer.concat([orig.subarray(0, cut), Buffer.alloc(orig.length - cut)]);
    expected.write('Q', 10);
    assert.ok((await readFile(h.fs, '/big')).equals(expected));
    const tree = await h.fs.mergedTree();
    const big = [...walkSourceTree(tree.root)].find((e) => e.entry.name.toString() === 'big')?.entry;
    assert.equal(big?.content?.from, 'local');
    const p = big?.content?.from === 'local' ? big.content.path : '';
    assert.ok(fs.readFileSync(p).equals(expected));
    assert.ok((await readFile(h.fs, '/big')).equals(expected));
  });

  it('the untouched lower content stays on the medium (old extents in the merged tree)', async () => {
    await pwrite(h.fs, '/docs/a.txt', 'A', 0);
    const tree = await h.fs.mergedTree();
    const byName = new Map([...walkSourceTree(tree.root)].map((e) => [e.path.map((n) => n.toString()).join('/'), e.entry]));
    assert.equal(byName.get('docs/b.txt')?.content?.from, 'old');
    assert.equal(byName.get('docs/a.txt')?.content?.from, 'local');
    assert.equal(byName.get('hard1')?.linkId, byName.get('hard2')?.linkId);
    assert.equal(byName.get('')?.attrs.nlink, 4);
  });
});
