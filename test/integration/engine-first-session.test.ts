import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { commitSession, planSession } from '../../src/engine/commit';
import { sourceTreeFromDirectory } from '../../src/engine/from-directory';
import type { SourceTree } from '../../src/engine/source-tree';
import { EPOCH, extract, makeRichTree, rmrf, run, seededBytes, snapshot, tempDir, tocStarts, UNICODE_NAMES } from './engine-support';

describe('engine: first session from a rich local tree', { timeout: 60_000 }, () => {
  let work: string;
  let src: string;
  let image: string;
  let tree: SourceTree;
  before(async () => {
    process.env.SOURCE_DATE_EPOCH = EPOCH;
    work = tempDir('first');
    src = path.join(work, 'src');
    image = path.join(work, 'img.iso');
    makeRichTree(src);
    tree = await sourceTreeFromDirectory(src);
    await commitSession({ imagePath: image, tree });
  });
  after(() => rmrf(work));

  it('is one session at LBA 32 in xorriso -toc', () => {
    assert.deepEqual(tocStarts(image), [32]);
  });

  it('extracts with osirrox to the same names, kinds, modes, sizes, times, targets, data and hard links', () => {
    const out = path.join(work, 'out');
    extract(image, out);
    assert.deepEqual(snapshot(out), snapshot(src));
  });

  it('lists Rock Ridge and Joliet names with isoinfo', () => {
    const rr = run('isoinfo', ['-R', '-l', '-i', image]);
    for (const n of ['exact2049', 'x'.repeat(255), 'dslash -> x//y', 'chardev']) assert.ok(rr.includes(n), n);
    const joliet = run('isoinfo', ['-J', '-l', '-i', image]);
    // Two names sharing their first 64 characters stay distinct after truncation.
    const truncated = joliet.split('\n').filter((l) => l.includes('j'.repeat(40)));
    assert.equal(truncated.length, 2);
    assert.notEqual(truncated[0].trim().split(/\s+/).pop(), truncated[1].trim().split(/\s+/).pop());
    assert.ok(!joliet.includes('dslash'), 'symlinks are not in the Joliet tree');
  });

  it('records every Unicode plane in the Joliet tree (UTF-16 surrogate pairs) and shows them through bsdtar', () => {
    const bytes = fs.readFileSync(image);
    for (const n of UNICODE_NAMES) assert.ok(bytes.includes(Buffer.from(`${n};1`, 'utf16le').swap16()), `Joliet ${n}`);
    const listing = run('bsdtar', ['tf', image]);
    for (const n of UNICODE_NAMES) assert.ok(listing.includes(n), `bsdtar ${n}`);
    assert.ok(listing.includes('deep/a/b/c/d/e/f/g/h/i/j/leaf.txt'));
  });

  it('is deterministic: the same tree and SOURCE_DATE_EPOCH give the same bytes', async () => {
    const again = path.join(work, 'again.iso');
    await commitSession({ imagePath: again, tree });
    assert.ok(fs.readFileSync(again).equals(fs.readFileSync(image)));
  });

  it('planSession reports the session without writing', async () => {
    const dry = path.join(work, 'dry.iso');
    const plan = await planSession({ imagePath: dry, tree: await sourceTreeFromDirectory(src), media: 'cd' });
    assert.equal(plan.startLba, 32);
    assert.equal(plan.sessionNumber, 1);
    assert.ok(plan.dataBlocks >= 4 && plan.treeBlocks > 16);
    assert.equal(plan.freeBlocksAfter, 359_846 - plan.endLba);
    assert.equal(fs.existsSync(dry), false);
  });
});

describe('engine: multi-extent files with a small forced section size', { timeout: 30_000 }, () => {
  let work: string;
  after(() => rmrf(work));
  it('splits a file into sections that xorriso reads back whole', async () => {
    work = tempDir('multi');
    const src = path.join(work, 'src');
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'big'), seededBytes(5 * 8192 + 100, 7));
    fs.writeFileSync(path.join(src, 'exact'), seededBytes(2 * 8192, 8));
    const image = path.join(work, 'img.iso');
    await commitSession({ imagePath: image, tree: await sourceTreeFromDirectory(src), sectionSize: 8192 });
    const out = path.join(work, 'out');
    extract(image, out);
    assert.deepEqual(snapshot(out), snapshot(src));
    const listing = run('isoinfo', ['-l', '-i', image]);
    assert.equal(listing.split('\n').filter((l) => l.includes('BIG.;1')).length, 6);
  });
});
