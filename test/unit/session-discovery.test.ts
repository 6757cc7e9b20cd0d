// Session discovery against `xorriso -toc` (grown images), explicit genisoimage -M/-C stacks, and SessionFs over a session.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openImageFile } from '../../src/medium/image-file';
import { listSessions, openVolume } from '../../src/tree/iso-volume';
import { SessionFs } from '../../src/tree/session-fs';
import { FsError } from '../../src/util/errors';
import { content, EPOCH, removeDir, run, tempDir, walkTree, writeTree, XORRISO_QUIET } from './iso-fixtures';

const ROOT = { uid: 0, gid: 0, pid: 1 };

function tocSessions(image: string): { start: number; blocks: number; volid: string }[] {
  const out = run('xorriso', [...XORRISO_QUIET, '-indev', image, '-toc']);
  return [...out.matchAll(/^ISO session\s*:\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)s\s*,\s*(.*)$/gm)].map((m) => ({
    start: Number(m[2]),
    blocks: Number(m[3]),
    volid: m[4].trim(),
  }));
}

describe('grown image (xorriso growing mode, 3 sessions)', () => {
  let dir: string;
  let image: string;
  before(() => {
    dir = tempDir('session-grown');
    image = path.join(dir, 'grown.iso');
    writeTree(path.join(dir, 's1'), { 'a.txt': content('a1', 100), 'keep/k.txt': content('k', 5000) });
    writeTree(path.join(dir, 's2'), { 'b.txt': content('b2', 3000) });
    writeTree(path.join(dir, 's3'), { 'a.txt': content('a3', 7000) });
    const common = [...XORRISO_QUIET, '-md5', 'off', '-joliet', 'on', '-dev', image];
    run('xorriso', [...common, '-volid', 'S1', '-map', path.join(dir, 's1'), '/', '-commit']);
    run('xorriso', [...common, '-volid', 'S2', '-map', path.join(dir, 's2/b.txt'), '/b.txt', '-commit']);
    run('xorriso', [...common, '-volid', 'S3', '-rm', '/a.txt', '--', '-map', path.join(dir, 's3/a.txt'), '/a.txt', '-commit']);
  });
  after(() => removeDir(dir));

  it('finds the sessions xorriso -toc lists', async () => {
    const medium = await openImageFile(image);
    try {
      const sessions = await listSessions(medium);
      const toc = tocSessions(image);
      assert.equal(toc.length, 3);
      assert.deepEqual(sessions.map((s) => ({ start: s.startLba, blocks: s.blocks, volid: s.volumeId })), toc);
      assert.deepEqual(sessions.map((s) => s.number), [1, 2, 3]);
      assert.deepEqual(sessions[2].fileSystems, ['iso9660', 'rockridge', 'joliet']);
      assert.equal(sessions[0].creationDate?.sec, EPOCH);
    } finally {
      await medium.close();
    }
  });

  it('opens each session as it was: older sessions keep their files, newer ones point into them', async () => {
    const medium = await openImageFile(image);
    try {
      const read = async (session: number): Promise<Map<string, Buffer | undefined>> => {
        const walked = await walkTree(await openVolume(medium, { session }));
        return new Map([...walked].map(([p, e]) => [p, e.data]));
      };
      const s1 = await read(1);
      const s2 = await read(2);
      const s3 = await read(3);
      assert.deepEqual([...s1.keys()].sort(), ['/a.txt', '/keep', '/keep/k.txt']);
      assert.ok(s1.get('/a.txt')!.equals(content('a1', 100)));
      assert.ok(s2.get('/b.txt')!.equals(content('b2', 3000)));
      assert.ok(s3.get('/a.txt')!.equals(content('a3', 7000)));
      assert.ok(s3.get('/keep/k.txt')!.equals(content('k', 5000)), 'session 3 reads data of session 1');
      await assert.rejects(openVolume(medium, { session: 4 }), /session 4 does not exist/);
    } finally {
      await medium.close();
    }
  });
});

describe('genisoimage -M/-C stack with an explicit session list', () => {
  let dir: string;
  let image: string;
  let second: number;
  before(() => {
    dir = tempDir('session-stack');
    writeTree(path.join(dir, 't1'), { 'one.txt': content('one', 4000) });
    writeTree(path.join(dir, 't2'), { 'two.txt': content('two', 2500) });
    const s1 = path.join(dir, 's1.iso');
    run('genisoimage', ['-quiet', '-R', '-o', s1, path.join(dir, 't1')]);
    second = fs.statSync(s1).size / 2048;
    const s2 = path.join(dir, 's2.part');
    run('genisoimage', ['-quiet', '-R', '-C', `0,${second}`, '-M', s1, '-o', s2, path.join(dir, 't2')]);
    image = path.join(dir, 'stack.iso');
    fs.writeFileSync(image, Buffer.concat([fs.readFileSync(s1), fs.readFileSync(s2)]));
  });
  after(() => removeDir(dir));

  it('opens both sessions from the given start LBAs', async () => {
    const medium = await openImageFile(image);
    try {
      const sessions = await listSessions(medium, { sessionStarts: [0, second] });
      assert.deepEqual(sessions.map((s) => s.startLba), [0, second]);
      const newest = await walkTree(await openVolume(medium, { sessionStarts: [0, second] }));
      assert.deepEqual([...newest.keys()].sort(), ['/one.txt', '/two.txt']);
      assert.ok(newest.get('/one.txt')!.data!.equals(content('one', 4000)));
      assert.ok(newest.get('/two.txt')!.data!.equals(content('two', 2500)));
      const oldest = await walkTree(await openVolume(medium, { sessionStarts: [0, second], session: 1 }));
      assert.deepEqual([...oldest.keys()], ['/one.txt']);
    } finally {
      await medium.close();
    }
  });
});

describe('SessionFs over a session', () => {
  let dir: string;
  let image: string;
  before(() => {
    dir = tempDir('session-fs');
    writeTree(path.join(dir, 't'), { 'f.bin': content('f', 10000), 'd/x.txt': content('x', 5), 'd/l': { symlink: '../f.bin' } });
    image = path.join(dir, 'fs.iso');
    run('xorriso', [...XORRISO_QUIET, '-outdev', image, '-map', path.join(dir, 't'), '/', '-commit']);
  });
  after(() => removeDir(dir));

  it('answers getattr, readdir, open/read/release, readlink, statfs and access', async () => {
    const medium = await openImageFile(image);
    try {
      const fsys = new SessionFs(await openVolume(medium), { mediumBlocks: medium.blocks });
      const st = await fsys.getattr('/f.bin', ROOT);
      assert.equal(st.size, 10000);
      assert.equal(st.blocks, Math.ceil(10000 / 512));
      assert.equal(st.blksize, 2048);
      assert.deepEqual((await fsys.readdir('/d', ROOT)).map((e) => [e.name, e.kind]), [['l', 'symlink'], ['x.txt', 'file']]);
      const fh = await fsys.open('/f.bin', fs.constants.O_RDONLY, ROOT);
      const buf = Buffer.alloc(4096);
      assert.equal(await fsys.read('/f.bin', fh, buf, 4096, 8000), 2000);
      assert.ok(buf.subarray(0, 2000).equals(content('f', 10000).subarray(8000)));
      assert.equal(await fsys.read('/f.bin', fh, buf, 4096, 20000), 0);
      await fsys.release('/f.bin', fh);
      assert.equal(await fsys.readlink('/d/l', ROOT), '../f.bin');
      const sf = await fsys.statfs('/');
      assert.equal(sf.blocks, medium.blocks);
      assert.equal(sf.bfree, 0);
      await fsys.access('/f.bin', fs.constants.R_OK, ROOT);
      const errno = (e: unknown): string => (e instanceof FsError ? e.errno : String(e));
      await assert.rejects(fsys.access('/f.bin', fs.constants.W_OK, ROOT), (e) => errno(e) === 'EROFS');
      await assert.rejects(fsys.open('/f.bin', fs.constants.O_RDWR, ROOT), (e) => errno(e) === 'EROFS');
      await assert.rejects(fsys.getattr('/nope', ROOT), (e) => errno(e) === 'ENOENT');
      await assert.rejects(fsys.getattr('/f.bin/x', ROOT), (e) => errno(e) === 'ENOTDIR');
      await assert.rejects(fsys.open('/d', fs.constants.O_RDONLY, ROOT), (e) => errno(e) === 'EISDIR');
    } finally {
      await medium.close();
    }
  });
});
