#!/usr/bin/env bash
# A walk through discfs on an image file: build a two-session disc image with xorriso, list its sessions,
# look at the newest and the oldest session, then add files through a writable mount and commit session 3.
set -euo pipefail
cd "$(dirname "$0")/.."
D=$(mktemp -d /tmp/discfs-demo.XXXXXX)
cleanup() { for m in "$D"/mnt*; do fusermount -u "$m" 2>/dev/null || true; done; rm -rf "$D"; }
trap cleanup EXIT
export SOURCE_DATE_EPOCH=1700000000 LC_ALL=C.UTF-8 XDG_STATE_HOME="$D/state"
mkdir -p "$D/s1/docs" "$D/s2" "$D/mnt" "$D/mnt1"
echo "hello from session 1" > "$D/s1/docs/hello.txt"
ln -s docs/hello.txt "$D/s1/link"
echo "added in session 2" > "$D/s2/new.txt"
run() { printf '\n$ %s\n' "$*"; "$@"; }
xorriso -dev "$D/backup.iso" -joliet on -map "$D/s1" / -commit >/dev/null 2>&1
xorriso -dev "$D/backup.iso" -map "$D/s2" / -commit >/dev/null 2>&1
run bin/discfs sessions "$D/backup.iso"
run bin/discfs mount --read-only "$D/backup.iso" "$D/mnt"
run ls -la "$D/mnt" "$D/mnt/docs"
run cat "$D/mnt/new.txt" "$D/mnt/link"
run bin/discfs mount --read-only --session 1 "$D/backup.iso" "$D/mnt1"
run ls -la "$D/mnt1"
run df -h "$D/mnt"
run bin/discfs unmount "$D/mnt1"
run bin/discfs unmount "$D/mnt"
run bin/discfs mount "$D/backup.iso" "$D/mnt"
run cp -a /usr/share/common-licenses "$D/mnt/licenses"
run rm "$D/mnt/link"
run bin/discfs unmount --dry-run "$D/mnt"
run bin/discfs unmount "$D/mnt"
run bin/discfs sessions "$D/backup.iso"
printf "\n$ xorriso -indev backup.iso -toc   # an independent reader sees the same sessions\n"; xorriso -indev "$D/backup.iso" -toc 2>&1 | grep -E "^(ISO session|Media summary)"
echo; echo "demo: done"
