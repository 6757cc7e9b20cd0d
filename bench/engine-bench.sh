#!/bin/sh
# discfs engine vs xorriso on the same tree, same run: first session and an update session (ratios, median of RUNS).
# Usage: bench/engine-bench.sh TREE_DIR [WORK_DIR]   (build first: npx tsc -p .)
set -eu
TREE=$1; WORK=${2:-$(mktemp -d)}; RUNS=${RUNS:-3}
HERE=$(cd "$(dirname "$0")/.." && pwd)
export LC_ALL=C.UTF-8 SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
t() { s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }
for i in $(seq "$RUNS"); do
  rm -f "$WORK/d.iso" "$WORK/x.iso"
  d=$(t node -e "require('$HERE/dist/src/engine/update-merge').commitDirectoryUpdate(process.argv[1],{imagePath:process.argv[2]})" "$TREE" "$WORK/d.iso")
  x=$(t xorriso -outdev "$WORK/x.iso" -joliet on -map "$TREE" / -commit)
  du=$(t node -e "require('$HERE/dist/src/engine/update-merge').commitDirectoryUpdate(process.argv[1],{imagePath:process.argv[2]})" "$TREE" "$WORK/d.iso")
  xu=$(t xorriso -dev "$WORK/x.iso" -joliet on -update_r "$TREE" / -commit)
  printf 'run %s\tdiscfs-first %s\txorriso-first %s\tdiscfs-update %s\txorriso-update %s\n' "$i" "$d" "$x" "$du" "$xu"
done
