import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { commitSession, planSession } from '../../src/engine/commit';
import { sourceTreeFromLower } from '../../src/engine/from-lower';
import { commitDirectoryUpdate } from '../../src/engine/update-merge';
import { openImageFile } from '../../src/medium/image-file';
import { openVolume } from '../../src/tree/iso-volume';
import { DiscfsError } from '../../src/util/errors';
import { EPOCH, extract, rmrf, run, seededBytes, snapshot, tempDir, tocStarts } from './engine-support';

const sha = (p: string): string => crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');

function put(p: string, data: Buffer | string): void {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
  fs.utimesSync(p, 1_650_000_000, 1_650_000_000);
}

describe('engine: growing an image over several sessions', { timeout: 60_000 }, () => {
  let work: string;
  let image: string;
  const states: string[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  before(() => {
    process.env.SOURCE_DATE_EPOCH = EPOCH;
    work = tempDir('grow');
    image = path.join(work, 'img.iso');
  });
  after(() => rmrf(work));

  it('session 1 from a directory', async () => {
    const v1 = path.join(work, 'v1');
    put(path.join(v1, 'keep.bin'), seededBytes(10_000, 1));
    put(path.join(v1, 'gone.txt'), 'bye');
    put(path.join(v1, 'old-name.txt'), 'rename me');
    put(path.join(v1, 'dir/mod.txt'), 'version 1');
    const r = await commitDirectoryUpdate(v1, { imagePath: image });
    states.push(v1);
    starts.push(r.startLba);
    ends.push(r.endLba);
    assert.deepEqual(tocStarts(image), [32]);
  });

  it('session 2 from the old session edited (rename, delete, chmod, add): old data is not rewritten', async () => {
    const v2 = path.join(work, 'v2');
    execFileSync('cp', ['-a', states[0], v2]);
    fs.renameSync(path.join(v2, 'old-name.txt'), path.join(v2, 'new-name.txt'));
    fs.rmSync(path.join(v2, 'gone.txt'));
    fs.chmodSync(path.join(v2, 'keep.bin'), 0o600);
    put(path.join(v2, 'added.txt'), 'new in 2');
    const medium = await openImageFile(image);
    const lower = await openVolume(medium, {});
    const tree = await sourceTreeFromLower(lower);
    await medium.close();
    const root = tree.root.children!;
    root.find((e) => e.name.toString() === 'old-name.txt')!.name = Buffer.from('new-name.txt');
    root.splice(root.findIndex((e) => e.name.toString() === 'gone.txt'), 1);
    const keep = root.find((e) => e.name.toString() === 'keep.bin')!;
    keep.attrs = { ...keep.attrs, mode: (keep.attrs.mode & ~0o7777) | 0o600 };
    const st = fs.lstatSync(path.join(v2, 'added.txt'));
    root.push({ name: Buffer.from('added.txt'), attrs: { ...keep.attrs, mode: st.mode, size: st.size, nlink: 1, mtime: { sec: 1_650_000_000, nsec: 0 } }, content: { from: 'local', path: path.join(v2, 'added.txt') } });
    const plan = await planSession({ imagePath: image, tree });
    assert.equal(plan.dataBlocks, 1, 'only the added file is written');
    const r = await commitSession({ imagePath: image, tree });
    states.push(v2);
    starts.push(r.startLba);
    ends.push(r.endLba);
    assert.equal(r.startLba, Math.ceil(ends[0] / 32) * 32);
    assert.deepEqual(tocStarts(image), starts);
  });

  it('session 3 by the update rule (modified file rewritten, unchanged kept)', async () => {
    const v3 = path.join(work, 'v3');
    execFileSync('cp', ['-a', states[1], v3]);
    put(path.join(v3, 'dir/mod.txt'), 'version 3, longer');
    put(path.join(v3, 'dir/sub/three.txt'), 'three');
    const before1 = fs.readFileSync(image).subarray(32 * 2048, ends[0] * 2048);
    const r = await commitDirectoryUpdate(v3, { imagePath: image });
    assert.equal(r.dataBlocks, 2);
    states.push(v3);
    starts.push(r.startLba);
    ends.push(r.endLba);
    assert.deepEqual(tocStarts(image), starts);
    assert.ok(fs.readFileSync(image).subarray(32 * 2048, ends[0] * 2048).equals(before1), 'session 1 is unchanged');
  });

  it('every session extracts as its state (xorriso -load sbsector)', () => {
    starts.forEach((start, i) => {
      const out = path.join(work, `out${i + 1}`);
      extract(image, out, start);
      assert.deepEqual(snapshot(out, { mtimes: false }), snapshot(states[i], { mtimes: false }), `session ${i + 1}`);
      assert.deepEqual(snapshot(out), snapshot(states[i]), `session ${i + 1} mtimes`);
    });
  });

  it('xorriso can append a further session after ours', () => {
    const extra = path.join(work, 'extra');
    put(path.join(extra, 'by-xorriso.txt'), 'x');
    run('xorriso', ['-dev', image, '-map', extra, '/x', '-commit']);
    const toc = tocStarts(image);
    assert.equal(toc.length, 4);
    assert.deepEqual(toc.slice(0, 3), starts);
  });
});

describe('engine: refusals', { timeout: 30_000 }, () => {
  let work: string;
  before(() => (work = tempDir('refuse')));
  after(() => rmrf(work));

  it('refuses an image whose session starts at LBA 0 and leaves it unchanged', async () => {
    const src = path.join(work, 'src');
    put(path.join(src, 'a'), 'a');
    const image = path.join(work, 'plain.iso');
    run('genisoimage', ['-quiet', '-R', '-o', image, src]);
    const before1 = sha(image);
    await assert.rejects(
      commitDirectoryUpdate(src, { imagePath: image }),
      (e: unknown) => e instanceof DiscfsError && e.code === 'ENGINE_SESSION_AT_LBA0' && /xorriso -indev/.test(e.message),
    );
    assert.equal(sha(image), before1);
  });

  it('refuses a session that would not fit the medium, before writing, with the numbers', async () => {
    const src = path.join(work, 'big');
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'sparse'), '');
    fs.truncateSync(path.join(src, 'sparse'), 800 * 1000 * 1000);
    const image = path.join(work, 'cd.iso');
    await assert.rejects(commitDirectoryUpdate(src, { imagePath: image, media: 'cd' }), (e: unknown) => {
      return e instanceof DiscfsError && e.code === 'ENGINE_NO_SPACE' && /359846 blocks/.test(e.message);
    });
    assert.equal(fs.existsSync(image), false);
  });

  it('an abort during the data phase leaves the image byte-identical', async () => {
    const src = path.join(work, 'ab');
    put(path.join(src, 'one'), seededBytes(3 << 20, 3));
    const image = path.join(work, 'ab.iso');
    await commitDirectoryUpdate(src, { imagePath: image });
    fs.appendFileSync(image, Buffer.alloc(4096, 0x55)); // padding past the last session, as xorriso leaves
    const before1 = sha(image);
    put(path.join(src, 'two'), seededBytes(3 << 20, 4));
    const ac = new AbortController();
    await assert.rejects(
      commitDirectoryUpdate(src, { imagePath: image, signal: ac.signal, onProgress: (p) => p.phase === 'data' && p.bytesDone > 0 && ac.abort() }),
      (e: unknown) => e instanceof DiscfsError && e.code === 'ENGINE_ABORTED',
    );
    assert.equal(sha(image), before1);
  });
});
