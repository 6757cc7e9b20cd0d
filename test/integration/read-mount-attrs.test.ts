// What a read-only mount reports besides names and content, seen through the real FUSE mount from this
// process with bounded external commands: inode numbers stable across remounts, hard links sharing st_ino with
// the right st_nlink, st_blocks, statfs, readlink of long and "." targets, a directory of 12,000 entries,
// and zisofs files read back decompressed.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../helpers/exec';
import { fixture } from '../helpers/fixtures';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'discfs');
const CALL_TIMEOUT_MS = 20_000;
const STAT_BLOCK = 512;

let work = '';
let env: NodeJS.ProcessEnv = {};
let counter = 0;
const mounted = new Set<string>();

/** Unmounts, lazily if a plain unmount fails or does not return: a test must never leave a mount behind. */
async function unmount(mnt: string): Promise<void> {
  if (!mounted.delete(mnt)) return;
  const plain = await run('fusermount', ['-u', mnt], { timeoutMs: CALL_TIMEOUT_MS, okCodes: [0, 1] }).catch(() => undefined);
  if (plain?.code !== 0) await run('fusermount', ['-uz', mnt], { timeoutMs: CALL_TIMEOUT_MS, okCodes: [0, 1] }).catch(() => undefined);
}

async function mountRead(image: string): Promise<string> {
  const mnt = path.join(work, `mnt-${counter++}`);
  fs.mkdirSync(mnt);
  mounted.add(mnt);
  await run(process.execPath, [BIN, 'mount', '--read-only', image, mnt], { timeoutMs: CALL_TIMEOUT_MS, env });
  return mnt;
}

async function text(cmd: string, ...args: string[]): Promise<string> {
  return (await run(cmd, args, { timeoutMs: CALL_TIMEOUT_MS, env })).stdout.toString('utf8');
}

interface Stat {
  ino: string;
  nlink: number;
  blocks: number;
  size: number;
  type: string;
}

/** Every entry below `mnt` by relative path, from one bounded `find -printf`. */
async function statTree(mnt: string): Promise<Map<string, Stat>> {
  const out = await text('find', mnt, '-mindepth', '1', '-printf', '%P\\t%i\\t%n\\t%b\\t%s\\t%y\\n');
  const tree = new Map<string, Stat>();
  for (const line of out.split('\n').filter(Boolean)) {
    const [p, ino, nlink, blocks, size, type] = line.split('\t');
    tree.set(p, { ino, nlink: Number(nlink), blocks: Number(blocks), size: Number(size), type });
  }
  return tree;
}

before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'discfs-read-attrs-'));
  env = { ...process.env, LC_ALL: 'C.UTF-8', TZ: 'UTC', XDG_STATE_HOME: path.join(work, 'state') };
});

after(async () => {
  for (const mnt of [...mounted]) await unmount(mnt);
  fs.rmSync(work, { recursive: true, force: true });
});

describe('xorriso grown image, newest session', { timeout: 50_000 }, () => {
  let image = '';
  let first = new Map<string, Stat>();
  let mnt = '';
  before(async () => {
    image = await fixture('xorriso-grown');
    mnt = await mountRead(image);
    first = await statTree(mnt);
  });
  after(() => unmount(mnt));

  it('inode numbers are unique per file, shared by hard links, and the same after a remount', async () => {
    const again = await mountRead(image);
    try {
      const second = await statTree(again);
      assert.deepEqual([...second.entries()].map(([p, s]) => [p, s.ino]), [...first.entries()].map(([p, s]) => [p, s.ino]));
    } finally {
      await unmount(again);
    }
    const hard = ['hard/one', 'hard/two', 'hard/sub/three'].map((p) => first.get(p)!);
    assert.equal(new Set(hard.map((s) => s.ino)).size, 1, 'the three names of hard/one share st_ino');
    for (const s of hard) assert.equal(s.nlink, 3);
    const byIno = new Map<string, string[]>();
    for (const [p, s] of first) byIno.set(s.ino, [...(byIno.get(s.ino) ?? []), p]);
    const shared = [...byIno.values()].filter((ps) => ps.length > 1).map((ps) => ps.sort().join(' ')).sort();
    assert.deepEqual(shared, ['hard/one hard/sub/three hard/two', 'hard/pair-a nested/pair-b']);
  });

  it('st_blocks counts 512-byte units of the size; st_nlink is what PX records', async () => {
    for (const name of ['b2047.bin', 'b2048.bin', 'b2049.bin', 'b300k.bin']) {
      const s = first.get(`sizes/${name}`)!;
      assert.equal(s.blocks, Math.ceil(s.size / STAT_BLOCK), name);
      assert.equal(s.nlink, 1, name);
    }
    assert.equal(first.get('sizes/b2049.bin')!.size, 2049);
    assert.equal(first.get('sizes/b2049.bin')!.blocks, 5);
    // xorriso records 1 ("unknown", as find(1) reads it) in a directory's PX links; Linux isofs shows the same.
    const dir = first.get('nested/a')!;
    assert.equal(dir.type, 'd');
    assert.equal(dir.nlink, 1);
    assert.equal(dir.blocks, 4);
  });

  it('statfs reports the medium size, nothing free, 255-byte names', async () => {
    const [bsize, blocks, free, avail, namemax] = (await text('stat', '-f', '-c', '%S %b %f %a %l', mnt)).trim().split(' ').map(Number);
    assert.deepEqual({ bsize, blocks, free, avail, namemax }, { bsize: 2048, blocks: fs.statSync(image).size / 2048, free: 0, avail: 0, namemax: 255 });
  });

  it('readlink gives long (several SL components), dot and absolute targets', async () => {
    const long = Array.from({ length: 40 }, (_, i) => `seg${String(i + 1).padStart(3, '0')}/`).join('') + 'end';
    assert.equal(await text('readlink', path.join(mnt, 'links', 'long-target')), `${long}\n`);
    assert.equal(await text('readlink', path.join(mnt, 'links', 'dot')), '.\n');
    assert.equal(await text('readlink', path.join(mnt, 'links', 'absolute')), '/etc/hostname\n');
    assert.equal(first.get('links/long-target')!.size, long.length);
  });
});

describe('big directory and zisofs through the mount', { timeout: 50_000 }, () => {
  it('readdir of a 12,000-entry directory returns every name once', async () => {
    const mnt = await mountRead(await fixture('bigdir'));
    try {
      const names = (await text('ls', '-f', path.join(mnt, 'big'))).split('\n').filter(Boolean);
      assert.equal(names.length, 12_002);
      assert.equal(new Set(names).size, 12_002);
      assert.ok(names.includes('entry-11999' + 'x'.repeat(11999 % 41)));
    } finally {
      await unmount(mnt);
    }
  });

  it('zisofs-compressed files read back as their plain copies, with the uncompressed size', async () => {
    const mnt = await mountRead(await fixture('zisofs'));
    try {
      for (const n of [1000, 32768, 32769, 200000]) {
        const z = path.join(mnt, 'z', `text-${n}.txt`);
        const [zipped, plain] = await Promise.all([run('cat', [z], { timeoutMs: CALL_TIMEOUT_MS }), run('cat', [path.join(mnt, 'plain', `text-${n}.txt`)], { timeoutMs: CALL_TIMEOUT_MS })]);
        assert.equal(zipped.stdout.length, n);
        assert.ok(zipped.stdout.equals(plain.stdout), `z/text-${n}.txt differs from its plain copy`);
        assert.equal((await text('stat', '-c', '%s', z)).trim(), String(n));
      }
      assert.equal((await text('stat', '-c', '%s %b', path.join(mnt, 'z', 'empty.bin'))).trim(), '0 0');
      const zeros = (await run('cat', [path.join(mnt, 'z', 'zeros-100k.bin')], { timeoutMs: CALL_TIMEOUT_MS })).stdout;
      assert.ok(zeros.equals(Buffer.alloc(100_000)));
      // A 128-byte window across the 32 KiB zisofs block boundary, read with an offset.
      const window = await run('dd', [`if=${path.join(mnt, 'z', 'text-200000.txt')}`, 'bs=64', 'skip=511', 'count=2', 'status=none'], { timeoutMs: CALL_TIMEOUT_MS });
      const whole = (await run('cat', [path.join(mnt, 'plain', 'text-200000.txt')], { timeoutMs: CALL_TIMEOUT_MS })).stdout;
      assert.ok(window.stdout.equals(whole.subarray(511 * 64, 513 * 64)));
    } finally {
      await unmount(mnt);
    }
  });
});
