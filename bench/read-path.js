#!/usr/bin/env node
// Read-path benchmark: discfs mount readiness and `find -ls` through a read-only mount of a 100,000-file
// image, side by side with xorriso / isoinfo loading the same image and `find -ls` on the plain tree, in
// one run (ratios are what count on a noisy 2-core machine). Not part of the test suite.
// Usage: node bench/read-path.js [--files 100000] [--runs 3] [--work DIR] [--keep]
'use strict';
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const BIN = path.join(__dirname, '..', 'bin', 'discfs');
const T1 = new Date('2024-01-01T00:00:00Z');
const KEY = Buffer.from('6469736366732062656e63686d61726b', 'hex');
const ENV = { ...process.env, LC_ALL: 'C.UTF-8', TZ: 'UTC', SOURCE_DATE_EPOCH: String(T1.getTime() / 1000) };
const STEP_TIMEOUT_MS = 600_000;

function parseArgs(argv) {
  const opts = { files: 100000, runs: 3, work: undefined, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--files') opts.files = Number(argv[++i]);
    else if (a === '--runs') opts.runs = Number(argv[++i]);
    else if (a === '--work') opts.work = argv[++i];
    else if (a === '--keep') opts.keep = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!(opts.files > 0) || !(opts.runs >= 1)) throw new Error('--files and --runs must be positive');
  return opts;
}

const { mulberry32 } = require('../scripts/prng');

// The many-small idea of /work/shared/bench/gen-trees.js: 1000 leaf dirs 3 levels deep, 0-8 KiB files of
// AES-CTR keystream (incompressible, unique per file), one fixed mtime; sizes from a fixed-seed PRNG.
function generateTree(root, files) {
  fs.rmSync(root, { recursive: true, force: true });
  const rand = mulberry32(1);
  const zero = Buffer.alloc(8193);
  const dirs = new Set();
  for (let i = 0; i < files; i++) {
    const leaf = i % 1000;
    const d = path.join(root, `d${String(Math.floor(leaf / 100)).padStart(2, '0')}`,
      `d${String(Math.floor(leaf / 10) % 10).padStart(2, '0')}`, `d${String(leaf % 10).padStart(2, '0')}`);
    if (!dirs.has(d)) fs.mkdirSync(d, { recursive: true }), dirs.add(d);
    const iv = Buffer.alloc(16);
    iv.writeUInt32BE(i, 4);
    const size = Math.floor(rand() * 8193);
    const p = path.join(d, `f${String(i).padStart(6, '0')}.dat`);
    fs.writeFileSync(p, crypto.createCipheriv('aes-128-ctr', KEY, iv).update(zero.subarray(0, size)));
    fs.utimesSync(p, T1, T1);
  }
  const stampDirs = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) stampDirs(path.join(dir, e.name));
    fs.utimesSync(dir, T1, T1);
  };
  stampDirs(root);
}

function runSync(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { env: ENV, timeout: STEP_TIMEOUT_MS, maxBuffer: 1 << 30, stdio: ['ignore', opts.stdout ?? 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return r;
}

function timed(cmd, args) {
  const t0 = process.hrtime.bigint();
  runSync(cmd, args);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** The daemon serving mnt: the process whose command line names the mountpoint (it runs --foreground). */
function daemonPid(mnt) {
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv.includes(mnt) && argv.some((a) => a.endsWith('discfs') || a.includes('cli/main'))) return Number(pid);
    } catch {
      // exited meanwhile
    }
  }
  return undefined;
}

function peakRssKiB(pid) {
  if (pid === undefined) return NaN;
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

function isMounted(mnt) {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === mnt);
}

function unmount(mnt) {
  if (!isMounted(mnt)) return;
  const r = spawnSync('fusermount', ['-u', mnt], { timeout: 30_000 });
  if (r.status !== 0) spawnSync('fusermount', ['-uz', mnt], { timeout: 30_000 });
}

function discfsRun(image, mnt, row) {
  fs.mkdirSync(mnt, { recursive: true });
  row['discfs mount ready'] = timed(process.execPath, [BIN, 'mount', '--read-only', image, mnt]);
  try {
    row['discfs find -ls (1st)'] = timed('find', [mnt, '-ls']);
    row['discfs find -ls (2nd)'] = timed('find', [mnt, '-ls']);
    row['discfs peak RSS MiB'] = peakRssKiB(daemonPid(mnt)) / 1024;
  } finally {
    unmount(mnt);
  }
}

function oneRun(image, tree, mnt) {
  const row = {};
  discfsRun(image, mnt, row);
  row['xorriso -indev load'] = timed('xorriso', ['-no_rc', '-indev', image]);
  row['isoinfo -l -R'] = timed('isoinfo', ['-l', '-R', '-i', image]);
  row['find -ls plain tree'] = timed('find', [tree, '-ls']);
  return row;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function report(rows) {
  const keys = Object.keys(rows[0]);
  const med = Object.fromEntries(keys.map((k) => [k, median(rows.map((r) => r[k]))]));
  const ratios = {
    'discfs mount ready / xorriso -indev load': med['discfs mount ready'] / med['xorriso -indev load'],
    'discfs mount ready / isoinfo -l -R': med['discfs mount ready'] / med['isoinfo -l -R'],
    'discfs find -ls (1st) / find -ls plain tree': med['discfs find -ls (1st)'] / med['find -ls plain tree'],
    'discfs find -ls (2nd) / find -ls plain tree': med['discfs find -ls (2nd)'] / med['find -ls plain tree'],
  };
  const lines = [`runs: ${rows.length}`, ''.padEnd(34) + 'median'.padStart(10) + '   min-max'];
  for (const k of keys) {
    const xs = rows.map((r) => r[k]);
    const unit = k.includes('MiB') ? ' MiB' : ' s';
    lines.push(`${k.padEnd(34)}${med[k].toFixed(3).padStart(10)}   ${Math.min(...xs).toFixed(3)}-${Math.max(...xs).toFixed(3)}${unit}`);
  }
  lines.push('', 'ratios of medians (same run):');
  for (const [k, v] of Object.entries(ratios)) lines.push(`  ${k.padEnd(46)} ${v.toFixed(2)}`);
  return lines.join('\n');
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const work = opts.work ?? fs.mkdtempSync(path.join(os.tmpdir(), 'discfs-bench-read-'));
  const tree = path.join(work, 'many-small');
  const image = path.join(work, 'many-small.iso');
  const mnt = path.join(work, 'mnt');
  const cleanup = () => {
    unmount(mnt);
    if (!opts.keep && !opts.work) fs.rmSync(work, { recursive: true, force: true });
  };
  process.on('SIGINT', () => { cleanup(); process.exit(130); });
  try {
    let t0 = Date.now();
    generateTree(tree, opts.files);
    console.error(`tree: ${opts.files} files in ${(Date.now() - t0) / 1000} s`);
    t0 = Date.now();
    runSync('xorriso', ['-as', 'mkisofs', '-quiet', '-R', '-J', '-o', image, tree]);
    console.error(`image: ${(fs.statSync(image).size / 1e6).toFixed(1)} MB in ${(Date.now() - t0) / 1000} s`);
    const rows = [];
    for (let i = 0; i < opts.runs; i++) {
      rows.push(oneRun(image, tree, mnt));
      console.error(`run ${i + 1}/${opts.runs} done`);
    }
    console.log(report(rows));
  } finally {
    cleanup();
  }
}

if (require.main === module) main();
module.exports = { generateTree, median };
