// Builds fixture images from test/fixtures/*.sh on first use and caches them by the hash of the scripts,
// so test files (and parallel test processes) share one build. Safe under concurrency: each build goes
// to a private temp path and is renamed into place; a loser of the race just uses the winner's file.

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from './exec';

/** Names of the fixture scripts (test/fixtures/NAME.sh). */
export const FIXTURE_NAMES = [
  'xorriso-grown',
  'genisoimage-stack',
  'genisoimage-level1',
  'genisoimage-level4',
  'genisoimage-joliet',
  'genisoimage-deep',
  'bigdir',
  'zisofs',
] as const;
export type FixtureName = (typeof FIXTURE_NAMES)[number];

const BUILD_TIMEOUT_MS = 120_000;

/** test/fixtures in the source tree (this file runs from dist/test/helpers or test/helpers). */
export function fixturesDir(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'test', 'fixtures');
    if (fs.existsSync(path.join(candidate, 'lib.sh'))) return candidate;
  }
  throw new Error(`test/fixtures/lib.sh not found above ${__dirname}`);
}

export function fixtureScript(name: string): string {
  return path.join(fixturesDir(), `${name}.sh`);
}

/** The cache directory for the current script contents (script + the shared lib.sh). */
export function fixtureCacheDir(name: string): string {
  const hash = crypto.createHash('sha256');
  for (const file of [fixtureScript(name), path.join(fixturesDir(), 'lib.sh')]) hash.update(fs.readFileSync(file));
  return path.join(os.tmpdir(), `discfs-fixtures-${name}-${hash.digest('hex').slice(0, 16)}`);
}

/**
 * Path of the fixture image NAME, built if needed. Side files (IMG.sessions for genisoimage-stack) sit next
 * to it. The returned file must be treated as read-only: every test shares it; copy it before writing.
 */
export async function fixture(name: string): Promise<string> {
  const dir = fixtureCacheDir(name);
  const image = path.join(dir, `${name}.iso`);
  if (fs.existsSync(image)) return image;
  fs.mkdirSync(dir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(dir, '.build-'));
  try {
    const tmpImage = path.join(tmp, `${name}.iso`);
    await buildFixture(name, tmpImage);
    // Side files first: once the image is in place, readers assume the side files are too.
    for (const entry of fs.readdirSync(tmp)) {
      if (entry !== `${name}.iso`) fs.renameSync(path.join(tmp, entry), path.join(dir, entry));
    }
    fs.renameSync(tmpImage, image);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return image;
}

/** Runs one fixture script into OUT (no caching): what the determinism test calls twice. */
export async function buildFixture(name: string, out: string, timeoutMs = BUILD_TIMEOUT_MS): Promise<void> {
  await run('bash', [fixtureScript(name), out], { timeoutMs });
}

/** Session start LBAs recorded by a fixture without an emulated TOC (IMG.sessions), or undefined. */
export function recordedSessions(image: string): number[] | undefined {
  const side = `${image}.sessions`;
  if (!fs.existsSync(side)) return undefined;
  return fs
    .readFileSync(side, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const lba = Number(l);
      if (!Number.isSafeInteger(lba) || lba < 0) throw new Error(`bad LBA ${JSON.stringify(l)} in ${side}`);
      return lba;
    });
}
