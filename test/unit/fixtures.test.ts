// The fixture images are reproducible and say what test/fixtures/README.md promises; the oracles and the
// listing helper agree with each other on them.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { run, runText } from '../helpers/exec';
import { buildFixture, fixture, FIXTURE_NAMES, recordedSessions } from '../helpers/fixtures';
import { Entry, diffListings, displayPath, listTree, toLatin1Path } from '../helpers/listing';
import { bsdtarListing, extractedListing, isoinfoListing, tocSessions } from '../helpers/oracle';

const sha256 = (file: string): string => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const byPath = (entries: Entry[], p: string): Entry | undefined => entries.find((e) => e.path === toLatin1Path(p));

let tmp = '';
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'discfs-fixtures-test-'));
});
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('fixture scripts are deterministic and valid', { timeout: 50_000 }, () => {
  for (const name of FIXTURE_NAMES) {
    test(name, async () => {
      const [cached] = await Promise.all([fixture(name), buildFixture(name, path.join(tmp, `${name}.iso`))]);
      assert.equal(sha256(path.join(tmp, `${name}.iso`)), sha256(cached), `${name}: a rebuild differs from the cached build`);
      assert.match(await runText('isoinfo', ['-d', '-i', cached]), /CD-ROM is in ISO 9660 format/);
      const sessions = recordedSessions(cached) ?? (await tocSessions(cached)).map((s) => s.start);
      assert.ok(sessions.length >= 1, `${name}: no session found`);
    });
  }
});

describe('fixture contents', { timeout: 50_000 }, () => {
  test('xorriso-grown: 3 sessions with the documented changes', async () => {
    const img = await fixture('xorriso-grown');
    const toc = await tocSessions(img);
    assert.equal(toc.length, 3);
    const [s1, s3] = await Promise.all([extractedListing(img, { session: toc[0].start }), extractedListing(img)]);
    assert.equal(byPath(s1, 'hard/two')?.linkGroup, 'hard/one');
    assert.equal(byPath(s1, 'hard/sub/three')?.linkGroup, 'hard/one');
    assert.equal(byPath(s3, 'nested/pair-b')?.linkGroup, 'hard/pair-a', 'hard links survive later sessions');
    assert.equal(byPath(s1, 'modes/setuid')?.mode, 0o4755);
    assert.equal(byPath(s1, 'modes/setgid')?.mode, 0o2750);
    assert.equal(byPath(s1, 'modes/sticky')?.mode, 0o1777);
    assert.equal(byPath(s1, 'times/old-1969.txt')?.mtime, -14182940);
    assert.equal(byPath(s1, 'times/future-2100.txt')?.mtime, 4102444800);
    assert.equal(byPath(s1, 'sizes/b2049.bin')?.size, 2049);
    assert.equal(byPath(s1, 'links/long-target')?.target?.length, 283);
    assert.equal(byPath(s1, 'special/fifo')?.type, 'fifo');
    assert.equal(byPath(s1, 'special/socket')?.type, 'socket');
    assert.ok(byPath(s1, 'names/emoji 😀.txt'));
    const diff = diffListings(s1, s3, { fields: ['type', 'size', 'mode', 'sha256'] });
    for (const expected of ['missing: sizes/b1.bin (file)', 'missing: empty.txt (file)', 'missing: nested/a/b (dir)',
      'missing: names (dir)', 'unexpected: names-renamed (dir)', 'unexpected: added/new.txt (file)',
      'README.txt: size expected 100, got 5000', 'modes/exec: mode expected 0700, got 0750']) {
      assert.ok(diff.includes(expected), `expected "${expected}" in\n${diff.join('\n')}`);
    }
  });

  test('genisoimage-stack: IMG.sessions, session 2 keeps and adds', async () => {
    const img = await fixture('genisoimage-stack');
    const sessions = recordedSessions(img);
    assert.equal(sessions?.length, 2);
    const [first, second] = await Promise.all([
      extractedListing(img, { session: sessions![0] }), extractedListing(img, { session: sessions![1] })]);
    assert.deepEqual(diffListings(first, second, { fields: ['type', 'size'] }), [
      'unexpected: docs/added.txt (file)', 'unexpected: new-dir (dir)', 'unexpected: new-dir/n.txt (file)',
      'replaced.txt: size expected 50, got 5000']);
    // bsdtar reads the first session's volume descriptors at LBA 16.
    assert.deepEqual(diffListings(await bsdtarListing(img), first, { fields: ['type', 'size', 'mode', 'target'] }), []);
  });

  test('genisoimage-deep: relocated directories read back in place', async () => {
    const img = await fixture('genisoimage-deep');
    const rr = await extractedListing(img);
    const deepest = 'level1/level2/level3/level4/level5/level6/level7/level8/level9/level10/level11/level12/file12.txt';
    assert.equal(byPath(rr, deepest)?.size, 120);
    // genisoimage leaves the (now empty) relocation directory visible in the Rock Ridge tree.
    assert.deepEqual(rr.filter((e) => e.path.startsWith('rr_moved')).map((e) => e.path), ['rr_moved']);
    const plain = await isoinfoListing(img, { view: 'iso9660' });
    assert.ok(plain.some((e) => e.path === 'RR_MOVED'), 'the plain ISO 9660 tree shows the relocation directory');
  });

  test('bigdir: 12,000 entries in one directory', async () => {
    const entries = await isoinfoListing(await fixture('bigdir'));
    assert.equal(entries.filter((e) => e.path.startsWith('big/')).length, 12000);
  });

  test('zisofs: compressed files extract to the same bytes as their plain copies', async () => {
    const img = await fixture('zisofs');
    const list = await extractedListing(img);
    for (const n of [1000, 32768, 32769, 200000]) {
      assert.equal(byPath(list, `z/text-${n}.txt`)?.sha256, byPath(list, `plain/text-${n}.txt`)?.sha256);
    }
    const streams = await runText('xorriso', ['-no_rc', '-indev', img, '-find', '/z', '-exec', 'show_stream', '--']);
    assert.match(streams, /text-200000\.txt' < --zisofs-decode/);
  });

  test('genisoimage-joliet: long names; what genisoimage makes of ";" and a non-BMP character', async () => {
    const list = await extractedListing(await fixture('genisoimage-joliet'), { view: 'joliet' });
    // genisoimage writes UCS-2 only: the name "emoji 😀.txt" ends at U+1F600, and ";" becomes "_".
    assert.deepEqual(list.map((e) => displayPath(e.path)), ['.', 'Mixed Case_ semicolon.txt', 'b2049.bin', 'emoji ',
      'empty dir', `${'j'.repeat(96)}.txt`, 'Ελληνικά', 'Ελληνικά/αρχείο.txt', 'Ελληνικά/子目录', 'Ελληνικά/子目录/漢字.txt']);
  });

  test('rock ridge views: isoinfo and extraction agree', async () => {
    // (isoinfo does not follow Rock Ridge relocation, so genisoimage-deep is left out.)
    for (const name of ['genisoimage-level4', 'genisoimage-stack', 'xorriso-grown', 'bigdir'] as const) {
      const img = await fixture(name);
      const [ii, ex] = await Promise.all([isoinfoListing(img), extractedListing(img)]);
      assert.deepEqual(diffListings(ii, ex, { fields: ['type', 'size', 'target'] }), [], name);
    }
  });
});

describe('listing helper', () => {
  test('byte-exact names, link groups, types and sorting', async () => {
    const root = path.join(tmp, 'tree');
    fs.mkdirSync(path.join(root, 'd'), { recursive: true });
    const raw = Buffer.concat([Buffer.from(root + '/bad-'), Buffer.from([0xff, 0xfe]), Buffer.from('.bin')]);
    fs.writeFileSync(raw, 'x');
    fs.writeFileSync(path.join(root, 'd', 'a'), 'hello');
    fs.linkSync(path.join(root, 'd', 'a'), path.join(root, 'b-link'));
    fs.symlinkSync('d/a', path.join(root, 'sym'));
    await run('mkfifo', [path.join(root, 'fifo')]);
    fs.utimesSync(path.join(root, 'd', 'a'), new Date(-1500), new Date(-1500));
    const list = await listTree(root);
    assert.deepEqual(list.map((e) => displayPath(e.path)), ['.', 'b-link', 'bad-\\xff\\xfe.bin', 'd', 'd/a', 'fifo', 'sym']);
    const a = byPath(list, 'd/a')!;
    assert.equal(a.linkGroup, 'b-link');
    assert.equal(byPath(list, 'b-link')?.linkGroup, 'b-link');
    assert.equal(a.mtime, -2, 'mtime is floored to whole seconds');
    assert.equal(a.sha256, crypto.createHash('sha256').update('hello').digest('hex'));
    assert.equal(byPath(list, 'sym')?.target, 'd/a');
    assert.equal(byPath(list, 'fifo')?.type, 'fifo');
    const changed = list.map((e) => (e.path === 'd/a' ? { ...e, size: 6 } : e)).filter((e) => e.path !== 'sym');
    assert.deepEqual(diffListings(list, changed), ['missing: sym (symlink)', 'd/a: size expected 5, got 6']);
  });
});
