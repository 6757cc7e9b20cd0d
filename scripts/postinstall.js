#!/usr/bin/env node
// Runs at `npm install` / `npm ci` of discfs (npm does not run our dependencies' install scripts):
// patches fuse-native (patches/fuse-native+2.2.6.patch, see docs/fuse-native.md) and rebuilds it,
// makes sure better-sqlite3's addon loads, and builds native/ when it exists. Works offline.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const PATCH_FILE = path.join(ROOT, 'patches', 'fuse-native+2.2.6.patch');
const PATCH_MARKER = 'discfs-fuse-native-1';
// Patch paths look like a/node_modules/fuse-native/index.js: strip three components.
const PATCH_STRIP = 3;

function step(name, message) {
  console.log(`postinstall: ${name}: ${message}`);
}

function fail(name, message) {
  console.error(`postinstall: ${name}: FAILED: ${message}`);
  process.exit(1);
}

function packageDir(name) {
  try {
    return path.dirname(require.resolve(`${name}/package.json`, { paths: [ROOT] }));
  } catch {
    return null;
  }
}

function nodeGypScript() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  if (process.env.npm_execpath) {
    candidates.push(path.join(path.dirname(path.dirname(process.env.npm_execpath)), 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  const prefix = path.dirname(path.dirname(process.execPath));
  candidates.push(path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => fs.existsSync(c)) ?? null;
}

// Offline builds need local headers: npm's configured nodedir, else the headers installed next to node.
function nodeDirArgs() {
  if (process.env.npm_config_nodedir) return [`--nodedir=${process.env.npm_config_nodedir}`];
  const prefix = path.dirname(path.dirname(process.execPath));
  return fs.existsSync(path.join(prefix, 'include', 'node', 'common.gypi')) ? [`--nodedir=${prefix}`] : [];
}

function nodeGyp(dir, extra) {
  const script = nodeGypScript();
  if (!script) return { ok: false, output: 'node-gyp not found (looked in npm\'s own folder)' };
  const r = spawnSync(process.execPath, [script, 'rebuild', ...extra, ...nodeDirArgs()], { cwd: dir, encoding: 'utf8' });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').filter((l) => !l.startsWith('gyp info')).join('\n');
  return { ok: r.status === 0, output };
}

function loadsInChild(code) {
  const r = spawnSync(process.execPath, ['-e', code], { cwd: ROOT, encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

// --- a strict unified-diff applier: no fuzz, every context and removed line must match exactly.

function parsePatch(text) {
  const files = [];
  let file = null;
  let hunk = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('--- ')) continue;
    if (line.startsWith('+++ ')) {
      const name = line.slice(4).split('\t')[0].split('/').slice(PATCH_STRIP).join('/');
      file = { name, hunks: [] };
      files.push(file);
      hunk = null;
    } else if (line.startsWith('@@ ')) {
      const m = /^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@/.exec(line);
      if (!m || !file) throw new Error(`bad hunk header: ${line}`);
      hunk = { oldStart: Number(m[1]), lines: [] };
      file.hunks.push(hunk);
    } else if (hunk && /^[ +-]/.test(line)) {
      hunk.lines.push(line);
    } else if (hunk && line.startsWith('\\')) {
      continue;
    }
  }
  return files;
}

function applyHunks(original, hunks, name) {
  const lines = original.split('\n');
  const out = [];
  let cursor = 0;
  for (const hunk of hunks) {
    const before = hunk.lines.filter((l) => l[0] !== '+').map((l) => l.slice(1));
    const after = hunk.lines.filter((l) => l[0] !== '-').map((l) => l.slice(1));
    const at = hunk.oldStart - 1;
    const matches = (pos) => before.every((l, i) => lines[pos + i] === l);
    if (at < cursor || !matches(at)) throw new Error(`${name}: hunk at line ${hunk.oldStart} does not match`);
    out.push(...lines.slice(cursor, at), ...after);
    cursor = at + before.length;
  }
  out.push(...lines.slice(cursor));
  return out.join('\n');
}

function patchFuseNative(dir) {
  const sources = ['fuse-native.c', 'index.js'].map((f) => path.join(dir, f));
  const marked = sources.map((f) => fs.readFileSync(f, 'utf8').includes(PATCH_MARKER));
  if (marked.every(Boolean)) return 'already patched';
  if (marked.some(Boolean)) throw new Error('partly patched sources: reinstall fuse-native (rm -rf node_modules/fuse-native && npm ci)');
  const files = parsePatch(fs.readFileSync(PATCH_FILE, 'utf8'));
  // Compute every result before writing anything, so a mismatch leaves the package untouched.
  const results = files.map((f) => {
    const target = path.join(dir, f.name);
    return { target, text: applyHunks(fs.readFileSync(target, 'utf8'), f.hunks, f.name) };
  });
  for (const r of results) fs.writeFileSync(r.target, r.text);
  return `applied ${path.relative(ROOT, PATCH_FILE)} (${files.length} files)`;
}

function fuseNative() {
  const dir = packageDir('fuse-native');
  if (!dir) fail('fuse-native', 'package not installed');
  const version = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  if (version !== '2.2.6') fail('fuse-native', `version ${version}, the patch is for 2.2.6`);
  try {
    step('fuse-native patch', patchFuseNative(dir));
  } catch (err) {
    fail('fuse-native patch', err.message);
  }
  const check = `process.stdout.write(String(require(${JSON.stringify(dir)}).DISCFS_PATCH))`;
  if (loadsInChild(check).output === PATCH_MARKER) {
    step('fuse-native build', 'patched binding already built');
    return;
  }
  const built = nodeGyp(dir, []);
  if (!built.ok) fail('fuse-native build', built.output);
  const after = loadsInChild(check);
  if (after.output !== PATCH_MARKER) fail('fuse-native build', `rebuilt binding lacks the patch marker: ${after.output}`);
  step('fuse-native build', 'rebuilt with node-gyp, patch marker present');
}

function betterSqlite3() {
  const dir = packageDir('better-sqlite3');
  if (!dir) fail('better-sqlite3', 'package not installed');
  const check = "const D = require('better-sqlite3'); new D(':memory:').close()";
  if (loadsInChild(check).ok) {
    step('better-sqlite3', 'loads');
    return;
  }
  const built = nodeGyp(dir, ['--release']);
  if (!built.ok) fail('better-sqlite3', built.output);
  const after = loadsInChild(check);
  if (!after.ok) fail('better-sqlite3', after.output);
  step('better-sqlite3', 'rebuilt with node-gyp, loads');
}

function nativeAddon() {
  const dir = path.join(ROOT, 'native');
  if (!fs.existsSync(path.join(dir, 'binding.gyp'))) {
    step('native', 'no native/binding.gyp, skipped');
    return;
  }
  const built = nodeGyp(dir, []);
  if (!built.ok) fail('native', built.output);
  step('native', 'built with node-gyp');
}

fuseNative();
betterSqlite3();
nativeAddon();
