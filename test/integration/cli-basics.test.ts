// The command line as a user meets it: sessions listing vs xorriso -toc, and one-line errors with distinct codes.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EXIT } from '../../src/cli/exit-codes';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'discfs');
const ENV = { ...process.env, SOURCE_DATE_EPOCH: '1700000000', LC_ALL: 'C.UTF-8' };

function discfs(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000, env: ENV });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function xorriso(...args: string[]): string {
  const r = spawnSync('xorriso', args, { encoding: 'utf8', timeout: 30_000, env: ENV });
  assert.equal(r.status, 0, r.stderr);
  return `${r.stdout}${r.stderr}`;
}

/** Session start LBAs and sizes as xorriso -toc reports them. */
function tocSessions(image: string): { start: number; blocks: number }[] {
  const out = xorriso('-indev', image, '-toc');
  return [...out.matchAll(/^ISO session\s*:\s*\d+\s*,\s*(\d+)\s*,\s*(\d+)s/gm)].map((m) => ({ start: Number(m[1]), blocks: Number(m[2]) }));
}

describe('discfs sessions and usage errors', () => {
  let dir: string;
  let image: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'discfs-cli-'));
    image = path.join(dir, 'grown.iso');
    for (const n of [1, 2, 3]) {
      const src = path.join(dir, `s${n}`);
      fs.mkdirSync(src);
      fs.writeFileSync(path.join(src, `file${n}.txt`), `session ${n}\n`.repeat(n * 500));
      xorriso('-dev', image, '-volid', `VOL${n}`, '-joliet', 'on', '-map', src, `/d${n}`, '-commit');
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lists every session with the start and size xorriso -toc reports', () => {
    const r = discfs('sessions', '--json', image);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as { number: number; startLba: number; blocks: number; volumeId: string; fileSystems: string[] }[];
    const toc = tocSessions(image);
    assert.equal(toc.length, 3);
    assert.deepEqual(list.map((s) => ({ start: s.startLba, blocks: s.blocks })), toc);
    assert.deepEqual(list.map((s) => s.number), [1, 2, 3]);
    assert.deepEqual(list.map((s) => s.volumeId), ['VOL1', 'VOL2', 'VOL3']);
    for (const s of list) assert.ok(s.fileSystems.includes('rockridge') && s.fileSystems.includes('joliet'), JSON.stringify(s));
  });

  it('prints a table by default', () => {
    const r = discfs('sessions', image);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], /^#\s+start\s+blocks/);
    assert.equal(lines.length, 4);
    assert.match(lines[3], /^3\s+\d+\s+\d+.*VOL3/);
  });

  it('names what a file holds when it is not ISO 9660', () => {
    const tar = path.join(dir, 'a.tar');
    const r0 = spawnSync('tar', ['-cf', tar, '-C', dir, 's1']);
    assert.equal(r0.status, 0);
    const r = discfs('sessions', tar);
    assert.equal(r.code, EXIT.noFileSystem, r.stderr);
    assert.match(r.stderr, /^discfs: .*a\.tar holds no ISO 9660 file system: found a tar archive\n$/);
    const empty = path.join(dir, 'empty.iso');
    fs.writeFileSync(empty, '');
    assert.match(discfs('sessions', empty).stderr, /found an empty file/);
  });

  it('gives one line and a distinct exit code for each error', () => {
    const missing = discfs('sessions', path.join(dir, 'nope.iso'));
    assert.equal(missing.code, EXIT.sourceMissing);
    assert.equal(missing.stderr.split('\n').length, 2);
    const usage = discfs('frobnicate');
    assert.equal(usage.code, EXIT.usage);
    assert.match(usage.stderr, /see discfs --help/);
    const mnt = path.join(dir, 'not-empty');
    fs.mkdirSync(mnt);
    fs.writeFileSync(path.join(mnt, 'x'), '');
    assert.equal(discfs('mount', '--read-only', image, mnt).code, EXIT.mountpointNotEmpty);
    assert.equal(discfs('mount', '--read-only', image, path.join(dir, 'no-such-dir')).code, EXIT.mountpointMissing);
    assert.equal(discfs('mount', '--read-only', '--session', '9', image, path.join(dir, 's1', '..', 'empty-mnt')).code, EXIT.mountpointMissing);
    assert.equal(discfs('unmount', dir).code, EXIT.notMounted);
  });

  it('has --help with examples and the exit codes, and --version', () => {
    const h = discfs('mount', '--help');
    assert.equal(h.code, 0);
    assert.match(h.stdout, /Examples:/);
    const top = discfs('--help');
    assert.match(top.stdout, /Exit codes:[\s\S]*\b8\s+the mountpoint is not empty/);
    assert.match(discfs('--version').stdout, /^\d+\.\d+\.\d+\n$/);
  });
});
