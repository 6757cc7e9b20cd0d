// Finds the host programs and the Debian kernel the QEMU guest harness needs, and says which package
// provides each one that is missing (scripts/install-deps.sh installs them all).

import fs from 'node:fs';
import path from 'node:path';

export interface GuestTools {
  readonly qemu: string;
  readonly busybox: string;
  readonly modprobe: string;
  readonly cpio: string;
  readonly kernel: string;
  readonly kernelVersion: string;
  /** qboot firmware when present: it boots a -kernel guest in a fraction of SeaBIOS's time. */
  readonly bios?: string;
}

export interface TgtTools {
  readonly tgtd: string;
  readonly tgtadm: string;
}

const SEARCH_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const QBOOT = '/usr/share/qemu/qboot.rom';

export class MissingToolError extends Error {
  constructor(readonly missing: readonly string[]) {
    super(`the QEMU guest harness needs: ${missing.join('; ')} (run scripts/install-deps.sh)`);
    this.name = 'MissingToolError';
  }
}

function which(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter((d) => d !== ''), ...SEARCH_PATH];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // try the next directory
    }
  }
  return undefined;
}

/** The newest /boot/vmlinuz-* that has its /lib/modules tree (DISCFS_GUEST_KERNEL overrides). */
function findKernel(): { kernel: string; version: string } | undefined {
  const forced = process.env.DISCFS_GUEST_KERNEL;
  const candidates = forced
    ? [forced]
    : (fs.existsSync('/boot') ? fs.readdirSync('/boot') : [])
        .filter((f) => f.startsWith('vmlinuz-'))
        .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
        .reverse()
        .map((f) => path.join('/boot', f));
  for (const kernel of candidates) {
    const version = path.basename(kernel).replace(/^vmlinuz-/, '');
    if (fs.existsSync(kernel) && fs.existsSync(path.join('/lib/modules', version, 'modules.dep'))) return { kernel, version };
  }
  return undefined;
}

/** A static busybox is required: the initramfs has no libc. */
function isStaticElf(file: string): boolean {
  const head = Buffer.alloc(4096);
  const fd = fs.openSync(file, 'r');
  try {
    const n = fs.readSync(fd, head, 0, head.length, 0);
    // A dynamic executable names its loader in PT_INTERP; the string is in the first page for busybox.
    return !head.subarray(0, n).includes('/lib64/ld-linux');
  } finally {
    fs.closeSync(fd);
  }
}

export function guestTools(): GuestTools {
  const missing: string[] = [];
  const qemu = which('qemu-system-x86_64');
  if (!qemu) missing.push('qemu-system-x86_64 (package qemu-system-x86)');
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((f) => fs.existsSync(f) && isStaticElf(f));
  if (!busybox) missing.push('a static busybox (package busybox-static)');
  const modprobe = which('modprobe');
  if (!modprobe) missing.push('modprobe (package kmod)');
  const cpio = which('cpio');
  if (!cpio) missing.push('cpio (package cpio)');
  const kernel = findKernel();
  if (!kernel) missing.push('a kernel in /boot with its /lib/modules (package linux-image-amd64)');
  if (!qemu || !busybox || !modprobe || !cpio || !kernel) throw new MissingToolError(missing);
  return {
    qemu,
    busybox,
    modprobe,
    cpio,
    kernel: kernel.kernel,
    kernelVersion: kernel.version,
    bios: fs.existsSync(QBOOT) ? QBOOT : undefined,
  };
}

export function tgtTools(): TgtTools {
  const tgtd = which('tgtd');
  const tgtadm = which('tgtadm');
  if (!tgtd || !tgtadm) throw new MissingToolError(['tgtd and tgtadm (package tgt)']);
  return { tgtd, tgtadm };
}
