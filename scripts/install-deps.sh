#!/usr/bin/env bash
# Installs the Debian packages discfs and its test suite need (run as root or with sudo).
set -euo pipefail
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
PKGS=(
  nodejs npm g++ make python3          # runtime + node-gyp for fuse-native and native/
  fuse                                 # fusermount (libfuse 2.9 is bundled by fuse-native)
  xorriso genisoimage libarchive-tools # oracles: xorriso/osirrox, genisoimage/isoinfo, bsdtar
  util-linux procps                    # setpriv, prlimit, ps
  libglib2.0-bin                       # gio (file-manager trash behaviour)
  rsync git                            # clients the overlay tests run on a mount
  # test/helpers/qemu (kernel-*.test.ts): a private tgtd's emulated DVD+R over iSCSI, attached to a QEMU
  # guest booting Debian's kernel (modules via kmod, busybox initramfs via cpio). In a container the kernel
  # package only puts /boot/vmlinuz-* and /lib/modules in place: nothing boots it but the tests.
  tgt qemu-system-x86 qemu-block-extra linux-image-amd64 busybox-static cpio kmod
)
missing=()
for p in "${PKGS[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
# A machine that already has node from elsewhere does not need Debian's.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]}"
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ -e /dev/fuse ] || { echo "install-deps: /dev/fuse is missing (load the fuse module: modprobe fuse)" >&2; exit 1; }
echo "install-deps: ok"
