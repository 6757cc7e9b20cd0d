// Every fixture (and every session of the multi-session ones), mounted read-only through the real CLI and
// FUSE, listed from this process and compared field by field with the osirrox extraction oracle.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { run } from '../helpers/exec';
import { fixture, recordedSessions, type FixtureName } from '../helpers/fixtures';
import { diffListings, listTree, type EntryField } from '../helpers/listing';
import { extractedListing, tocSessions, type View } from '../helpers/oracle';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'discfs');
const ENV = { ...process.env, LC_ALL: 'C.UTF-8', TZ: 'UTC' };
const MOUNT_TIMEOUT_MS = 20_000;
const CLI_VIEW: Record<View, string> = { rockridge: 'rr', joliet: 'joliet', iso9660: 'iso9660' };

interface Case {
  fixture: FixtureName;
  view: View;
  /** 1 = oldest; undefined = newest. */
  session?: number;
  /** Deliberate, documented divergences from the oracle (exact diffListings lines). */
  expectedDiff?: string[];
}

const CASES: Case[] = [
  { fixture: 'xorriso-grown', view: 'rockridge', session: 1 },
  { fixture: 'xorriso-grown', view: 'rockridge', session: 2 },
  { fixture: 'xorriso-grown', view: 'rockridge', session: 3 },
  { fixture: 'xorriso-grown', view: 'joliet' },
  { fixture: 'genisoimage-stack', view: 'rockridge', session: 1 },
  { fixture: 'genisoimage-stack', view: 'rockridge', session: 2 },
  { fixture: 'genisoimage-level1', view: 'iso9660' },
  { fixture: 'genisoimage-level4', view: 'rockridge' },
  { fixture: 'genisoimage-joliet', view: 'joliet' },
  // discfs hides the emptied relocation directory (src/tree/iso-directory-loader.ts); osirrox shows it.
  { fixture: 'genisoimage-deep', view: 'rockridge', expectedDiff: ['missing: rr_moved (dir)'] },
  { fixture: 'bigdir', view: 'rockridge' },
  { fixture: 'zisofs', view: 'rockridge' },
];

// Without Rock Ridge a reader invents modes, so they are not compared there (the oracle leaves them out).
const FIELDS: readonly EntryField[] = ['type', 'size', 'mode', 'mtime', 'target', 'sha256', 'linkGroup', 'rdev'];

let work = '';
const mounted = new Set<string>();

async function unmount(mnt: string): Promise<void> {
  if (!mounted.has(mnt)) return;
  const r = await run('fusermount', ['-u', mnt], { timeoutMs: 10_000, okCodes: [0, 1] });
  if (r.code !== 0) await run('fusermount', ['-uz', mnt], { timeoutMs: 10_000, okCodes: [0, 1] });
  mounted.delete(mnt);
}

/** Session start LBAs the oracle needs, and the --sessions argument for images without a TOC. */
async function sessionStarts(image: string): Promise<{ starts: number[]; cliArgs: string[] }> {
  const recorded = recordedSessions(image);
  if (recorded) return { starts: recorded, cliArgs: ['--sessions', recorded.join(',')] };
  return { starts: (await tocSessions(image)).map((s) => s.start), cliArgs: [] };
}

async function mountCase(c: Case, image: string, cliArgs: string[], mnt: string): Promise<void> {
  fs.mkdirSync(mnt);
  const args = [BIN, 'mount', '--read-only', '--view', CLI_VIEW[c.view], ...cliArgs];
  if (c.session !== undefined) args.push('--session', String(c.session));
  mounted.add(mnt); // before the call: a half-started mount must still be cleaned up
  await run(process.execPath, [...args, image, mnt], { timeoutMs: MOUNT_TIMEOUT_MS, env: ENV });
}

before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'discfs-read-mount-'));
});

after(async () => {
  for (const mnt of [...mounted]) await unmount(mnt);
  fs.rmSync(work, { recursive: true, force: true });
});

// Cases are independent (own mountpoints) and mostly wait on FUSE round trips and osirrox: run a few at once so
// the file stays well under a minute on a loaded 2-core machine. Each case has its own bound.
describe('read-only mounts match the oracle', { concurrency: 3 }, () => {
  CASES.forEach((c, i) => {
    const label = `${c.fixture} ${c.view}${c.session === undefined ? '' : ` session ${c.session}`}`;
    test(label, { timeout: c.fixture === 'bigdir' ? 45_000 : 30_000 }, async () => {
      const image = await fixture(c.fixture);
      const { starts, cliArgs } = await sessionStarts(image);
      const lba = c.session === undefined ? undefined : starts[c.session - 1];
      assert.ok(c.session === undefined || lba !== undefined, `${label}: no such session in ${starts.join(',')}`);
      const mnt = path.join(work, `mnt-${i}`);
      await mountCase(c, image, cliArgs, mnt);
      try {
        const [actual, expected] = await Promise.all([listTree(mnt), extractedListing(image, { session: lba, view: c.view })]);
        const diff = diffListings(expected, actual, { fields: FIELDS });
        assert.deepEqual(diff, c.expectedDiff ?? [], `${label}: mount differs from osirrox extraction:\n${diff.join('\n')}`);
      } finally {
        await unmount(mnt);
      }
    });
  });
});

describe('discfs sessions --json matches the session table', () => {
  for (const name of ['xorriso-grown', 'genisoimage-stack', 'zisofs'] as const) {
    test(name, async () => {
      const image = await fixture(name);
      const recorded = recordedSessions(image);
      const cliArgs = recorded ? ['--sessions', recorded.join(',')] : [];
      const r = await run(process.execPath, [BIN, 'sessions', '--json', ...cliArgs, image], { timeoutMs: 20_000, env: ENV });
      const list = JSON.parse(r.stdout.toString('utf8')) as { number: number; startLba: number; blocks: number; volumeId: string }[];
      if (recorded) {
        assert.deepEqual(list.map((s) => s.startLba), recorded);
      } else {
        const toc = await tocSessions(image);
        assert.deepEqual(list.map((s) => ({ start: s.startLba, blocks: s.blocks, volid: s.volumeId })), toc);
      }
      assert.deepEqual(list.map((s) => s.number), list.map((_, i) => i + 1));
    });
  }
});
