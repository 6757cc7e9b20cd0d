// Hostile images through a REAL mount: bytes of an xorriso image patched (several defects at once), mounted
// read-only by the CLI under `prlimit --as=1 GiB`, driven from this process with bounded external commands.
// Every call must return, unreadable data must fail with EIO (never zeros), each defect must be logged with
// its path, and what is intact must be shown. Also the two daemon modes: background (warnings to the log
// file) and -f/--foreground (warnings to stderr, a signal sent to the command unmounts).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { run, type ExecResult } from '../helpers/exec';
import { logFileFor } from '../../src/cli/paths';
import { content, findRecord, removeDir, tempDir, writeBoth32, writeTree, xorrisoImage } from '../unit/iso-fixtures';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'discfs');
/** The address-space limit the issue asks the daemon to live in. */
const ADDRESS_SPACE_LIMIT = 1024 * 1024 * 1024;
/** Any single FUSE-backed command must come back well within this. */
const CALL_TIMEOUT_MS = 10_000;
const MOUNT_TIMEOUT_MS = 30_000;
const ROOT_RECORD = 16 * 2048 + 156;

let dir = '';
let env: NodeJS.ProcessEnv = {};
let hostile = '';
const mounted = new Set<string>();

function mountedNow(mnt: string): boolean {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === mnt);
}

/** Unmounts, lazily if a plain unmount fails or does not return: a test must never leave a mount behind. */
async function unmount(mnt: string): Promise<void> {
  if (!mountedNow(mnt)) return;
  const plain = await run('fusermount', ['-u', mnt], { timeoutMs: CALL_TIMEOUT_MS, okCodes: [0, 1] }).catch(() => undefined);
  if (plain?.code !== 0) await run('fusermount', ['-uz', mnt], { timeoutMs: CALL_TIMEOUT_MS, okCodes: [0, 1] }).catch(() => undefined);
}

/** A command against the mount, bounded; resolves with its result whatever the exit code. */
function call(cmd: string, ...args: string[]): Promise<ExecResult> {
  return run(cmd, args, { timeoutMs: CALL_TIMEOUT_MS, env, okCodes: [0, 1, 2] });
}

/** A Rock Ridge PX entry turned into a CE pointing at its own record, padded with PD (SUSP 1.12 5.1, 5.2). */
function selfContinuation(img: Buffer, record: number): void {
  const px = img.indexOf('PX', record + 33, 'latin1');
  assert.ok(px > record && px < record + img[record], 'PX inside the record');
  const pxLength = img[px + 2];
  img.write('CE', px, 'latin1');
  img[px + 2] = 28;
  img[px + 3] = 1;
  writeBoth32(img, px + 4, Math.floor(record / 2048));
  writeBoth32(img, px + 12, record % 2048);
  writeBoth32(img, px + 20, img[record]);
  img.write('PD', px + 28, 'latin1');
  img[px + 30] = pxLength - 28;
  img[px + 31] = 1;
}

/** Several defects in one image, so one mount covers them (docs/hostile-input.md lists each case). */
function patchDefects(img: Buffer): void {
  const rootLba = img.readUInt32LE(ROOT_RECORD + 2);
  writeBoth32(img, findRecord(img, 'FILE.TXT;1') + 2, 0x7fff0000); // file extent beyond the end
  writeBoth32(img, findRecord(img, 'DEEPER') + 2, rootLba); // directory pointing at an ancestor
  writeBoth32(img, findRecord(img, 'WIDE') + 10, 0xffffffff); // directory Data Length 0xFFFFFFFF
  writeBoth32(img, findRecord(img, 'HUGE.BIN;1') + 10, 0xffffffff); // file Data Length 0xFFFFFFFF
  img[findRecord(img, 'ZZ.TXT;1') + 25] |= 0x80; // Multi-Extent flag followed by nothing
  selfContinuation(img, findRecord(img, 'AB.;1'));
}

function buildHostile(): string {
  const tree = path.join(dir, 'tree');
  writeTree(tree, {
    'file.txt': content('file', 3000),
    'huge.bin': content('huge', 100),
    ab: content('ab', 10),
    'zz.txt': content('zz', 10),
    'sub/inner.txt': content('inner', 5000),
    'sub/deeper/x.txt': content('x', 10),
    'wide/w.txt': content('w', 10),
    lnk: { symlink: 'sub/inner.txt' },
  });
  const image = path.join(dir, 'base.iso');
  xorrisoImage(image, tree);
  const img = fs.readFileSync(image);
  patchDefects(img);
  const out = path.join(dir, 'hostile.iso');
  fs.writeFileSync(out, img);
  return out;
}

/** The pid of the daemon serving `mnt` (its argv names the mountpoint and the ready pipe). */
function daemonPid(mnt: string): number {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (argv.includes(mnt) && argv.includes('--ready-fd')) return Number(entry);
  }
  throw new Error(`no daemon process for ${mnt}`);
}

function addressSpaceLimit(pid: number): string {
  const line = fs.readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max address space'));
  return (line ?? '').split(/\s+/).slice(3, 4)[0] ?? '';
}

async function mountLimited(image: string, mnt: string, extra: string[] = []): Promise<ExecResult> {
  fs.mkdirSync(mnt, { recursive: true });
  mounted.add(mnt);
  const args = [`--as=${ADDRESS_SPACE_LIMIT}`, process.execPath, BIN, 'mount', '--read-only', ...extra, image, mnt];
  return run('prlimit', args, { timeoutMs: MOUNT_TIMEOUT_MS, env, okCodes: Array.from({ length: 128 }, (_, i) => i) });
}

function primaryDescriptors(img: Buffer): number[] {
  const found: number[] = [];
  for (let at = 16 * 2048; at + 2048 <= Math.min(img.length, 64 * 2048); at += 2048) {
    if (img[at] === 1 && img.toString('latin1', at + 1, at + 6) === 'CD001') found.push(at);
  }
  assert.ok(found.length > 0, 'a PVD');
  return found;
}

function expectWarning(text: string, re: RegExp): void {
  assert.match(text, re, `no warning ${re} in:\n${text}`);
}

/** Warnings every mode must report for the hostile image, each naming its path. */
const EXPECTED_WARNINGS: readonly RegExp[] = [
  /\/file\.txt: extent at block \d+ .*beyond the medium end/,
  /\/sub\/deeper: directory at block \d+ is already shown as \/ \(loop or alias\)/,
  /\/wide: directory extent .*beyond the medium end/,
  /\/huge\.bin: extent at block \d+ \(4294967295 bytes\) ends beyond the medium end/,
  /Multi-Extent file "ZZ\.TXT;1" is followed by nothing/,
  /\/ab: record at byte \d+: (CE|SUSP)/,
];

before(() => {
  dir = tempDir('read-hostile-mount');
  env = { ...process.env, LC_ALL: 'C.UTF-8', TZ: 'UTC', XDG_STATE_HOME: path.join(dir, 'state') };
  hostile = buildHostile();
});

after(async () => {
  for (const mnt of mounted) await unmount(mnt);
  removeDir(dir);
});

describe('a hostile image through a real mount under prlimit --as=1GiB', { timeout: 50_000 }, () => {
  let mnt = '';
  before(async () => {
    mnt = path.join(dir, 'mnt-bg');
    const r = await mountLimited(hostile, mnt);
    assert.equal(r.code, 0, `mount failed: ${r.stderr.toString()}`);
  });
  after(() => unmount(mnt));

  it('the daemon runs inside the limit', () => {
    assert.equal(addressSpaceLimit(daemonPid(mnt)), String(ADDRESS_SPACE_LIMIT));
  });

  it('shows what is intact', async () => {
    const ls = await call('ls', '-a', mnt);
    assert.deepEqual(ls.stdout.toString().trim().split('\n').sort(), ['.', '..', 'ab', 'file.txt', 'huge.bin', 'lnk', 'sub', 'wide', 'zz.txt']);
    assert.ok((await call('cat', path.join(mnt, 'sub', 'inner.txt'))).stdout.equals(content('inner', 5000)));
    assert.ok((await call('cat', path.join(mnt, 'zz.txt'))).stdout.equals(content('zz', 10)));
    assert.ok((await call('cat', path.join(mnt, 'ab'))).stdout.equals(content('ab', 10)));
    assert.equal((await call('readlink', path.join(mnt, 'lnk'))).stdout.toString().trim(), 'sub/inner.txt');
  });

  it('unreadable data fails with EIO, never zeros', async () => {
    for (const name of ['file.txt', 'huge.bin']) {
      const r = await call('cat', path.join(mnt, name));
      assert.equal(r.code, 1, `${name}: reading should fail`);
      assert.equal(r.stdout.length, 0, `${name}: no bytes (and no zeros) may be returned`);
      assert.match(r.stderr.toString(), /Input\/output error/);
    }
    const huge = await call('stat', '-c', '%s', path.join(mnt, 'huge.bin'));
    assert.equal(huge.stdout.toString().trim(), '4294967295');
  });

  it('the loop and the oversized directory are shown empty; a full walk returns', async () => {
    assert.equal((await call('ls', '-A', path.join(mnt, 'sub', 'deeper'))).stdout.toString(), '');
    assert.equal((await call('ls', '-A', path.join(mnt, 'wide'))).stdout.toString(), '');
    const find = await call('find', mnt, '-ls');
    assert.equal(find.code, 0, find.stderr.toString());
    assert.equal(find.stdout.toString().trim().split('\n').length, 10);
  });

  it('each defect is logged with its path (background mode: the log file)', () => {
    const log = fs.readFileSync(logFileFor(mnt, env), 'utf8');
    for (const re of EXPECTED_WARNINGS) expectWarning(log, re);
    assert.match(log, / WARN /);
  });
});

describe('images whose descriptors are unusable are refused, naming the field', () => {
  it('Logical Block Size 0: non-zero exit, one line naming logicalBlockSize, nothing mounted', async () => {
    const img = fs.readFileSync(hostile);
    // Every PVD: xorriso images hold the session's own at LBA 48 and a copy at LBA 16 (emulated TOC).
    for (const pvd of primaryDescriptors(img)) {
      img.writeUInt16LE(0, pvd + 128);
      img.writeUInt16BE(0, pvd + 130);
    }
    const bad = path.join(dir, 'bad-block-size.iso');
    fs.writeFileSync(bad, img);
    const mnt = path.join(dir, 'mnt-refused');
    const r = await mountLimited(bad, mnt);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr.toString(), /logical ?block ?size/i);
    assert.equal(mountedNow(mnt), false);
  });
});

function waitFor(what: string, ms: number, check: () => boolean): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) return resolve();
      if (Date.now() - t0 > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

function exited(child: ChildProcess, ms: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => reject(new Error('the foreground daemon did not exit')), ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('-f/--foreground: the command is the daemon', { timeout: 40_000 }, () => {
  let child: ChildProcess | undefined;
  after(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('warnings go to stderr, SIGINT to the command unmounts it, no log file is written', async () => {
    const mnt = path.join(dir, 'mnt-fg');
    fs.mkdirSync(mnt);
    mounted.add(mnt);
    child = spawn('prlimit', [`--as=${ADDRESS_SPACE_LIMIT}`, process.execPath, BIN, 'mount', '-f', '--read-only', hostile, mnt], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    await waitFor(`the mount on ${mnt}`, MOUNT_TIMEOUT_MS, () => mountedNow(mnt));
    assert.ok((await call('cat', path.join(mnt, 'sub', 'inner.txt'))).stdout.equals(content('inner', 5000)));
    assert.equal((await call('find', mnt)).code, 0);
    for (const re of EXPECTED_WARNINGS) expectWarning(stderr, re);
    assert.equal(fs.existsSync(logFileFor(mnt, env)), false, 'a foreground mount writes no log file');
    child.kill('SIGINT');
    assert.equal(await exited(child, CALL_TIMEOUT_MS), 0);
    assert.equal(mountedNow(mnt), false);
  });
});
