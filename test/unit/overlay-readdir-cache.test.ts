// The overlay's cached merged listings: every change shows in the next readdir, concurrent changes never leave a stale
// listing behind, and entries carry their raw name bytes (what the FUSE adapter passes on without re-encoding).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { constants as C } from 'node:fs';
import { fuseOperations } from '../../src/fuse/adapter';
import type { FuseStat } from '../../src/fuse/binding';
import { encodeName } from '../../src/util/name-codec';
import { makeOverlay, names, ROOT, writeFile, type OverlayHarness } from './overlay-fixture';

describe('overlay: cached readdir', () => {
  let h: OverlayHarness;
  before(async () => (h = await makeOverlay()));
  after(async () => h.cleanup());

  it('shows each change in the next listing of a directory listed before', async () => {
    assert.deepEqual(await names(h.fs, '/docs'), ['a.txt', 'b.txt', 'sub']);
    await writeFile(h.fs, '/docs/c.txt', 'c');
    assert.deepEqual(await names(h.fs, '/docs'), ['a.txt', 'b.txt', 'c.txt', 'sub']);
    await h.fs.rename('/docs/a.txt', '/docs/z.txt', ROOT);
    assert.deepEqual(await names(h.fs, '/docs'), ['b.txt', 'c.txt', 'sub', 'z.txt']);
    await h.fs.unlink('/docs/b.txt', ROOT);
    await h.fs.mkdir('/docs/new', 0o755, ROOT);
    await h.fs.symlink('z.txt', '/docs/l', ROOT);
    assert.deepEqual(await names(h.fs, '/docs'), ['c.txt', 'l', 'new', 'sub', 'z.txt']);
    await h.fs.rename('/docs/new', '/moved', ROOT);
    assert.deepEqual(await names(h.fs, '/docs'), ['c.txt', 'l', 'sub', 'z.txt']);
    assert.ok((await names(h.fs, '/')).includes('moved'));
  });

  it('hands out copies: sorting one result does not reorder the next', async () => {
    const first = await h.fs.readdir('/docs', ROOT);
    const order = first.map((e) => e.name);
    first.reverse();
    assert.deepEqual((await h.fs.readdir('/docs', ROOT)).map((e) => e.name), order);
  });

  it('never keeps a listing merged while a change ran', async () => {
    const listing = names(h.fs, '/docs');
    const created = writeFile(h.fs, '/docs/racing.txt', 'r');
    await Promise.all([listing, created]);
    assert.ok((await names(h.fs, '/docs')).includes('racing.txt'));
    for (let i = 0; i < 20; i++) {
      const both = await Promise.all([names(h.fs, '/docs'), h.fs.unlink(`/docs/${i % 2 === 0 ? 'racing.txt' : 'again.txt'}`, ROOT)]);
      assert.ok(both[0].length > 0);
      await writeFile(h.fs, `/docs/${i % 2 === 0 ? 'again.txt' : 'racing.txt'}`, 'x');
      const now = await names(h.fs, '/docs');
      assert.equal(now.includes('racing.txt'), i % 2 === 1);
      assert.equal(now.includes('again.txt'), i % 2 === 0);
    }
  });

  it('gives raw name bytes equal to the encoded names, also for names that are not UTF-8', async () => {
    const odd = Buffer.from([0x66, 0xff, 0x2e, 0x74]);
    const fh = await h.fs.create(`/empty/${odd.toString('latin1').replace(/\xff/, '\udcff')}`, 0o644, C.O_WRONLY | C.O_CREAT, ROOT);
    await h.fs.release('/empty/x', fh);
    const entries = await h.fs.readdir('/empty', ROOT);
    assert.equal(entries.length, 1);
    assert.ok(entries[0].rawName !== undefined);
    assert.deepEqual(entries[0].rawName, odd);
    assert.deepEqual(encodeName(entries[0].name), odd);
  });

  it('answers readdir through the adapter with d_ino and type bits of every entry', async () => {
    const ops = fuseOperations(h.fs, { log: () => undefined });
    const readdir = ops.readdir;
    assert.ok(readdir !== undefined);
    const answer = await new Promise<{ names: Buffer[]; stats: Partial<FuseStat>[] }>((resolve, reject) => {
      readdir(Buffer.from('/docs'), (err, n, s) => {
        if (err !== 0 || n === undefined || s === undefined) reject(new Error(`readdir answered ${err}`));
        else resolve({ names: n, stats: s });
      }, { uid: 0, gid: 0, pid: 1 });
    });
    const byName = new Map(answer.names.map((n, i) => [n.toString(), answer.stats[i]]));
    assert.deepEqual([...byName.keys()].slice(0, 2), ['.', '..']);
    for (const e of await h.fs.readdir('/docs', ROOT)) {
      const st = byName.get(e.name);
      assert.ok(st !== undefined, e.name);
      assert.equal(BigInt(st.ino ?? -1), (await h.fs.getattr(`/docs/${e.name}`, ROOT)).ino);
      assert.equal((st.mode ?? 0) & 0o170000, (await h.fs.getattr(`/docs/${e.name}`, ROOT)).mode & 0o170000);
    }
  });
});
