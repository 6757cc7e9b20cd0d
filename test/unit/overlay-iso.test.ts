// The overlay over the real ISO 9660 + Rock Ridge reader: an image built by xorriso (SOURCE_DATE_EPOCH pinned).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openImageFile, type ImageFileMedium } from '../../src/medium/image-file';
import { openVolume } from '../../src/tree/iso-volume';
import { OverlayFs } from '../../src/overlay/overlay-fs';
import { walkSourceTree } from '../../src/engine/source-tree';
import { CHUNK_SIZE } from '../../src/overlay/content-store';
import { names, pwrite, randomBytes, readFile, ROOT } from './overlay-fixture';

describe('overlay over an ISO image', () => {
  let work: string;
  let medium: ImageFileMedium;
  let fsys: OverlayFs;
  const big = randomBytes(5 * CHUNK_SIZE + 17, 3);

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'discfs-overlay-iso-'));
    const tree = path.join(work, 'tree');
    fs.mkdirSync(path.join(tree, 'dir/sub'), { recursive: true });
    fs.writeFileSync(path.join(tree, 'dir/a.txt'), 'alpha\n');
    fs.writeFileSync(path.join(tree, 'dir/sub/big.bin'), big);
    fs.symlinkSync('dir/a.txt', path.join(tree, 'sym'));
    const iso = path.join(work, 'img.iso');
    execFileSync('xorriso', ['-no_rc', '-outdev', iso, '-map', tree, '/', '-commit'], {
      stdio: 'ignore',
      env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' },
      timeout: 30_000,
    });
    medium = await openImageFile(iso);
    const lower = await openVolume(medium);
    fsys = await OverlayFs.open({
      stagingDir: path.join(work, 'staging'),
      identity: 'iso-test',
      lower,
      owner: { uid: 1000, gid: 1000 },
      capacity: { blocks: 100_000, freeBlocks: 90_000 },
    });
  });
  after(async () => {
    await fsys?.close();
    await medium?.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('reads the session and patches a big file chunk-wise', async () => {
    assert.deepEqual(await names(fsys, '/'), ['dir', 'sym']);
    assert.equal(await fsys.readlink('/sym', ROOT), 'dir/a.txt');
    assert.equal((await readFile(fsys, '/dir/a.txt')).toString(), 'alpha\n');
    await pwrite(fsys, '/dir/sub/big.bin', 'XYZ', 2 * CHUNK_SIZE + 5);
    const expected = Buffer.from(big);
    expected.write('XYZ', 2 * CHUNK_SIZE + 5);
    assert.ok((await readFile(fsys, '/dir/sub/big.bin')).equals(expected));
  });

  it('renames a lower directory and hands old extents to the engine', async () => {
    await fsys.rename('/dir', '/moved', ROOT);
    const tree = await fsys.mergedTree();
    const byPath = new Map([...walkSourceTree(tree.root)].map((e) => [e.path.map((n) => n.toString()).join('/'), e.entry]));
    const a = byPath.get('moved/a.txt');
    assert.equal(a?.content?.from, 'old');
    assert.ok(a?.content?.from === 'old' && a.content.extents.length > 0);
    const b = byPath.get('moved/sub/big.bin');
    assert.equal(b?.content?.from, 'local');
  });
});
