// POSIX semantics of a writable mount: the same script of system calls runs in a plain directory (a copy of the old
// session) and in the mount, and every call must give the same result there: the same errno, the same sizes, modes,
// link counts and nanosecond times. Old-session entries and new ones are both exercised.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs, { constants as C } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run } from '../helpers/exec';
import { MountSandbox, pinTimes, xorrisoImage } from '../helpers/mount-cli';

type Step = [name: string, call: (root: string) => unknown];

/** What a call gives: its errno code, or a short description of its value. */
function outcome(call: () => unknown): string {
  try {
    const v = call();
    return v === undefined ? 'ok' : `ok ${typeof v === 'string' ? v : JSON.stringify(v)}`;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? String(e);
  }
}

function statOf(p: string): string {
  const s = fs.lstatSync(p, { bigint: true });
  const kind = s.isFile() ? 'file' : s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'link' : s.isFIFO() ? 'fifo' : 'other';
  const size = s.isDirectory() ? '-' : String(s.size);
  return `${kind} mode=${(s.mode & 0o7777n).toString(8)} nlink=${s.nlink} size=${size} mtime=${s.mtimeNs}`;
}

function withFd<T>(p: string, flags: number, use: (fd: number) => T, mode = 0o644): T {
  const fd = fs.openSync(p, flags, mode);
  try {
    return use(fd);
  } finally {
    fs.closeSync(fd);
  }
}

const at = (root: string, ...parts: string[]) => path.join(root, ...parts);

const STEPS: Step[] = [
  // open(2)
  ['O_CREAT|O_EXCL on an old file', (r) => withFd(at(r, 'old/file'), C.O_CREAT | C.O_EXCL | C.O_WRONLY, () => 0)],
  ['O_CREAT|O_EXCL on a new name', (r) => withFd(at(r, 'new'), C.O_CREAT | C.O_EXCL | C.O_WRONLY, (fd) => fs.writeSync(fd, 'new file\n'), 0o640)],
  ['stat new', (r) => statOf(at(r, 'new')).replace(/mtime=\d+/, '')],
  ['open a missing name', (r) => withFd(at(r, 'missing'), C.O_RDONLY, () => 0)],
  ['open a directory for writing', (r) => withFd(at(r, 'old'), C.O_WRONLY, () => 0)],
  ['open through a file', (r) => withFd(at(r, 'old/file/x'), C.O_RDONLY, () => 0)],
  ['O_TRUNC an old file', (r) => withFd(at(r, 'old/trunc'), C.O_WRONLY | C.O_TRUNC, () => fs.statSync(at(r, 'old/trunc')).size)],
  ['O_APPEND to an old file', (r) => withFd(at(r, 'old/file'), C.O_WRONLY | C.O_APPEND, (fd) => fs.writeSync(fd, 'tail', 0))],
  ['read the appended file', (r) => fs.readFileSync(at(r, 'old/file'), 'utf8')],
  ['read a write-only fd', (r) => withFd(at(r, 'new'), C.O_WRONLY, (fd) => fs.readSync(fd, Buffer.alloc(4)))],
  ['write a read-only fd', (r) => withFd(at(r, 'new'), C.O_RDONLY, (fd) => fs.writeSync(fd, 'x'))],
  ['pwrite past the end of an old file', (r) => withFd(at(r, 'old/hole'), C.O_WRONLY, (fd) => fs.writeSync(fd, Buffer.from('X'), 0, 1, 10_000))],
  ['stat the file with a hole', (r) => statOf(at(r, 'old/hole')).replace(/mtime=\d+/, '')],
  ['the hole reads as zeros', (r) => fs.readFileSync(at(r, 'old/hole')).subarray(4, 9_999).every((b) => b === 0)],
  // truncate(2)
  ['truncate a directory', (r) => fs.truncateSync(at(r, 'old'), 0)],
  ['truncate an old file longer', (r) => (fs.truncateSync(at(r, 'old/grow'), 5000), fs.statSync(at(r, 'old/grow')).size)],
  ['ftruncate a read-only fd', (r) => withFd(at(r, 'new'), C.O_RDONLY, (fd) => fs.ftruncateSync(fd, 1))],
  ['ftruncate shorter', (r) => withFd(at(r, 'new'), C.O_RDWR, (fd) => (fs.ftruncateSync(fd, 3), fs.fstatSync(fd).size))],
  // unlink(2), rmdir(2), mkdir(2)
  ['unlink a directory', (r) => fs.unlinkSync(at(r, 'old'))],
  ['unlink a missing name', (r) => fs.unlinkSync(at(r, 'missing'))],
  ['unlink an old file', (r) => fs.unlinkSync(at(r, 'old/gone'))],
  ['the old file is gone', (r) => fs.existsSync(at(r, 'old/gone'))],
  ['rmdir an old non-empty directory', (r) => fs.rmdirSync(at(r, 'old/full'))],
  ['rmdir a file', (r) => fs.rmdirSync(at(r, 'old/file'))],
  ['rmdir dot', (r) => fs.rmdirSync(at(r, 'old/empty/.'))],
  ['rmdir an old empty directory', (r) => fs.rmdirSync(at(r, 'old/empty'))],
  ['mkdir an existing name', (r) => fs.mkdirSync(at(r, 'old/file'))],
  ['mkdir under a file', (r) => fs.mkdirSync(at(r, 'old/file/sub'))],
  ['mkdir with mode 0750', (r) => (fs.mkdirSync(at(r, 'd750'), 0o750), statOf(at(r, 'd750')).replace(/mtime=\d+/, ''))],
  ['mkdir where an old directory was removed', (r) => (fs.mkdirSync(at(r, 'old/empty')), fs.readdirSync(at(r, 'old/empty')))],
  // rename(2)
  ['rename a directory over a non-empty one', (r) => fs.renameSync(at(r, 'd750'), at(r, 'old/full'))],
  ['rename a file over a directory', (r) => fs.renameSync(at(r, 'new'), at(r, 'd750'))],
  ['rename a directory over a file', (r) => fs.renameSync(at(r, 'd750'), at(r, 'new'))],
  ['rename a directory into itself', (r) => fs.renameSync(at(r, 'old/full'), at(r, 'old/full/sub/x'))],
  ['rename a missing name', (r) => fs.renameSync(at(r, 'missing'), at(r, 'x'))],
  ['rename an old directory over an empty one', (r) => (fs.renameSync(at(r, 'old/full'), at(r, 'old/empty')), fs.readdirSync(at(r, 'old/empty')).sort())],
  ['rename an old file over an old file', (r) => (fs.renameSync(at(r, 'old/grow'), at(r, 'old/trunc')), statOf(at(r, 'old/trunc')).replace(/mtime=\d+/, ''))],
  ['rename onto a hard link of itself', (r) => (fs.linkSync(at(r, 'old/file'), at(r, 'old/file2')), fs.renameSync(at(r, 'old/file'), at(r, 'old/file2')), fs.readdirSync(at(r, 'old')).sort())],
  // link(2), symlink(2), readlink(2), mknod(2)
  ['link a directory', (r) => fs.linkSync(at(r, 'old'), at(r, 'old-link'))],
  ['link onto an existing name', (r) => fs.linkSync(at(r, 'old/file'), at(r, 'new'))],
  ['link an old file', (r) => (fs.linkSync(at(r, 'old/hole'), at(r, 'hole-link')), statOf(at(r, 'hole-link')).replace(/mtime=\d+/, ''))],
  ['write through one name, read through the other', (r) => (fs.appendFileSync(at(r, 'hole-link'), 'via link'), fs.readFileSync(at(r, 'old/hole')).subarray(10_001).toString())],
  ['unlink one name of a pair', (r) => (fs.unlinkSync(at(r, 'hole-link')), fs.lstatSync(at(r, 'old/hole')).nlink)],
  ['symlink onto an existing name', (r) => fs.symlinkSync('x', at(r, 'new'))],
  ['symlink and readlink', (r) => (fs.symlinkSync('../some/where', at(r, 'sym')), fs.readlinkSync(at(r, 'sym')))],
  ['readlink a file', (r) => fs.readlinkSync(at(r, 'new'))],
  ['readlink an old symlink', (r) => fs.readlinkSync(at(r, 'old/sym'))],
  ['mkfifo', (r) => (run0('mkfifo', at(r, 'fifo')), statOf(at(r, 'fifo')).replace(/mtime=\d+/, ''))],
  // chmod(2), utimensat(2), access(2)
  ['chmod a missing name', (r) => fs.chmodSync(at(r, 'missing'), 0o600)],
  ['chmod an old file keeps its content', (r) => (fs.chmodSync(at(r, 'old/keep'), 0o4711), statOf(at(r, 'old/keep')), fs.readFileSync(at(r, 'old/keep'), 'utf8'))],
  ['stat after chmod', (r) => statOf(at(r, 'old/keep'))],
  ['utimes with nanoseconds', (r) => (fs.utimesSync(at(r, 'old/keep'), 1_500_000_000.25, 1_500_000_001.123456), fs.statSync(at(r, 'old/keep'), { bigint: true }).mtimeNs)],
  ['utimes on a symlink itself', (r) => (fs.lutimesSync(at(r, 'sym'), 1_400_000_000, 1_400_000_000), fs.lstatSync(at(r, 'sym')).mtimeMs)],
  ['access X_OK on a 0644 file', (r) => fs.accessSync(at(r, 'old/trunc'), C.X_OK)],
  ['access W_OK on a 0444 file (root)', (r) => fs.accessSync(at(r, 'old/ro'), C.W_OK)],
  // directory link counts (counted without listing the directory: a fixed O(n) getattr)
  ['nlink of an old dir with new, moved and removed subdirs', (r) => {
    fs.mkdirSync(at(r, 'old/new-sub'));
    fs.renameSync(at(r, 'old/empty'), at(r, 'moved-out'));
    fs.mkdirSync(at(r, 'moved-out/in'));
    fs.renameSync(at(r, 'moved-out/in'), at(r, 'old/moved-in'));
    return ['old', 'moved-out', '.'].map((d) => fs.statSync(at(r, d)).nlink);
  }],
  ['nlink of a new dir with many files and a few subdirs', (r) => {
    fs.mkdirSync(at(r, 'many'));
    for (let i = 0; i < 300; i++) fs.writeFileSync(at(r, 'many', `f${i}`), '');
    for (let i = 0; i < 3; i++) fs.mkdirSync(at(r, 'many', `d${i}`));
    return fs.statSync(at(r, 'many')).nlink;
  }],
  // names
  ['a 256-byte name', (r) => fs.writeFileSync(at(r, 'n'.repeat(256)), '')],
  ['a 255-byte name', (r) => fs.writeFileSync(at(r, 'n'.repeat(255)), '')],
  ['readdir of the root', (r) => fs.readdirSync(r).sort().join(' ')],
  ['readdir of old', (r) => fs.readdirSync(at(r, 'old')).sort().join(' ')],
];

function run0(file: string, ...args: string[]): void {
  execFileSync(file, args);
}

function writeOldSession(root: string): void {
  const file = (rel: string, data: string | Buffer, mode = 0o644) => {
    fs.mkdirSync(path.dirname(at(root, rel)), { recursive: true });
    fs.writeFileSync(at(root, rel), data);
    fs.chmodSync(at(root, rel), mode);
  };
  file('old/file', 'old content\n');
  file('old/trunc', 'will be truncated\n');
  file('old/hole', 'abcd');
  file('old/grow', 'g');
  file('old/gone', 'to be unlinked');
  file('old/keep', 'metadata changes only\n');
  file('old/ro', 'read-only\n', 0o444);
  file('old/full/a', 'a');
  file('old/full/sub/b', 'b');
  fs.mkdirSync(at(root, 'old/empty'));
  fs.symlinkSync('file', at(root, 'old/sym'));
  pinTimes(root, 1_600_000_000);
}

describe('POSIX semantics: the mount answers like a plain directory', () => {
  const box = MountSandbox.create('overlay-posix');
  const lower = box.path('lower');
  const plain = box.path('plain');
  const image = box.path('disc.iso');
  const mnt = box.path('mnt');

  before(async () => {
    writeOldSession(lower);
    xorrisoImage(lower, image, box.env);
    await run('cp', ['-a', lower, plain]);
    await box.mount(image, mnt);
  });
  after(() => box.cleanup());

  it('gives the same result for every call of the script', { timeout: 30_000 }, () => {
    const mismatches: string[] = [];
    for (const [name, call] of STEPS) {
      const want = outcome(() => call(plain));
      const got = outcome(() => call(mnt));
      if (want !== got) mismatches.push(`${name}: plain dir ${want}, mount ${got}`);
    }
    assert.deepEqual(mismatches, []);
  });
});
