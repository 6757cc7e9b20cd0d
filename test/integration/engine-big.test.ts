// Opt-in (DISCFS_BIG_TESTS=1, ~10 GiB of disk I/O): a real 4.5 GiB sparse file committed with the default section size.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { commitDirectoryUpdate } from '../../src/engine/update-merge';
import { openImageFile } from '../../src/medium/image-file';
import { openVolume } from '../../src/tree/iso-volume';
import { rmrf, run, tempDir } from './engine-support';

const BIG = 4.5 * 2 ** 30;
const enabled = process.env.DISCFS_BIG_TESTS === '1';

describe('engine: files of 4 GiB and more', { timeout: 600_000 }, () => {
  const dir = tempDir('big');
  after(() => rmrf(dir));

  it(enabled ? 'a 4.5 GiB file becomes a two-section multi-extent file that xorriso and discfs read back' : 'runs only with DISCFS_BIG_TESTS=1 (CI covers multi-extent with a small section size)', async () => {
    if (!enabled) return;
    const src = path.join(dir, 'src');
    fs.mkdirSync(src);
    const fd = fs.openSync(path.join(src, 'big.bin'), 'w');
    fs.writeSync(fd, Buffer.from('head'), 0, 4, 0);
    fs.writeSync(fd, Buffer.from('tail'), 0, 4, BIG - 4);
    fs.closeSync(fd);
    const image = path.join(dir, 'big.iso');
    await commitDirectoryUpdate(src, { imagePath: image, now: new Date(1_700_000_000_000) });
    const medium = await openImageFile(image);
    try {
      const tree = await openVolume(medium, { view: 'rr' });
      const node = await tree.lookup(tree.root, Buffer.from('big.bin'));
      assert.ok(node);
      assert.equal(node.attrs.size, BIG);
      assert.equal(node.extents.length, 2);
      assert.equal((await tree.read(node, BIG - 4, 4)).toString(), 'tail');
    } finally {
      await medium.close();
    }
    assert.match(run('xorriso', ['-indev', image, '-lsl', '/big.bin']), new RegExp(String(BIG)));
  });
});
