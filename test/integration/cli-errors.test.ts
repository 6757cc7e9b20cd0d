// Every failure a user can meet at mount time gives one line naming the file at fault and its own exit code;
// the ordinary-user cases run as uid 65534 through setpriv.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { EXIT } from '../../src/cli/exit-codes';
import { BIN, CliSandbox } from './cli-harness';

const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];

describe('discfs error cases', () => {
  const box = new CliSandbox('errors');
  after(() => box.cleanup());
  const img = box.image('ok.iso', { 'a.txt': 'one\n' });

  function asNobody(args: string[], env: NodeJS.ProcessEnv = box.env) {
    const r = spawnSync('/usr/bin/setpriv', [...NOBODY, process.execPath, BIN, ...args], { encoding: 'utf8', env, timeout: 30_000 });
    return { code: r.status, stderr: r.stderr };
  }
  function oneLine(stderr: string, pattern: RegExp): void {
    assert.equal(stderr.split('\n').length, 2, stderr);
    assert.match(stderr, pattern);
  }

  it('a missing image, and no image file created under /dev', () => {
    const r = box.run(['mount', box.path('nope.iso'), box.mountpoint('m1')]);
    assert.equal(r.code, EXIT.sourceMissing);
    oneLine(r.stderr, /nope\.iso: no such image file or device/);
    const dev = box.run(['mount', '--create', '/dev/discfs-test-nonexistent.iso', box.mountpoint('m1')]);
    assert.equal(dev.code, EXIT.sourceMissing);
    oneLine(dev.stderr, /will not create an image file under \/dev/);
  });

  it('permission denied on the image for an ordinary user', () => {
    const secret = box.path('secret.iso');
    fs.copyFileSync(img, secret);
    fs.chmodSync(secret, 0o600);
    const r = asNobody(['sessions', secret]);
    assert.equal(r.code, EXIT.permissionDenied, r.stderr);
    oneLine(r.stderr, /secret\.iso: permission denied/);
  });

  it('a file that is not ISO 9660 says what it is', () => {
    const zeros = box.path('zeros.img');
    fs.writeFileSync(zeros, Buffer.alloc(64 * 2048));
    const r = box.run(['mount', zeros, box.mountpoint('m2')]);
    assert.equal(r.code, EXIT.noFileSystem);
    oneLine(r.stderr, /zeros\.img holds no ISO 9660 file system: found /);
  });

  it('mountpoint missing, not empty, already mounted', () => {
    assert.equal(box.run(['mount', img, box.path('absent')]).code, EXIT.mountpointMissing);
    const full = box.mountpoint('full');
    fs.writeFileSync(`${full}/x`, '');
    const nonEmpty = box.run(['mount', img, full]);
    assert.equal(nonEmpty.code, EXIT.mountpointNotEmpty);
    oneLine(nonEmpty.stderr, /full is not empty/);
    const mnt = box.mountpoint('busy');
    box.mount(['--read-only', img, mnt]);
    const again = box.run(['mount', '--read-only', img, mnt]);
    assert.equal(again.code, EXIT.alreadyMounted, again.stderr);
    const un = box.run(['unmount', mnt]);
    assert.equal(un.code, 0, un.stderr);
  });

  it('a staging dir that cannot be written', () => {
    const file = box.path('plain-file');
    fs.writeFileSync(file, '');
    const r = box.run(['mount', '--staging', `${file}/staging`, img, box.mountpoint('m3')]);
    assert.equal(r.code, EXIT.stagingNotWritable, r.stderr);
    oneLine(r.stderr, /staging dir .*plain-file\/staging is not writable: ENOTDIR/);
  });

  it('FUSE unusable for an ordinary user without fusermount', () => {
    const r = asNobody(['mount', '--read-only', img, box.mountpoint('m4')], { ...box.env, PATH: '/nonexistent' });
    assert.equal(r.code, EXIT.fuseUnavailable, r.stderr);
    oneLine(r.stderr, /fusermount is not installed/);
  });

  it('usage errors are one line with a hint, and completion prints a script', () => {
    const r = box.run(['mount', img]);
    assert.equal(r.code, EXIT.usage);
    oneLine(r.stderr, /see discfs --help/);
    const c = box.run(['completion']);
    assert.equal(c.code, 0);
    assert.match(c.stdout, /_discfs_yargs_completions|complete -o/);
    const words = box.run(['--get-yargs-completions', 'discfs', 'st']);
    assert.match(words.stdout, /^status/m);
  });

  it('info describes an image: sessions, capacity and free blocks', () => {
    const r = box.run(['info', '--json', '--media', 'cd', img]);
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout) as { sessions: unknown[]; capacityBlocks: number; freeBlocks: number; nextSessionLba: number; growable: boolean };
    assert.equal(info.sessions.length, 1);
    assert.equal(info.capacityBlocks, 359_846);
    assert.equal(info.freeBlocks, info.capacityBlocks - info.nextSessionLba);
    assert.equal(info.growable, true);
    assert.match(box.run(['info', img]).stdout, /^free: +\d+ blocks/m);
  });
});
