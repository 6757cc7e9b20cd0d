// rename(2) through the overlay: POSIX replace rules, whole lower directories, old extents kept.

import { after, beforeEach, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { walkSourceTree } from '../../src/engine/source-tree';
import { errnoOf, makeOverlay, names, readFile, ROOT, writeFile, type OverlayHarness } from './overlay-fixture';

describe('overlay: rename', () => {
  let h: OverlayHarness;
  beforeEach(async () => (h = await makeOverlay()));
  afterEach(async () => h.cleanup());
  after(() => undefined);

  it('moves a whole lower directory without copying, content intact', async () => {
    const ino = (await h.fs.getattr('/docs', ROOT)).ino;
    await h.fs.rename('/docs', '/moved', ROOT);
    assert.equal(await errnoOf(h.fs.getattr('/docs', ROOT)), 'ENOENT');
    assert.equal((await h.fs.getattr('/moved', ROOT)).ino, ino);
    assert.deepEqual(await names(h.fs, '/moved'), ['a.txt', 'b.txt', 'sub']);
    assert.equal((await readFile(h.fs, '/moved/sub/deep.txt')).toString(), 'deep');
    assert.deepEqual(fs.readdirSync(path.join(h.options.stagingDir, 'data')), []);
    const changes = await h.fs.changes();
    assert.deepEqual(
      changes.map((c) => [c.change, c.path.join('/'), c.from?.join('/')]),
      [['renamed', 'moved', 'docs']],
    );
  });

  it('a renamed lower file keeps pointing at its old extents', async () => {
    await h.fs.rename('/docs/a.txt', '/a-moved.txt', ROOT);
    const tree = await h.fs.mergedTree();
    const found = [...walkSourceTree(tree.root)].find((e) => e.entry.name.toString() === 'a-moved.txt');
    assert.equal(found?.entry.content?.from, 'old');
    const docs = [...walkSourceTree(tree.root)].find((e) => e.entry.name.toString() === 'docs');
    assert.deepEqual(docs?.entry.children?.map((c) => c.name.toString()).sort(), ['b.txt', 'sub']);
  });

  it('replaces an existing file (the old one is gone, even a lower one)', async () => {
    await writeFile(h.fs, '/new', 'NEW');
    await h.fs.rename('/new', '/hello.txt', ROOT);
    assert.equal((await readFile(h.fs, '/hello.txt')).toString(), 'NEW');
    assert.ok(!(await names(h.fs, '/')).includes('new'));
    await h.fs.rename('/hello.txt', '/docs/a.txt', ROOT);
    assert.equal((await readFile(h.fs, '/docs/a.txt')).toString(), 'NEW');
    assert.ok(!(await names(h.fs, '/')).includes('hello.txt'));
  });

  it('follows the directory replace rules', async () => {
    await h.fs.mkdir('/d', 0o755, ROOT);
    await h.fs.rename('/d', '/empty', ROOT);
    assert.equal(await errnoOf(h.fs.getattr('/d', ROOT)), 'ENOENT');
    assert.equal(await errnoOf(h.fs.rename('/empty', '/docs', ROOT)), 'ENOTEMPTY');
    assert.equal(await errnoOf(h.fs.rename('/hello.txt', '/empty', ROOT)), 'EISDIR');
    assert.equal(await errnoOf(h.fs.rename('/empty', '/hello.txt', ROOT)), 'ENOTDIR');
    assert.equal(await errnoOf(h.fs.rename('/docs', '/docs/sub/inner', ROOT)), 'EINVAL');
    assert.equal(await errnoOf(h.fs.rename('/nope', '/x', ROOT)), 'ENOENT');
    assert.equal(await errnoOf(h.fs.rename('/hello.txt', '/nodir/x', ROOT)), 'ENOENT');
    assert.equal(await errnoOf(h.fs.rename('/hello.txt', '/' + 'n'.repeat(256), ROOT)), 'ENAMETOOLONG');
  });

  it('moves a lower directory over an empty lower directory', async () => {
    await h.fs.rename('/docs/sub', '/empty', ROOT);
    assert.deepEqual(await names(h.fs, '/empty'), ['deep.txt']);
    assert.deepEqual(await names(h.fs, '/docs'), ['a.txt', 'b.txt']);
    assert.equal((await h.fs.getattr('/docs', ROOT)).nlink, 2);
  });

  it('is a no-op between two names of one inode', async () => {
    await h.fs.rename('/hard1', '/hard2', ROOT);
    assert.ok((await names(h.fs, '/')).includes('hard1'));
    assert.ok((await names(h.fs, '/')).includes('hard2'));
    assert.equal((await h.fs.getattr('/hard1', ROOT)).nlink, 2);
    await h.fs.rename('/hello.txt', '/hello.txt', ROOT);
    assert.equal((await readFile(h.fs, '/hello.txt')).toString(), 'hello from the disc\n');
  });

  it('moves back and forth without leftovers', async () => {
    await h.fs.rename('/docs', '/x', ROOT);
    await h.fs.rename('/x', '/docs', ROOT);
    assert.deepEqual(await names(h.fs, '/docs'), ['a.txt', 'b.txt', 'sub']);
    assert.deepEqual(await h.fs.changes(), []);
  });

  it('refuses to rename into a top-level trash folder name', async () => {
    await h.fs.mkdir('/t', 0o755, ROOT);
    assert.equal(await errnoOf(h.fs.rename('/t', '/.Trash-0', ROOT)), 'EPERM');
  });
});
