import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { commitDirectoryUpdate } from '../../src/engine/update-merge';
import { EPOCH, extract, rmrf, seededBytes, snapshot, tempDir, tocStarts } from './engine-support';

const CHILD = `
const { commitDirectoryUpdate } = require(${JSON.stringify(path.resolve(__dirname, '../../src/engine/update-merge.js'))});
commitDirectoryUpdate(process.argv[2], { imagePath: process.argv[3] }).then(() => process.stderr.write('DONE\\n'));
`;

/** Runs a committing child that pauses at `stage`, then kills it with SIGKILL (bounded by a timeout). */
function commitAndKill(script: string, src: string, image: string, stage: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, src, image], { env: { ...process.env, DISCFS_ENGINE_PAUSE_AT: stage }, stdio: ['ignore', 'ignore', 'pipe'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not reach ${stage}`));
    }, 20_000);
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes(`DISCFS_ENGINE_PAUSED ${stage}`)) child.kill('SIGKILL');
    });
    child.on('exit', () => {
      clearTimeout(timer);
      if (err.includes('DISCFS_ENGINE_PAUSED')) resolve();
      else reject(new Error(`child ended without pausing: ${err}`));
    });
  });
}

describe('engine: kill -9 during a commit', { timeout: 60_000 }, () => {
  let work: string;
  let v1: string;
  let v2: string;
  let base: Buffer;
  let script: string;
  before(async () => {
    process.env.SOURCE_DATE_EPOCH = EPOCH;
    work = tempDir('crash');
    v1 = path.join(work, 'v1');
    v2 = path.join(work, 'v2');
    for (const d of [v1, v2]) fs.mkdirSync(d);
    fs.writeFileSync(path.join(v1, 'a'), seededBytes(50_000, 1));
    fs.writeFileSync(path.join(v2, 'a'), seededBytes(50_000, 1));
    fs.writeFileSync(path.join(v2, 'b'), seededBytes(300_000, 2));
    const mtime = new Date(1_650_000_000_000);
    for (const p of [path.join(v1, 'a'), path.join(v2, 'a'), path.join(v2, 'b')]) fs.utimesSync(p, mtime, mtime);
    const image = path.join(work, 'base.iso');
    await commitDirectoryUpdate(v1, { imagePath: image });
    base = fs.readFileSync(image);
    script = path.join(work, 'child.js');
    fs.writeFileSync(script, CHILD);
  });
  after(() => rmrf(work));

  for (const stage of ['data', 'tree', 'session', 'head-tail']) {
    it(`killed after stage "${stage}": the old image is intact byte for byte and reads as before`, async () => {
      const image = path.join(work, `${stage}.iso`);
      fs.writeFileSync(image, base);
      await commitAndKill(script, v2, image, stage);
      assert.ok(fs.readFileSync(image).subarray(0, base.length).equals(base), 'prefix unchanged');
      assert.deepEqual(tocStarts(image), [32]);
      const out = path.join(work, `out-${stage}`);
      extract(image, out);
      assert.deepEqual(snapshot(out), snapshot(v1));
    });
  }

  it('killed after the header switch: the image reads fully as after', async () => {
    const image = path.join(work, 'head.iso');
    fs.writeFileSync(image, base);
    await commitAndKill(script, v2, image, 'head');
    assert.equal(tocStarts(image).length, 2);
    const out = path.join(work, 'out-head');
    extract(image, out);
    assert.deepEqual(snapshot(out), snapshot(v2));
  });
});
