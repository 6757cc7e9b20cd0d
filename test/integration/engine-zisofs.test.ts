// zisofs files of an older session carried into a new one: the records keep the compressed extents and the ZF entry.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { commitSession } from '../../src/engine/commit';
import { sourceTreeFromLower } from '../../src/engine/from-lower';
import { openImageFile } from '../../src/medium/image-file';
import { openVolume } from '../../src/tree/iso-volume';
import type { LowerNode } from '../../src/tree/lower-tree';
import { fixture } from '../helpers/fixtures';
import { extract, rmrf, run, snapshot, tempDir, tocStarts } from './engine-support';

async function lowerFile(image: string, name: string): Promise<{ node: LowerNode; data: Buffer }> {
  const medium = await openImageFile(image);
  try {
    const tree = await openVolume(medium, { view: 'rr' });
    const z = await tree.lookup(tree.root, Buffer.from('z'));
    const node = z && (await tree.lookup(z, Buffer.from(name)));
    assert.ok(node, name);
    return { node, data: await tree.read(node, 0, node.attrs.size) };
  } finally {
    await medium.close();
  }
}

describe('engine: zisofs lower files', { timeout: 60_000 }, () => {
  let dir: string;
  let image: string;
  before(async () => {
    dir = tempDir('zisofs');
    image = path.join(dir, 'z.iso');
    fs.copyFileSync(await fixture('zisofs'), image);
  });
  after(() => rmrf(dir));

  it('commits a session that still points at the compressed extents, with ZF, and reads back the same', async () => {
    const before = await lowerFile(image, 'text-200000.txt');
    assert.equal(before.node.compressed, true);
    const medium = await openImageFile(image);
    let tree;
    try {
      tree = await sourceTreeFromLower(await openVolume(medium, { view: 'rr' }));
    } finally {
      await medium.close();
    }
    const size0 = fs.statSync(image).size;
    const result = await commitSession({ imagePath: image, tree, now: new Date(1_700_000_000_000) });
    assert.equal(result.dataBlocks, 0, 'nothing rewritten');
    assert.ok(fs.statSync(image).size - size0 < 64 * 2048);
    const after = await lowerFile(image, 'text-200000.txt');
    assert.equal(after.node.compressed, true);
    assert.deepEqual(after.node.extents, before.node.extents);
    assert.ok(after.data.equals(before.data));
    // xorriso (libisofs) sees ZF and decompresses on extraction: the new session's content equals the old one's.
    const starts = tocStarts(image);
    assert.equal(starts.length, 2);
    const oldX = path.join(dir, 'old');
    const newX = path.join(dir, 'new');
    extract(image, oldX, starts[0]);
    extract(image, newX);
    const a = snapshot(oldX, { mtimes: false });
    const b = snapshot(newX, { mtimes: false });
    assert.deepEqual(Object.keys(b), Object.keys(a));
    for (const k of Object.keys(a)) assert.equal(b[k].sha, a[k].sha, k);
    assert.equal(fs.readFileSync(path.join(newX, 'z/text-200000.txt')).length, 200000);
    assert.match(run('xorriso', ['-indev', image, '-lsl', '/z/text-200000.txt']), /text-200000/);
  });
});
