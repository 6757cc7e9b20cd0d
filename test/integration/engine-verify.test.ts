// Stored per-file checksums (PVD Application Use marker -> SHA-256 table): `discfs verify`, carried over sessions, --verify all.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { EXIT } from '../../src/cli/exit-codes';
import { commitDirectoryUpdate } from '../../src/engine/update-merge';
import { openImageFile } from '../../src/medium/image-file';
import { openVolume } from '../../src/tree/iso-volume';
import type { LowerNode } from '../../src/tree/lower-tree';
import { extract, rmrf, run, seededBytes, snapshot, tempDir, TOOL_ENV } from './engine-support';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'discfs');
const NOW = new Date(1_700_000_000_000);

function discfsVerify(...args: string[]): { code: number | null; report: { checked: number; unchecked: number; mismatches: string[]; hasTable: boolean; session: number } } {
  const r = spawnSync(process.execPath, [BIN, 'verify', '--json', ...args], { encoding: 'utf8', timeout: 30_000, env: TOOL_ENV });
  return { code: r.status, report: JSON.parse(r.stdout) };
}

async function firstLbaOf(image: string, rel: string): Promise<number> {
  const medium = await openImageFile(image);
  try {
    const tree = await openVolume(medium, { view: 'rr' });
    let node: LowerNode = tree.root;
    for (const part of rel.split('/')) node = (await tree.lookup(node, Buffer.from(part)))!;
    return node.extents[0].lba;
  } finally {
    await medium.close();
  }
}

describe('engine: stored checksums and discfs verify', { timeout: 60_000 }, () => {
  let dir: string;
  let src: string;
  let image: string;
  before(async () => {
    dir = tempDir('verify');
    src = path.join(dir, 'src');
    image = path.join(dir, 'v.iso');
    fs.mkdirSync(path.join(src, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(src, 'a.bin'), seededBytes(5000, 1));
    fs.writeFileSync(path.join(src, 'sub/b.bin'), seededBytes(3 << 20, 2));
    fs.writeFileSync(path.join(src, 'empty'), '');
    fs.linkSync(path.join(src, 'a.bin'), path.join(src, 'sub/a-link'));
    await commitDirectoryUpdate(src, { imagePath: image, now: NOW });
    fs.writeFileSync(path.join(src, 'c.txt'), 'new in session 2\n');
    fs.utimesSync(path.join(src, 'c.txt'), 1_600_000_000, 1_600_000_000);
    await commitDirectoryUpdate(src, { imagePath: image, now: NOW, verify: 'all' });
  });
  after(() => rmrf(dir));

  it('checks every distinct file of each session, unchanged data through the carried checksums', () => {
    const s2 = discfsVerify(image);
    assert.equal(s2.code, 0);
    assert.deepEqual({ ...s2.report, mismatches: s2.report.mismatches.length }, { ...s2.report, session: 2, hasTable: true, checked: 3, unchecked: 0, mismatches: 0 });
    const s1 = discfsVerify('--session', '1', image);
    assert.equal(s1.code, 0);
    assert.equal(s1.report.checked, 2);
  });

  it('leaves no trace in any listing: extraction equals the source', () => {
    const out = path.join(dir, 'x');
    extract(image, out);
    assert.deepEqual(snapshot(out, { mtimes: false }), snapshot(src, { mtimes: false }));
    assert.doesNotMatch(run('isoinfo', ['-R', '-l', '-i', image]), /DISCFS-SHA/);
  });

  it('reports a corrupted file with exit code verifyFailed, and --verify all refuses to commit over it', async () => {
    const bad = path.join(dir, 'bad.iso');
    fs.copyFileSync(image, bad);
    const lba = await firstLbaOf(bad, 'sub/b.bin');
    const fd = fs.openSync(bad, 'r+');
    fs.writeSync(fd, Buffer.from('corrupt'), 0, 7, lba * 2048 + 100);
    fs.closeSync(fd);
    const r = discfsVerify(bad);
    assert.equal(r.code, EXIT.verifyFailed);
    assert.deepEqual(r.report.mismatches, ['/sub/b.bin']);
    fs.writeFileSync(path.join(src, 'd.txt'), 'd');
    fs.utimesSync(path.join(src, 'd.txt'), 1_600_000_000, 1_600_000_000);
    await assert.rejects(commitDirectoryUpdate(src, { imagePath: bad, now: NOW, verify: 'all' }), (e: Error & { code?: string }) => e.code === 'ENGINE_VERIFY' && /b\.bin/.test(e.message));
  });

  it('a session written by xorriso has no table: nothing compared, not a failure', () => {
    const x = path.join(dir, 'x.iso');
    run('xorriso', ['-dev', x, '-map', src, '/', '-commit']);
    const r = discfsVerify(x);
    assert.equal(r.code, 0);
    assert.equal(r.report.hasTable, false);
    assert.equal(r.report.checked, 0);
    assert.ok(r.report.unchecked >= 3);
  });
});
