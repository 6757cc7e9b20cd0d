// Property test: random trees and change sets over 6 sessions (fixed seeds, multi-extent files in every other one);
// every session is checked against an in-memory model through xorriso extraction, Joliet names stay unique, and every
// older session still reads as it was.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { commitDirectoryUpdate } from '../../src/engine/update-merge';
import { openImageFile } from '../../src/medium/image-file';
import { openVolume } from '../../src/tree/iso-volume';
import type { LowerNode, LowerTree } from '../../src/tree/lower-tree';
import { extract, rmrf, seededBytes, snapshot, tempDir, tocStarts, UNICODE_NAMES } from './engine-support';

const LONG = 'joliet-truncation-collision-'.padEnd(70, 'x');
const NAMES = ['a', 'b.txt', 'Dir', 'dir', `${LONG}-1.txt`, `${LONG}-2.txt`, `${LONG}-3.dat`, ...UNICODE_NAMES];
const MODES = [0o644, 0o600, 0o755, 0o640];

interface Inode { data: Buffer; mode: number; mtime: number }
type ModelNode = { kind: 'file'; inode: Inode } | { kind: 'dir'; mode: number } | { kind: 'symlink'; target: string };
type Model = Map<string, ModelNode>;

type Op =
  | { op: 'add'; dir: number; name: number; size: number; seed: number }
  | { op: 'mkdir'; dir: number; name: number }
  | { op: 'delete'; pick: number }
  | { op: 'modify'; pick: number; size: number; seed: number }
  | { op: 'chmod'; pick: number; mode: number }
  | { op: 'touch'; pick: number }
  | { op: 'rename'; pick: number; dir: number; name: number }
  | { op: 'link'; pick: number; dir: number; name: number }
  | { op: 'symlink'; dir: number; name: number };

const idx = fc.nat(1000);
const arbs = {
  add: fc.record({ op: fc.constant('add' as const), dir: idx, name: idx, size: fc.oneof(fc.constant(0), fc.nat(5000), fc.constant(2048)), seed: fc.nat() }),
  mkdir: fc.record({ op: fc.constant('mkdir' as const), dir: idx, name: idx }),
  delete: fc.record({ op: fc.constant('delete' as const), pick: idx }),
  modify: fc.record({ op: fc.constant('modify' as const), pick: idx, size: fc.nat(6000), seed: fc.nat() }),
  chmod: fc.record({ op: fc.constant('chmod' as const), pick: idx, mode: fc.nat(MODES.length - 1) }),
  touch: fc.record({ op: fc.constant('touch' as const), pick: idx }),
  rename: fc.record({ op: fc.constant('rename' as const), pick: idx, dir: idx, name: idx }),
  link: fc.record({ op: fc.constant('link' as const), pick: idx, dir: idx, name: idx }),
  symlink: fc.record({ op: fc.constant('symlink' as const), dir: idx, name: idx }),
};
/** The first session: mostly creation, so later change sets have a tree to work on. */
const initialOp: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: arbs.add, weight: 5 },
  { arbitrary: arbs.mkdir, weight: 3 },
  { arbitrary: arbs.link, weight: 2 },
  { arbitrary: arbs.symlink, weight: 1 },
);
const changeOp: fc.Arbitrary<Op> = fc.oneof(...Object.values(arbs).map((arbitrary) => ({ arbitrary, weight: 1 })));

/** Applies ops to the model and the staging directory alike; impossible ones are skipped the same way for both. */
class World {
  readonly model: Model = new Map();
  private clock = 1_600_000_000;
  constructor(readonly root: string) {
    fs.mkdirSync(root, { recursive: true });
  }
  private dirs(): string[] {
    return ['', ...[...this.model].filter(([, n]) => n.kind === 'dir').map(([p]) => p)].sort();
  }
  private entries(): string[] {
    return [...this.model.keys()].sort();
  }
  private abs(rel: string): string {
    return path.join(this.root, rel);
  }
  private freeName(dir: number, name: number): string | undefined {
    const ds = this.dirs();
    const d = ds[dir % ds.length];
    const p = d === '' ? NAMES[name % NAMES.length] : `${d}/${NAMES[name % NAMES.length]}`;
    return this.model.has(p) ? undefined : p;
  }
  private writeFile(rel: string, inode: Inode): void {
    fs.writeFileSync(this.abs(rel), inode.data);
    fs.chmodSync(this.abs(rel), inode.mode);
    fs.utimesSync(this.abs(rel), inode.mtime, inode.mtime);
  }
  apply(o: Op): void {
    const es = this.entries();
    const picked = es.length > 0 && 'pick' in o ? es[o.pick % es.length] : undefined;
    const node = picked !== undefined ? this.model.get(picked) : undefined;
    const tick = ++this.clock;
    switch (o.op) {
      case 'add': {
        const p = this.freeName(o.dir, o.name);
        if (!p) return;
        const inode = { data: seededBytes(o.size, o.seed + 1), mode: 0o644, mtime: tick };
        this.model.set(p, { kind: 'file', inode });
        return this.writeFile(p, inode);
      }
      case 'mkdir': {
        const p = this.freeName(o.dir, o.name);
        if (!p) return;
        this.model.set(p, { kind: 'dir', mode: 0o755 });
        return fs.mkdirSync(this.abs(p));
      }
      case 'symlink': {
        const p = this.freeName(o.dir, o.name);
        if (!p) return;
        const target = `../t/${tick}/${'\u{1F600}'}`;
        this.model.set(p, { kind: 'symlink', target });
        return fs.symlinkSync(target, this.abs(p));
      }
      case 'delete':
        if (!picked) return;
        for (const k of [...this.model.keys()]) if (k === picked || k.startsWith(`${picked}/`)) this.model.delete(k);
        return fs.rmSync(this.abs(picked), { recursive: true });
      case 'modify':
        if (node?.kind !== 'file') return;
        // In place: every hard link of the inode sees the new content.
        node.inode.data = seededBytes(o.size, o.seed + 7);
        node.inode.mtime = tick;
        return this.writeFile(picked as string, node.inode);
      case 'chmod':
        if (node?.kind === 'file') node.inode.mode = MODES[o.mode];
        else if (node?.kind === 'dir') node.mode = MODES[o.mode] | 0o700;
        else return;
        return fs.chmodSync(this.abs(picked as string), node.kind === 'file' ? node.inode.mode : node.mode);
      case 'touch':
        if (node?.kind !== 'file') return;
        node.inode.mtime = tick;
        return fs.utimesSync(this.abs(picked as string), tick, tick);
      case 'rename': {
        const to = this.freeName(o.dir, o.name);
        if (!picked || !to || to.startsWith(`${picked}/`)) return;
        for (const [k, v] of [...this.model]) {
          if (k !== picked && !k.startsWith(`${picked}/`)) continue;
          this.model.delete(k);
          this.model.set(to + k.slice(picked.length), v);
        }
        return fs.renameSync(this.abs(picked), this.abs(to));
      }
      case 'link': {
        const to = this.freeName(o.dir, o.name);
        if (node?.kind !== 'file' || !to) return;
        this.model.set(to, { kind: 'file', inode: node.inode });
        return fs.linkSync(this.abs(picked as string), this.abs(to));
      }
    }
  }
  /** What an extraction must show: [path, description] rows, plus hard-link groups. */
  expected(): { rows: string[]; groups: string[] } {
    const rows: string[] = [];
    const byInode = new Map<Inode, string[]>();
    for (const [p, n] of [...this.model].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (n.kind === 'dir') rows.push(`${p} dir ${(n.mode & 0o7777).toString(8)}`);
      else if (n.kind === 'symlink') rows.push(`${p} symlink ${n.target}`);
      else {
        const sha = crypto.createHash('sha256').update(n.inode.data).digest('hex');
        rows.push(`${p} file ${(n.inode.mode & 0o7777).toString(8)} ${n.inode.data.length} ${n.inode.mtime} ${sha}`);
        byInode.set(n.inode, [...(byInode.get(n.inode) ?? []), p]);
      }
    }
    return { rows, groups: groupsOf([...byInode.values()]) };
  }
}

function groupsOf(groups: string[][]): string[] {
  return groups.filter((g) => g.length > 1).map((g) => [...g].sort().join(' | ')).sort();
}

function extracted(image: string, dest: string, sbsector?: number): { rows: string[]; groups: string[] } {
  rmrf(dest);
  extract(image, dest, sbsector);
  const snap = snapshot(dest);
  const rows: string[] = [];
  const links = new Map<string, string[]>();
  for (const [p, s] of Object.entries(snap).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (s.kind === 'dir') rows.push(`${p} dir ${(s.mode & 0o7777).toString(8)}`);
    else if (s.kind === 'symlink') rows.push(`${p} symlink ${s.target}`);
    else rows.push(`${p} ${s.kind} ${(s.mode & 0o7777).toString(8)} ${s.size} ${s.mtime} ${s.sha}`);
    if (s.link) links.set(s.link, [...(links.get(s.link) ?? []), p]);
  }
  return { rows, groups: groupsOf([...links.values()]) };
}

/** Joliet: every file and directory present, names unique per directory (truncation collisions resolved). */
async function checkJoliet(image: string, model: Model): Promise<void> {
  const medium = await openImageFile(image);
  try {
    const tree = await openVolume(medium, { view: 'joliet' });
    let count = 0;
    const walk = async (t: LowerTree, dir: LowerNode): Promise<void> => {
      const names = (await t.list(dir)).map((n) => n.name.toString('hex'));
      assert.equal(new Set(names).size, names.length, 'Joliet names are unique');
      for (const c of await t.list(dir)) {
        count++;
        if (c.attrs.kind === 'dir') await walk(t, c);
      }
    };
    await walk(tree, tree.root);
    assert.equal(count, [...model.values()].filter((n) => n.kind !== 'symlink').length);
  } finally {
    await medium.close();
  }
}

describe('engine: property-based multi-session growth', { timeout: 120_000 }, () => {
  const dirs: string[] = [];
  after(() => dirs.forEach(rmrf));

  it('6 sessions of random change sets read back as the model, old sessions unchanged', async () => {
    const first = fc.array(initialOp, { minLength: 40, maxLength: 60 });
    const sessionsArb = fc.tuple(first, fc.array(fc.array(changeOp, { minLength: 8, maxLength: 20 }), { minLength: 5, maxLength: 5 })).map(([a, b]) => [a, ...b]);
    await fc.assert(
      fc.asyncProperty(sessionsArb, async (sessions) => {
        const dir = tempDir('prop');
        dirs.push(dir);
        const world = new World(path.join(dir, 'stage'));
        const image = path.join(dir, 'p.iso');
        const history: { rows: string[]; groups: string[] }[] = [];
        for (const [i, ops] of sessions.entries()) {
          for (const o of ops) world.apply(o);
          // Every other session with 4 KiB sections: files over 4 KiB become multi-extent, and old ones are re-split.
          const sectionSize = i % 2 === 0 ? 4096 : undefined;
          await commitDirectoryUpdate(world.root, { imagePath: image, now: new Date((1_700_000_000 + i) * 1000), sectionSize });
          const want = world.expected();
          assert.deepEqual(extracted(image, path.join(dir, 'x')), want, `session ${i + 1}`);
          await checkJoliet(image, world.model);
          history.push(want);
          if (process.env.PROP_DEBUG) console.log(`session ${i + 1}: ${want.rows.length} entries, ${want.groups.length} link groups`);
        }
        const starts = tocStarts(image);
        assert.equal(starts.length, sessions.length);
        for (const [i, s] of starts.entries()) assert.deepEqual(extracted(image, path.join(dir, 'x'), s), history[i], `old session ${i + 1}`);
        rmrf(dir);
      }),
      { seed: 20240605, numRuns: 3, endOnFailure: true },
    );
  });
});
