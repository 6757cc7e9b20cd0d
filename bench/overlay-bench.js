#!/usr/bin/env node
// Writable-overlay benchmark: 1 GiB sequential write and read (dd bs=1M) and create/stat/readdir/unlink of 10,000
// files, on the plain disk, through a minimal fuse-native passthrough filesystem, and through a discfs writable mount
// (a blank image), side by side in one run. Every workload runs in a child process, never in a FUSE server.
//
//   node bench/overlay-bench.js [--runs 3] [--size-mib 1024] [--files 10000] [--dir BASE]
//   node bench/overlay-bench.js serve-passthrough MNT BACKING      (the passthrough server, started by the driver)
'use strict'
const cp = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')

const ROOT = path.join(__dirname, '..')
const BIN = path.join(ROOT, 'bin', 'discfs')

function args (argv) {
  const o = { runs: 3, sizeMib: 1024, files: 10000, dir: os.tmpdir() }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') o.runs = Number(argv[++i])
    else if (argv[i] === '--size-mib') o.sizeMib = Number(argv[++i])
    else if (argv[i] === '--files') o.files = Number(argv[++i])
    else if (argv[i] === '--dir') o.dir = argv[++i]
  }
  return o
}

// ------------------------------------------------------------------------------- passthrough server
function servePassthrough (mnt, backing) {
  const Fuse = require(require.resolve('fuse-native', { paths: [ROOT] }))
  const at = (p) => path.join(backing, String(p))
  const done = (cb, fn) => { try { fn() } catch (e) { cb(Fuse[e.code] ?? Fuse.EIO) } }
  const ops = {
    getattr: (p, cb) => done(cb, () => cb(0, fs.lstatSync(at(p)))),
    fgetattr: (p, fd, cb) => done(cb, () => cb(0, fs.fstatSync(fd))),
    readdir: (p, cb) => done(cb, () => cb(0, fs.readdirSync(at(p)))),
    open: (p, flags, cb) => done(cb, () => cb(0, fs.openSync(at(p), flags))),
    create: (p, mode, flags, cb) => done(cb, () => cb(0, fs.openSync(at(p), 'w+', mode))),
    read: (p, fd, buf, len, pos, cb) => done(cb, () => cb(fs.readSync(fd, buf, 0, len, pos))),
    write: (p, fd, buf, len, pos, cb) => done(cb, () => cb(fs.writeSync(fd, buf, 0, len, pos))),
    release: (p, fd, cb) => done(cb, () => { fs.closeSync(fd); cb(0) }),
    fsync: (p, fd, datasync, cb) => done(cb, () => { fs.fsyncSync(fd); cb(0) }),
    truncate: (p, size, cb) => done(cb, () => { fs.truncateSync(at(p), size); cb(0) }),
    ftruncate: (p, fd, size, cb) => done(cb, () => { fs.ftruncateSync(fd, size); cb(0) }),
    unlink: (p, cb) => done(cb, () => { fs.unlinkSync(at(p)); cb(0) }),
    mkdir: (p, mode, cb) => done(cb, () => { fs.mkdirSync(at(p), mode); cb(0) }),
    rmdir: (p, cb) => done(cb, () => { fs.rmdirSync(at(p)); cb(0) }),
    rename: (a, b, cb) => done(cb, () => { fs.renameSync(at(a), at(b)); cb(0) }),
    chmod: (p, mode, cb) => done(cb, () => { fs.chmodSync(at(p), mode); cb(0) }),
    utimens: (p, a, m, cb) => done(cb, () => { const s = (t) => (typeof t === 'object' ? t.sec + t.nsec / 1e9 : Date.now() / 1000); fs.utimesSync(at(p), s(a), s(m)); cb(0) }),
    statfs: (p, cb) => done(cb, () => {
      const s = fs.statfsSync(backing)
      cb(0, { bsize: s.bsize, frsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree, favail: s.ffree, fsid: 0, flag: 0, namemax: 255 })
    })
  }
  const fuse = new Fuse(mnt, ops, { force: true, fsname: 'passthrough', bigWrites: true, maxWrite: 128 * 1024, attrTimeout: 0, entryTimeout: 0 })
  process.on('SIGTERM', () => fuse.unmount(() => process.exit(0)))
  fuse.mount((err) => {
    if (err) { console.error(err.message); process.exit(1) }
    console.log('READY')
  })
}

// ------------------------------------------------------------------------------------------- driver
function sh (cmd, env) {
  return cp.execFileSync('bash', ['-euo', 'pipefail', '-c', cmd], { encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 })
}

function timed (fn) {
  const t0 = process.hrtime.bigint()
  fn()
  return Number(process.hrtime.bigint() - t0) / 1e9
}

const METADATA_SCRIPT = `
const fs = require('fs'); const path = require('path'); const [dir, n] = [process.argv[1], Number(process.argv[2])];
const t = (fn) => { const t0 = process.hrtime.bigint(); fn(); return Number(process.hrtime.bigint() - t0) / 1e9 };
fs.mkdirSync(dir);
const names = Array.from({ length: n }, (_, i) => path.join(dir, 'f' + i));
const r = {};
r.create = t(() => { for (const p of names) fs.closeSync(fs.openSync(p, 'wx')) });
r.stat = t(() => { for (const p of names) fs.statSync(p) });
r.readdir = t(() => { if (fs.readdirSync(dir).length !== n) throw new Error('readdir count') });
r.unlink = t(() => { for (const p of names) fs.unlinkSync(p) });
fs.rmdirSync(dir);
console.log(JSON.stringify(r));`

function workloads (dir, o) {
  const file = path.join(dir, 'big.bin')
  const r = {}
  r.write = o.sizeMib / timed(() => sh(`dd if=/dev/zero of="${file}" bs=1M count=${o.sizeMib} conv=fsync status=none`))
  r.read = o.sizeMib / timed(() => sh(`dd if="${file}" of=/dev/null bs=1M status=none`))
  fs.rmSync(file)
  const meta = JSON.parse(cp.execFileSync(process.execPath, ['-e', METADATA_SCRIPT, path.join(dir, 'meta'), String(o.files)], { encoding: 'utf8', timeout: 600_000 }))
  for (const k of Object.keys(meta)) r[k] = o.files / meta[k]
  return r
}

function waitReady (child) {
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => { if (String(d).includes('READY')) resolve() })
    child.on('exit', (c) => reject(new Error(`passthrough server exited ${c}`)))
  })
}

async function withPassthrough (base, fn) {
  const mnt = path.join(base, 'pt-mnt')
  const backing = path.join(base, 'pt-backing')
  fs.mkdirSync(mnt); fs.mkdirSync(backing)
  const child = cp.spawn(process.execPath, [__filename, 'serve-passthrough', mnt, backing], { stdio: ['ignore', 'pipe', 'inherit'] })
  await waitReady(child)
  try { return fn(mnt) } finally {
    child.kill('SIGTERM')
    await new Promise((resolve) => child.on('exit', resolve))
    cp.spawnSync('fusermount', ['-uz', mnt])
  }
}

function withOverlay (base, fn) {
  const mnt = path.join(base, 'ov-mnt')
  const env = { XDG_STATE_HOME: path.join(base, 'state') }
  fs.mkdirSync(mnt)
  sh(`node "${BIN}" mount --create "${path.join(base, 'blank.iso')}" "${mnt}"`, env)
  try { return fn(mnt) } finally {
    sh(`node "${BIN}" unmount --discard --yes "${mnt}" >/dev/null || fusermount -uz "${mnt}"`, env)
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function main () {
  const o = args(process.argv.slice(2))
  const results = { plain: [], passthrough: [], overlay: [] }
  for (let run = 0; run < o.runs; run++) {
    for (const target of Object.keys(results)) {
      const base = fs.mkdtempSync(path.join(o.dir, `overlay-bench-${target}-`))
      try {
        if (target === 'plain') results.plain.push(workloads(base, o))
        else if (target === 'passthrough') results.passthrough.push(await withPassthrough(base, (m) => workloads(m, o)))
        else results.overlay.push(withOverlay(base, (m) => workloads(m, o)))
      } finally {
        fs.rmSync(base, { recursive: true, force: true })
      }
      process.stderr.write(`run ${run + 1} ${target} done\n`)
    }
  }
  const keys = ['write', 'read', 'create', 'stat', 'readdir', 'unlink']
  const unit = (k) => (k === 'write' || k === 'read' ? 'MiB/s' : 'ops/s')
  console.log(`${o.runs} runs, ${o.sizeMib} MiB sequential, ${o.files} files (median; overlay/passthrough and overlay/plain ratios)`)
  console.log(['workload', 'plain', 'passthrough', 'overlay', 'ov/pt', 'ov/plain'].map((s) => s.padStart(12)).join(''))
  for (const k of keys) {
    const [p, t, v] = ['plain', 'passthrough', 'overlay'].map((x) => median(results[x].map((r) => r[k])))
    console.log([`${k} ${unit(k)}`, p.toFixed(0), t.toFixed(0), v.toFixed(0), (v / t).toFixed(2), (v / p).toFixed(2)].map((s) => String(s).padStart(12)).join(''))
  }
}

if (process.argv[2] === 'serve-passthrough') servePassthrough(process.argv[3], process.argv[4])
else main().catch((e) => { console.error(e); process.exit(1) })
