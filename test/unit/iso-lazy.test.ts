// Lazy directories: opening a session reads the same handful of blocks whether it holds 10 or 100,000 files,
// and a lookup reads only the directories on its path. Measured by counting the blocks a Medium hands out.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openImageFile } from '../../src/medium/image-file';
import type { Medium } from '../../src/medium/medium';
import { openVolume } from '../../src/tree/iso-volume';
import { SessionFs } from '../../src/tree/session-fs';
import { removeDir, run, tempDir } from './iso-fixtures';

const DIRS = 100;
const PVD = 16 * 2048;
/** ECMA-119 8.4.14: Path Table Size (both-endian 32 at byte 132 of the PVD). */
const PATH_TABLE_SIZE_OFFSET = 132;

interface Counted {
  medium: Medium;
  blocksRead(): number;
  reset(): void;
}

/** The image-file medium, counting every block it returns. */
async function counted(image: string): Promise<Counted> {
  const inner = await openImageFile(image);
  let blocks = 0;
  const medium: Medium = {
    description: inner.description,
    blocks: inner.blocks,
    read: async (lba, count) => {
      blocks += count;
      return inner.read(lba, count);
    },
    close: () => inner.close(),
  };
  return { medium, blocksRead: () => blocks, reset: () => (blocks = 0) };
}

/** A Rock Ridge image of `files` empty files spread over DIRS directories, without making them on disk. */
function manyFileImage(dir: string, files: number): string {
  const empty = path.join(dir, 'empty');
  fs.writeFileSync(empty, '');
  const list = path.join(dir, `paths-${files}`);
  const lines: string[] = [];
  for (let i = 0; i < files; i++) lines.push(`d${String(i % DIRS).padStart(2, '0')}/f${String(i).padStart(6, '0')}=${empty}`);
  fs.writeFileSync(list, `${lines.join('\n')}\n`);
  const image = path.join(dir, `files-${files}.iso`);
  run('genisoimage', ['-quiet', '-R', '-graft-points', '-path-list', list, '-o', image]);
  return image;
}

function pathTableBlocks(image: string): number {
  const pvd = Buffer.alloc(2048);
  const fd = fs.openSync(image, 'r');
  try {
    fs.readSync(fd, pvd, 0, 2048, PVD);
  } finally {
    fs.closeSync(fd);
  }
  return Math.ceil(pvd.readUInt32LE(PATH_TABLE_SIZE_OFFSET) / 2048);
}

describe('directories are read lazily', { timeout: 45_000 }, () => {
  let dir = '';
  let small = '';
  let large = '';
  before(() => {
    dir = tempDir('iso-lazy');
    small = manyFileImage(dir, 10);
    large = manyFileImage(dir, 100_000);
  });
  after(() => removeDir(dir));

  async function blocksToOpen(image: string): Promise<number> {
    const c = await counted(image);
    try {
      const volume = await openVolume(c.medium);
      new SessionFs(volume, { mediumBlocks: c.medium.blocks });
      return c.blocksRead();
    } finally {
      await c.medium.close();
    }
  }

  it('opening a 100,000-file session reads no more blocks than a 10-file one, path tables aside', async () => {
    const few = await blocksToOpen(small);
    const many = await blocksToOpen(large);
    // Only the path tables (type L and M, one record per directory) may grow with the session.
    assert.ok(many <= few + 2 * pathTableBlocks(large), `10 files: ${few} blocks, 100,000 files: ${many} blocks`);
    assert.ok(many < 64, `${many} blocks read to open the session`);
    assert.ok(fs.statSync(large).size / 2048 > 1000, 'the large session has thousands of directory blocks');
  });

  it('a lookup reads only the directories on its path', async () => {
    const c = await counted(large);
    try {
      const fsys = new SessionFs(await openVolume(c.medium), { mediumBlocks: c.medium.blocks });
      const blocksOf = (bytes: number) => Math.ceil(bytes / 2048);
      const root = await fsys.getattr('/');
      c.reset();
      const sub = await fsys.getattr('/d42');
      // +1: the root's "." record continues (CE) into a block holding the ER entry.
      assert.ok(c.blocksRead() <= blocksOf(root.size) + 1, `${c.blocksRead()} blocks read to find /d42 in a ${root.size}-byte root`);
      c.reset();
      assert.equal((await fsys.getattr('/d42/f004242')).size, 0);
      assert.ok(c.blocksRead() <= blocksOf(sub.size), `${c.blocksRead()} blocks read for a lookup in a ${sub.size}-byte directory`);
      assert.ok(blocksOf(sub.size) * 50 < c.medium.blocks, 'one directory is a small part of the medium');
      c.reset();
      await fsys.getattr('/d42/f000042');
      assert.equal(c.blocksRead(), 0, 'a second lookup in a listed directory reads nothing');
    } finally {
      await c.medium.close();
    }
  });
});
