// IsoVolume against the oracles: osirrox extraction (Rock Ridge), isoinfo -f / -J -f (ISO 9660, Joliet names).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openImageFile, type ImageFileMedium } from '../../src/medium/image-file';
import { openVolume } from '../../src/tree/iso-volume';
import type { NodeKind } from '../../src/tree/node';
import { content, EPOCH, findRecord, removeDir, run, stampTree, tempDir, walkTree, writeBoth32, writeTree, xorrisoImage, XORRISO_QUIET } from './iso-fixtures';

const T_1969 = -14182940;
const T_2100 = 4102444800;

function kindOfStat(st: fs.Stats): NodeKind {
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isDirectory()) return 'dir';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'chardev';
  if (st.isBlockDevice()) return 'blockdev';
  return 'file';
}

function listExtracted(root: string): Map<string, fs.Stats> {
  const out = new Map<string, fs.Stats>();
  const walk = (dir: string, rel: string): void => {
    for (const name of fs.readdirSync(dir)) {
      const p = path.join(dir, name);
      const st = fs.lstatSync(p);
      out.set(`${rel}/${name}`, st);
      if (st.isDirectory()) walk(p, `${rel}/${name}`);
    }
  };
  walk(root, '');
  return out;
}

/** Paths with a non-ASCII character: isoinfo prints those as "_", so they are compared by count only. */
function asciiOnly(paths: string[]): string[] {
  return paths.filter((p) => /^[\x20-\x7e]*$/.test(p) && !p.includes('_'));
}

/** isoinfo -f output with ";N" and a trailing "." removed (how the ISO 9660 view names entries). */
function isoinfoPaths(image: string, flags: string[]): string[] {
  return run('isoinfo', [...flags, '-f', '-i', image])
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.replace(/;[0-9]+$/, '').replace(/(?<=[^/])\.$/, ''))
    .sort();
}

async function withVolume<T>(image: string, view: 'rr' | 'joliet' | 'iso9660' | undefined, fn: (v: Awaited<ReturnType<typeof openVolume>>) => Promise<T>): Promise<T> {
  const medium: ImageFileMedium = await openImageFile(image);
  try {
    return await fn(await openVolume(medium, view ? { view } : {}));
  } finally {
    await medium.close();
  }
}

describe('xorriso Rock Ridge + Joliet image', () => {
  let dir: string;
  let image: string;
  before(() => {
    dir = tempDir('iso-volume');
    const tree = path.join(dir, 'tree');
    const longTarget = Array.from({ length: 40 }, (_, i) => `seg${String(i).padStart(3, '0')}`).join('/') + '/end';
    writeTree(tree, {
      'empty.txt': Buffer.alloc(0),
      'sizes/b1.bin': content('one', 1),
      'sizes/b2047.bin': content('b2047', 2047),
      'sizes/b2048.bin': content('b2048', 2048),
      'sizes/b2049.bin': content('b2049', 2049),
      'sizes/b300k.bin': content('b300k', 300000),
      'nested/a/b/c/d/leaf.txt': content('leaf', 30),
      'links/relative': { symlink: '../sizes/b1.bin' },
      'links/absolute': { symlink: '/etc/hostname' },
      'links/dot': { symlink: '.' },
      'links/long-target': { symlink: longTarget },
      'hard/one': content('hard', 5000),
      'modes/setuid': content('suid', 10),
      'modes/setgid': content('sgid', 10),
      'modes/sticky': 'dir',
      'times/old.txt': content('old', 10),
      'times/future.txt': content('future', 10),
      'names/Ελληνικά.txt': content('greek', 10),
      'names/漢字 ファイル.txt': content('cjk', 10),
      'names/emoji 😀.txt': content('emoji', 10),
    });
    fs.linkSync(path.join(tree, 'hard/one'), path.join(tree, 'hard/two'));
    run('mkfifo', [path.join(tree, 'special-fifo')]);
    fs.chmodSync(path.join(tree, 'modes/setuid'), 0o4755);
    fs.chmodSync(path.join(tree, 'modes/setgid'), 0o2750);
    fs.chmodSync(path.join(tree, 'modes/sticky'), 0o1777);
    stampTree(tree, EPOCH);
    // (fs.utimesSync turns negative times into "now")
    run('touch', ['-d', `@${T_1969}`, path.join(tree, 'times/old.txt')]);
    run('touch', ['-d', `@${T_2100}`, path.join(tree, 'times/future.txt')]);
    image = path.join(dir, 'rr.iso');
    xorrisoImage(image, tree, ['-hardlinks', 'on', '-compliance', 'joliet_long_names']);
    run('osirrox', [...XORRISO_QUIET, '-indev', image, '-extract', '/', path.join(dir, 'extracted')]);
  });
  after(() => removeDir(dir));

  it('shows the Rock Ridge view by default and matches osirrox extraction field by field', async () => {
    const expected = listExtracted(path.join(dir, 'extracted'));
    await withVolume(image, undefined, async (v) => {
      assert.equal(v.view, 'rr');
      const got = await walkTree(v);
      assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort());
      for (const [p, st] of expected) {
        const { node, data } = got.get(p)!;
        assert.equal(node.attrs.kind, kindOfStat(st), p);
        assert.equal(node.attrs.mode, st.mode, `${p} mode`);
        assert.equal(node.attrs.uid, st.uid, `${p} uid`);
        if (st.isFile()) {
          assert.equal(node.attrs.size, st.size, `${p} size`);
          assert.ok(data!.equals(fs.readFileSync(path.join(dir, 'extracted', p))), `${p} content`);
        }
        if (st.isSymbolicLink()) assert.equal(node.symlinkTarget!.toString(), fs.readlinkSync(path.join(dir, 'extracted', p)), p);
        // osirrox does not restore times: they are compared with the source tree.
        const source = fs.lstatSync(path.join(dir, 'tree', p));
        assert.equal(node.attrs.mtime.sec, Math.floor(source.mtimeMs / 1000), `${p} mtime`);
      }
      assert.deepEqual(v.warnings, []);
    });
  });

  it('keeps hard links, setuid/setgid/sticky bits and extreme times', async () => {
    await withVolume(image, 'rr', async (v) => {
      const got = await walkTree(v);
      const one = got.get('/hard/one')!.node;
      const two = got.get('/hard/two')!.node;
      assert.equal(one.id, two.id);
      assert.equal(one.attrs.nlink, 2);
      assert.equal(got.get('/modes/setuid')!.node.attrs.mode, 0o104755);
      assert.equal(got.get('/modes/setgid')!.node.attrs.mode, 0o102750);
      assert.equal(got.get('/modes/sticky')!.node.attrs.mode, 0o41777);
      assert.equal(got.get('/times/old.txt')!.node.attrs.mtime.sec, T_1969);
      assert.equal(got.get('/times/future.txt')!.node.attrs.mtime.sec, T_2100);
      assert.equal(got.get('/links/long-target')!.node.symlinkTarget!.length, 40 * 7 + 3);
    });
  });

  it('Joliet view lists the names isoinfo -J shows, with plain modes', async () => {
    await withVolume(image, 'joliet', async (v) => {
      const got = await walkTree(v);
      const expected = isoinfoPaths(image, ['-J']);
      assert.deepEqual(asciiOnly([...got.keys()].sort()), asciiOnly(expected));
      assert.equal(got.size, expected.length);
      const f = got.get('/sizes/b2049.bin')!;
      assert.equal(f.node.attrs.mode, 0o100444);
      assert.ok(f.data!.equals(content('b2049', 2049)));
      assert.equal(got.get('/nested')!.node.attrs.mode, 0o40555);
      assert.ok(got.has('/names/Ελληνικά.txt'));
      // xorriso writes UCS-2 only: a character outside the BMP becomes "_" (surrogate pairs: iso-structures test).
      assert.ok(got.has('/names/emoji _.txt'));
    });
  });

  it('ISO 9660 view lists the names isoinfo shows, without ";1"', async () => {
    await withVolume(image, 'iso9660', async (v) => {
      const got = await walkTree(v);
      assert.deepEqual([...got.keys()].sort(), isoinfoPaths(image, []));
    });
  });

  it('ids without PX serial come from the record location and are stable', async () => {
    const a = await withVolume(image, 'joliet', async (v) => [...(await walkTree(v)).values()].map((e) => e.node.id));
    const b = await withVolume(image, 'joliet', async (v) => [...(await walkTree(v)).values()].map((e) => e.node.id));
    assert.deepEqual(a, b);
    assert.equal(new Set(a).size, a.length);
    assert.ok(a.every((id) => id >= 1n << 32n));
  });
});

describe('genisoimage images', () => {
  let dir: string;
  let tree: string;
  before(() => {
    dir = tempDir('iso-genisoimage');
    tree = path.join(dir, 'tree');
    const deep = 'd1/d2/d3/d4/d5/d6/d7/d8/d9/d10';
    writeTree(tree, {
      'readme.txt': content('readme', 100),
      'long name with spaces.text': content('long', 3000),
      [`${deep}/deep.txt`]: content('deep', 50),
      'd1/d2/mid.txt': content('mid', 20),
    });
  });
  after(() => removeDir(dir));

  function make(name: string, args: string[]): string {
    const out = path.join(dir, name);
    run('genisoimage', ['-quiet', ...args, '-o', out, tree]);
    return out;
  }

  for (const level of ['1', '4']) {
    it(`-iso-level ${level}: names match isoinfo, content is right`, async () => {
      const image = make(`level${level}.iso`, ['-iso-level', level]);
      await withVolume(image, undefined, async (v) => {
        assert.equal(v.view, 'iso9660');
        const got = await walkTree(v);
        assert.deepEqual([...got.keys()].sort(), isoinfoPaths(image, []));
        const readme = [...got.entries()].find(([p]) => /^\/readme/i.test(p))!;
        assert.ok(readme[1].data!.equals(content('readme', 100)));
      });
    });
  }

  it('-J only: Joliet is the default view', async () => {
    const image = make('joliet.iso', ['-J']);
    await withVolume(image, undefined, async (v) => {
      assert.equal(v.view, 'joliet');
      const got = await walkTree(v);
      assert.deepEqual([...got.keys()].sort(), isoinfoPaths(image, ['-J']));
      assert.ok(got.get('/long name with spaces.text')!.data!.equals(content('long', 3000)));
    });
  });

  it('-J without -joliet-long: names are cut to 64 characters, as isoinfo -J shows them', async () => {
    const long = path.join(dir, 'long-tree');
    const name = `${'n'.repeat(90)}.txt`;
    writeTree(long, { [name]: content('long64', 40) });
    const image = path.join(dir, 'joliet64.iso');
    run('genisoimage', ['-quiet', '-J', '-o', image, long]);
    await withVolume(image, 'joliet', async (v) => {
      const got = await walkTree(v);
      assert.deepEqual([...got.keys()], [`/${name.slice(0, 64)}`]);
      assert.deepEqual([...got.keys()], isoinfoPaths(image, ['-J']));
      assert.ok(got.get(`/${name.slice(0, 64)}`)!.data!.equals(content('long64', 40)));
    });
  });

  it('-R deep tree: relocated directories appear at their original place, rr_moved is hidden', async () => {
    const image = make('deep.iso', ['-R']);
    assert.ok(run('isoinfo', ['-f', '-i', image]).includes('RR_MOVED'), 'genisoimage relocated something');
    await withVolume(image, 'rr', async (v) => {
      const got = await walkTree(v);
      const deep = '/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/deep.txt';
      assert.ok(got.get(deep)!.data!.equals(content('deep', 50)));
      assert.ok(![...got.keys()].some((p) => /rr_moved/i.test(p)));
      const extracted = path.join(dir, 'deep-extracted');
      run('osirrox', [...XORRISO_QUIET, '-indev', image, '-extract', '/', extracted]);
      // libisofs shows the (then empty) rr_moved; discfs hides it (docs/reading.md).
      const expected = [...listExtracted(extracted).keys()].filter((p) => p !== '/rr_moved');
      assert.deepEqual([...got.keys()].sort(), expected.sort());
      assert.deepEqual(v.warnings, []);
    });
  });
});

/** Points the directory record at `record` to `bytes` bytes at `lba` (ECMA-119 9.1.3, 9.1.4). */
function setExtent(img: Buffer, record: number, lba: number, bytes: number): void {
  writeBoth32(img, record + 2, lba);
  writeBoth32(img, record + 10, bytes);
}

describe('the relocation directory', () => {
  let dir: string;
  after(() => removeDir(dir));

  it('a user\'s own empty rr_moved (nothing relocated into it) stays visible', async () => {
    dir = tempDir('iso-rr-moved');
    const tree = path.join(dir, 'tree');
    writeTree(tree, { rr_moved: 'dir', 'a.txt': content('a', 10) });
    const image = path.join(dir, 'own.iso');
    xorrisoImage(image, tree);
    await withVolume(image, 'rr', async (v) => {
      assert.deepEqual([...(await walkTree(v)).keys()].sort(), ['/a.txt', '/rr_moved']);
    });
  });
});

describe('multi-extent files', () => {
  let dir: string;
  after(() => removeDir(dir));

  it('joins sections in recorded order even when their LBAs run backwards', async () => {
    dir = tempDir('iso-multiextent');
    const tree = path.join(dir, 'tree');
    writeTree(tree, { 'PARTA': content('first', 5000), 'PARTB': content('second', 3000) });
    const image = path.join(dir, 'me.iso');
    run('genisoimage', ['-quiet', '-o', image, tree]);
    // Make "PARTA;1" + "PARTB;1" one file "PARTA;1" of two sections, the second one first on disc.
    const img = fs.readFileSync(image);
    const a = findRecord(img, 'PARTA.;1');
    const b = findRecord(img, 'PARTB.;1');
    assert.equal(b, a + img[a], 'records are adjacent');
    const lbaA = img.readUInt32LE(a + 2);
    const lenA = img.readUInt32LE(a + 10);
    const lbaB = img.readUInt32LE(b + 2);
    const lenB = img.readUInt32LE(b + 10);
    setExtent(img, a, lbaB, lenB);
    setExtent(img, b, lbaA, lenA);
    img[a + 25] |= 0x80;
    img.write('PARTA', b + 33, 'latin1');
    fs.writeFileSync(image, img);
    await withVolume(image, 'iso9660', async (v) => {
      const got = await walkTree(v);
      assert.deepEqual([...got.keys()], ['/PARTA']);
      const e = got.get('/PARTA')!;
      assert.equal(e.node.extents.length, 2);
      assert.ok(e.data!.equals(Buffer.concat([content('second', 3000), content('first', 5000)])));
      assert.equal(e.node.attrs.size, 8000);
      const mid = await v.read(e.node, 2990, 20);
      assert.ok(mid.equals(Buffer.concat([content('second', 3000), content('first', 5000)]).subarray(2990, 3010)));
      assert.deepEqual(v.warnings, []);
    });
  });

  it('sections in descending LBA order with foreign data between them, then a different file', async () => {
    const tree = path.join(dir, 'tree3');
    writeTree(tree, { PARTA: content('low', 5000), PARTB: content('foreign', 3000), PARTC: content('high', 100) });
    const image = path.join(dir, 'me3.iso');
    run('genisoimage', ['-quiet', '-o', image, tree]);
    const img = fs.readFileSync(image);
    const [a, b, c] = ['PARTA.;1', 'PARTB.;1', 'PARTC.;1'].map((id) => findRecord(img, id));
    const lba = (r: number) => img.readUInt32LE(r + 2);
    assert.ok(lba(a) < lba(b) && lba(b) < lba(c), 'data in name order');
    // "PARTA;1" = [PARTC's data, PARTA's data]: the second section lies before the first, PARTB's data between.
    setExtent(img, b, lba(a), 5000);
    setExtent(img, a, lba(c), 100);
    img[a + 25] |= 0x80;
    img.write('PARTA', b + 33, 'latin1');
    fs.writeFileSync(image, img);
    await withVolume(image, 'iso9660', async (v) => {
      const got = await walkTree(v);
      assert.deepEqual([...got.keys()], ['/PARTA', '/PARTC']);
      const whole = Buffer.concat([content('high', 100), content('low', 5000)]);
      assert.equal(got.get('/PARTA')!.node.attrs.size, 5100);
      assert.ok(got.get('/PARTA')!.data!.equals(whole));
      assert.ok((await v.read(got.get('/PARTA')!.node, 90, 2100)).equals(whole.subarray(90, 2190)));
      assert.ok(got.get('/PARTC')!.data!.equals(content('high', 100)));
      assert.ok(!got.get('/PARTA')!.data!.includes(Buffer.from('foreign')));
      assert.deepEqual(v.warnings, []);
    });
  });
});
