// `discfs mirror` while it runs: additions, changes, deletions, chmod, symlinks, hard links and renames in the
// source folder reach the mount; a rename is staged as a rename, so the next session writes no data for it.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CliSandbox, spawnDiscfs, waitFor } from './cli-harness';

/** What "identical" means for mirror: kind, mode, mtime (seconds), content, link target, hard-link groups. */
function listing(root: string): string[] {
  const out: string[] = [];
  const inodes = new Map<number, string>();
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(path.join(root, r));
      const mtime = Math.floor(st.mtimeMs / 1000);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isDirectory()) {
        out.push(`d ${r} ${mode} ${mtime}`);
        walk(r);
      } else if (st.isSymbolicLink()) out.push(`l ${r} -> ${fs.readlinkSync(path.join(root, r))}`);
      else {
        const sum = createHash('sha256').update(fs.readFileSync(path.join(root, r))).digest('hex').slice(0, 12);
        const first = st.nlink > 1 ? inodes.get(st.ino) : undefined;
        if (st.nlink > 1 && !first) inodes.set(st.ino, r);
        out.push(`f ${r} ${mode} ${mtime} ${sum}${first ? ` = ${first}` : ''}`);
      }
    }
  };
  walk('');
  return out;
}

describe('discfs mirror', () => {
  const box = new CliSandbox('mirror');
  after(() => box.cleanup());

  it('follows a folder while it runs, and stages a rename as a rename', async () => {
    const src = box.path('photos');
    fs.mkdirSync(`${src}/2023`, { recursive: true });
    fs.writeFileSync(`${src}/2023/big.jpg`, Buffer.alloc(1 << 20, 9));
    fs.writeFileSync(`${src}/notes.txt`, 'v1\n');
    fs.writeFileSync(`${src}/gone.txt`, 'bye\n');
    fs.linkSync(`${src}/notes.txt`, `${src}/notes-link.txt`);
    fs.symlinkSync('2023/big.jpg', `${src}/latest`);
    const img = box.path('backup.iso');
    const mnt = box.mountpoint();

    box.mount(['--create', img, mnt]);
    const once = box.run(['mirror', '--once', src, mnt]);
    assert.equal(once.code, 0, once.stderr);
    assert.deepEqual(listing(mnt), listing(src));
    assert.equal(box.run(['unmount', mnt]).code, 0);

    box.mount([img, mnt]);
    let lines = '';
    const m = spawnDiscfs(box, ['mirror', '--interval', '1', src, mnt], (l) => (lines += `${l}\n`));
    await waitFor('mirror to start watching', () => lines.includes('watching'));
    fs.renameSync(`${src}/2023/big.jpg`, `${src}/2023/renamed.jpg`);
    fs.writeFileSync(`${src}/new.txt`, 'added\n');
    fs.appendFileSync(`${src}/notes.txt`, 'v2\n');
    fs.rmSync(`${src}/gone.txt`);
    fs.chmodSync(`${src}/new.txt`, 0o600);
    fs.rmSync(`${src}/latest`);
    fs.symlinkSync('2023/renamed.jpg', `${src}/latest`);
    const same = () => {
      try {
        return JSON.stringify(listing(mnt)) === JSON.stringify(listing(src));
      } catch {
        return false; // mirror is changing the mount under our walk
      }
    };
    try {
      await waitFor('the mount to match the folder', same, 20_000);
    } finally {
      m.child.kill('SIGINT');
    }
    const r = await m.done;
    assert.equal(r.code, 0, r.stderr);

    const plan = box.run(['unmount', '--dry-run', '--json', mnt]);
    assert.equal(plan.code, 0, plan.stderr);
    const p = JSON.parse(plan.stdout) as { summary: { renamed: number; deleted: number }; changes: { change: string; path: string; from?: string }[]; plan: { dataBlocks: number } };
    assert.ok(p.changes.some((c) => c.change === 'renamed' && String(c.path).includes('renamed.jpg')), plan.stdout);
    // The 1 MiB picture is referenced from the old session: only the small text files are new data.
    assert.ok(p.plan.dataBlocks < 16, `data blocks ${p.plan.dataBlocks}`);
    assert.equal(box.run(['unmount', mnt]).code, 0);
    box.mount(['--read-only', img, mnt]);
    assert.deepEqual(listing(mnt), listing(src));
    assert.equal(box.run(['unmount', mnt]).code, 0);
  });
});
