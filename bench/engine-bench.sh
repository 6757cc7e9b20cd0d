#!/bin/sh
# discfs engine vs xorriso / genisoimage / cat, side by side in one run: first session of a 100,000-file tree and of
# 4 x 1 GiB incompressible files, and a grown session after 1,000 additions, 100 deletions, 10 changes.
# Usage: bench/engine-bench.sh [WORK_DIR]   (build first: npx tsc -p .; needs xorriso, genisoimage, openssl, GNU time)
# Env: RUNS (3), FILES (100000), BIG_FILES (4), BIG_MIB (1024), KEEP=1 keeps WORK_DIR.
set -eu
HERE=$(cd "$(dirname "$0")/.." && pwd)
WORK=${1:-$(mktemp -d)}; RUNS=${RUNS:-3}; FILES=${FILES:-100000}; BIG_FILES=${BIG_FILES:-4}; BIG_MIB=${BIG_MIB:-1024}
export LC_ALL=C.UTF-8 SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
mkdir -p "$WORK"; [ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT
SMALL=$WORK/small; SMALL2=$WORK/small-v2; BIG=$WORK/big; OUT=$WORK/out; mkdir -p "$OUT"
ENGINE="require('$HERE/dist/src/engine/update-merge').commitDirectoryUpdate(process.argv[1],{imagePath:process.argv[2]}).catch(e=>{console.error(e);process.exit(1)})"
ENGINE_NOVERIFY="require('$HERE/dist/src/engine/update-merge').commitDirectoryUpdate(process.argv[1],{imagePath:process.argv[2],verify:false}).catch(e=>{console.error(e);process.exit(1)})"

# --- trees (deterministic: bench/read-path.js's generator, AES-CTR keystream for the big files) ---
node -e "require('$HERE/bench/read-path.js').generateTree(process.argv[1], Number(process.argv[2]))" "$SMALL" "$FILES"
rm -rf "$SMALL2"; cp -al "$SMALL" "$SMALL2"
node - "$SMALL2" <<'JS'
const fs = require('node:fs'), path = require('node:path');
const root = process.argv[2];
const files = [];
const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) e.isDirectory() ? walk(path.join(d, e.name)) : files.push(path.join(d, e.name)); };
walk(root);
const t = 1717200000; // 2024-06-01
for (let i = 0; i < 100; i++) fs.unlinkSync(files[i * 997 % files.length]);
for (let i = 0; i < 10; i++) { const p = files[(i * 7919 + 13) % files.length]; if (!fs.existsSync(p)) continue; fs.unlinkSync(p); fs.writeFileSync(p, Buffer.alloc(5000, i + 1)); fs.utimesSync(p, t, t); }
fs.mkdirSync(path.join(root, 'added'), { recursive: true });
for (let i = 0; i < 1000; i++) { const p = path.join(root, 'added', `n${String(i).padStart(4, '0')}.dat`); fs.writeFileSync(p, Buffer.alloc(i * 7 % 8193, i & 255)); fs.utimesSync(p, t, t); }
JS
mkdir -p "$BIG"
for i in $(seq "$BIG_FILES"); do
  [ -s "$BIG/f$i.bin" ] || openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f -iv "$(printf '%032x' "$i")" -in /dev/zero 2>/dev/null \
    | head -c "$((BIG_MIB * 1048576))" > "$BIG/f$i.bin"
done
touch -d @1704067200 "$BIG"/*

# --- measuring: one row = label, seconds, peak RSS KiB, bytes (of the output or appended) ---
row() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" | tee -a "$WORK/rows.tsv"; }
measure() { # section tool outfile cmd...
  sec=$1; tool=$2; out=$3; shift 3
  before=$( [ -f "$out" ] && stat -c %s "$out" || echo 0 )
  /usr/bin/time -f '%e %M' -o "$WORK/t" "$@" >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; exit 1; }
  after=$(stat -c %s "$out")
  set -- $(tail -n 1 "$WORK/t"); row "$sec" "$tool" "$1" "$2" "$((after - before))"
}
: > "$WORK/rows.tsv"
for r in $(seq "$RUNS"); do
  for t in small big; do
    tree=$WORK/$t; rm -f "$OUT"/*
    measure "first-$t" discfs "$OUT/d.iso" node -e "$ENGINE" "$tree" "$OUT/d.iso"
    # the same without the read-back verify (discfs unmount always verifies): the write path alone vs cat
    rm -f "$OUT/d.iso"; measure "first-$t" discfs-noverify "$OUT/d.iso" node -e "$ENGINE_NOVERIFY" "$tree" "$OUT/d.iso"
    measure "first-$t" xorriso-mkisofs "$OUT/x.iso" xorriso -as mkisofs -R -J -quiet -o "$OUT/x.iso" "$tree"
    measure "first-$t" genisoimage "$OUT/g.iso" genisoimage -R -J -quiet -o "$OUT/g.iso" "$tree"
    measure "first-$t" cat "$OUT/cat" sh -c 'find "$0" -type f -print0 | sort -z | xargs -0 cat > "$1"' "$tree" "$OUT/cat"
    rm -f "$OUT"/*
  done
  # grown session: each tool grows its own first session of the small tree (growing mode, same delta)
  rm -f "$OUT"/*
  node -e "$ENGINE" "$SMALL" "$OUT/d.iso"
  xorriso -dev "$OUT/x.iso" -joliet on -map "$SMALL" / -commit >/dev/null 2>&1
  measure grown discfs "$OUT/d.iso" node -e "$ENGINE" "$SMALL2" "$OUT/d.iso"
  measure grown xorriso "$OUT/x.iso" xorriso -dev "$OUT/x.iso" -joliet on -update_r "$SMALL2" / -commit
  rm -f "$OUT"/*
done

# --- summary: medians per (section, tool), ratios to the same run's anchors ---
node - "$WORK/rows.tsv" "$FILES" <<'JS'
const rows = require('node:fs').readFileSync(process.argv[2], 'utf8').trim().split('\n').map((l) => l.split('\t'));
const files = Number(process.argv[3]);
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const groups = new Map();
for (const [sec, tool, t, rss, bytes] of rows) {
  const k = `${sec}\t${tool}`;
  if (!groups.has(k)) groups.set(k, { sec, tool, t: [], rss: [], bytes: [] });
  const g = groups.get(k); g.t.push(+t); g.rss.push(+rss); g.bytes.push(+bytes);
}
const get = (sec, tool) => groups.get(`${sec}\t${tool}`);
console.log('section\ttool\ttime_s(med, min-max)\tpeakRSS_MiB\tbytes\tMB/s\ttime vs discfs');
for (const g of groups.values()) {
  const d = get(g.sec, 'discfs');
  const mbps = (med(g.bytes) / 1e6 / med(g.t)).toFixed(0);
  console.log(`${g.sec}\t${g.tool}\t${med(g.t).toFixed(2)} (${Math.min(...g.t).toFixed(2)}-${Math.max(...g.t).toFixed(2)})\t${(med(g.rss) / 1024).toFixed(0)}\t${med(g.bytes)}\t${mbps}\t${(med(g.t) / med(d.t)).toFixed(2)}x`);
}
const ratio = (a, b) => (a / b).toFixed(2);
for (const sec of ['first-small', 'first-big']) {
  const d = get(sec, 'discfs'), x = get(sec, 'xorriso-mkisofs'), c = get(sec, 'cat');
  const n = get(sec, 'discfs-noverify');
  console.log(`${sec}: discfs/xorriso time ${ratio(med(d.t), med(x.t))} (goal <= 1); discfs throughput / cat ${ratio(med(d.bytes) / med(d.t), med(c.bytes) / med(c.t))} (goal >= 0.8); without verify: time/xorriso ${ratio(med(n.t), med(x.t))}, throughput/cat ${ratio(med(n.bytes) / med(n.t), med(c.bytes) / med(c.t))}`);
}
const dg = get('grown', 'discfs'), xg = get('grown', 'xorriso');
console.log(`grown: discfs/xorriso time ${ratio(med(dg.t), med(xg.t))} (goal <= 1), appended bytes ${ratio(med(dg.bytes), med(xg.bytes))} (goal <= 1)`);
const d = get('first-small', 'discfs');
console.log(`memory: discfs peak RSS ${(med(d.rss) / 1024).toFixed(0)} MiB for ${files} files + dirs: ~${Math.round((med(d.rss) * 1024 - 45 * 1048576) / files)} bytes per entry over a ~45 MiB node baseline`);
JS
