#!/usr/bin/env node
// Mutation fuzzer over the ISO read path: openVolume + full traversal + reads of every file, on mutated images.
// Usage: node scripts/fuzz.js [--iterations N] [--seed S] [--image FILE]   (needs `npx tsc -p .` first)
// Accepted outcomes: DiscfsError (volume refused) or FsError (entry unreadable). Anything else, or an
// iteration slower than the time bound, is a finding and is printed with its seed to replay it.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist', 'src');
const { openVolume } = require(path.join(dist, 'tree', 'iso-volume.js'));
const { DiscfsError, FsError } = require(path.join(dist, 'util', 'errors.js'));

const BLOCK = 2048;
const MAX_ENTRIES = 2000;
const MAX_READ = 1 << 20;
const SLOW_MS = 5000;

const { mulberry32: prng } = require('./prng');

/** A Medium over a Buffer: rejects reads outside it, like the image-file medium. */
function bufferMedium(buf) {
  const blocks = Math.floor(buf.length / BLOCK);
  return {
    description: 'fuzz image',
    blocks,
    async read(lba, count) {
      if (!Number.isSafeInteger(lba) || !Number.isSafeInteger(count) || lba < 0 || count < 0 || lba + count > blocks) {
        throw new FsError('EIO', `blocks ${lba}+${count} outside 0..${blocks - 1}`);
      }
      return Buffer.from(buf.subarray(lba * BLOCK, (lba + count) * BLOCK));
    },
    async close() {},
  };
}

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0x22, 0x21, 0x2f, 0x2e];

/** ECMA-119 6.2.1: blocks 0..15 are the System Area, never read by the parser: mutating them tests nothing. */
const SYSTEM_AREA_BYTES = 16 * BLOCK;

/** Mutations are biased to the metadata: descriptors, path tables and directories sit in the first blocks. */
function mutate(base, rand, metadataBlocks) {
  const img = Buffer.from(base);
  const region = Math.min(img.length, metadataBlocks * BLOCK);
  const from = region > SYSTEM_AREA_BYTES ? SYSTEM_AREA_BYTES : 0;
  const count = 1 + Math.floor(rand() * 8);
  for (let i = 0; i < count; i++) {
    const at = from + Math.floor(rand() * (region - from));
    const kind = Math.floor(rand() * 4);
    if (kind === 0) img[at] = Math.floor(rand() * 256);
    else if (kind === 1) img[at] ^= 1 << Math.floor(rand() * 8);
    else if (kind === 2) img[at] = INTERESTING[Math.floor(rand() * INTERESTING.length)];
    else if (at + 8 <= img.length) {
      const v = rand() < 0.5 ? 0xffffffff : Math.floor(rand() * 0x100000);
      img.writeUInt32LE(v >>> 0, at);
      img.writeUInt32BE(v >>> 0, at + 4);
    }
  }
  return img;
}

function accepted(e) {
  return e instanceof DiscfsError || e instanceof FsError;
}

async function traverse(volume) {
  let entries = 0;
  const todo = [volume.root];
  while (todo.length > 0 && entries < MAX_ENTRIES) {
    const dir = todo.shift();
    for (const child of await volume.list(dir)) {
      entries++;
      await volume.lookup(dir, child.name);
      if (child.attrs.kind === 'dir') todo.push(child);
      if (child.attrs.kind === 'file') {
        try {
          await volume.read(child, 0, Math.min(child.attrs.size, MAX_READ));
        } catch (e) {
          if (!(e instanceof FsError)) throw e;
        }
      }
    }
  }
  return entries;
}

async function oneCase(img, view) {
  const started = Date.now();
  let opened = false;
  try {
    const volume = await openVolume(bufferMedium(img), view ? { view } : {});
    opened = true;
    await traverse(volume);
  } catch (e) {
    if (!accepted(e)) return { error: e, opened };
  }
  const ms = Date.now() - started;
  return ms > SLOW_MS ? { error: new Error(`iteration took ${ms} ms`), opened } : { opened };
}

function makeBaseImage() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'discfs-fuzz-'));
  try {
    const tree = path.join(dir, 'tree');
    fs.mkdirSync(path.join(tree, 'sub', 'deeper'), { recursive: true });
    fs.writeFileSync(path.join(tree, 'file.txt'), 'x'.repeat(3000));
    fs.writeFileSync(path.join(tree, 'sub', 'inner.txt'), 'inner');
    fs.writeFileSync(path.join(tree, 'sub', 'deeper', 'a long name here.txt'), 'deep');
    fs.symlinkSync('../file.txt', path.join(tree, 'sub', 'lnk'));
    const out = path.join(dir, 'base.iso');
    execFileSync('genisoimage', ['-quiet', '-R', '-J', '-o', out, tree], {
      env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000', TZ: 'UTC' },
      timeout: 30000,
    });
    return fs.readFileSync(out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the fuzzer; resolves with the findings (empty when every iteration ended acceptably). */
async function fuzz({ iterations = 300, seed = 1, image } = {}) {
  const base = image ? fs.readFileSync(image) : makeBaseImage();
  const metadataBlocks = Math.min(64, Math.floor(base.length / BLOCK));
  const findings = [];
  const views = [undefined, 'joliet', 'iso9660'];
  let opened = 0;
  for (let i = 0; i < iterations; i++) {
    const caseSeed = (seed * 1000003 + i) >>> 0;
    const img = mutate(base, prng(caseSeed), metadataBlocks);
    const r = await oneCase(img, views[i % views.length]);
    if (r.opened) opened++;
    if (r.error) findings.push({ iteration: i, caseSeed, view: views[i % views.length], error: r.error });
  }
  // How many mutants got past the descriptors (the rest were refused): a fuzzer that only ever hits the
  // descriptors tests little of the tree code.
  findings.opened = opened;
  return findings;
}

function argValue(args, name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const iterations = Number(argValue(args, '--iterations', '1000'));
  const seed = Number(argValue(args, '--seed', '1'));
  const image = argValue(args, '--image', undefined);
  fuzz({ iterations, seed, image }).then((findings) => {
    for (const f of findings) console.log(`iteration ${f.iteration} (case seed ${f.caseSeed}, view ${f.view ?? 'default'}):`, f.error);
    console.log(`${iterations} iterations, seed ${seed}: ${findings.opened} opened, ${iterations - findings.opened} refused; ${findings.length} finding(s)`);
    process.exit(findings.length === 0 ? 0 : 1);
  });
}

module.exports = { fuzz, mutate, prng, bufferMedium };
