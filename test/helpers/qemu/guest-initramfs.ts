// Builds the guest's initramfs (newc cpio, gzip): static busybox, guest-init.sh as /init and the kernel
// modules the guest needs with their dependencies. Cached in the temp dir by kernel version and init-script
// hash, built to a private path and renamed into place, so parallel test processes share one build.

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { run, runText } from '../exec';
import type { GuestTools } from './guest-tools';

/** virtio transport + SCSI (sr for /dev/sr0, sg for SG_IO), the 9p shares, FUSE, and isofs for kernel mounts. */
export const GUEST_MODULES = ['virtio_pci', 'virtio_scsi', 'sr_mod', 'sg', '9pnet_virtio', '9p', 'fuse', 'isofs'] as const;

const BUILD_TIMEOUT_MS = 60_000;

/** The directory of this helper's source files (guest-init.sh is not compiled, so look in the source tree). */
function sourceDir(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'test', 'helpers', 'qemu');
    if (fs.existsSync(path.join(candidate, 'guest-init.sh'))) return candidate;
  }
  throw new Error(`test/helpers/qemu/guest-init.sh not found above ${__dirname}`);
}

/** Module files in load order (dependencies first, each once), from modprobe's dependency resolution. */
async function moduleFiles(tools: GuestTools): Promise<string[]> {
  const files: string[] = [];
  for (const name of GUEST_MODULES) {
    const out = await runText(tools.modprobe, ['-S', tools.kernelVersion, '--show-depends', name], { timeoutMs: 10_000 });
    for (const line of out.split('\n')) {
      const [verb, file] = line.trim().split(/\s+/);
      // "builtin NAME" lines need nothing; only "insmod FILE" lines name a module file.
      if (verb === 'insmod' && file && !files.includes(file)) files.push(file);
    }
  }
  if (files.length === 0) throw new Error(`no kernel modules resolved for ${tools.kernelVersion}`);
  return files;
}

/** Copies one module, decompressed: busybox insmod cannot read .ko.xz / .ko.zst / .ko.gz. */
async function copyModule(file: string, destDir: string): Promise<string> {
  const base = path.basename(file).replace(/\.(xz|zst|gz)$/, '');
  const dest = path.join(destDir, base);
  if (file.endsWith('.xz')) fs.writeFileSync(dest, (await run('xz', ['-dc', file], { timeoutMs: 30_000 })).stdout);
  else if (file.endsWith('.zst')) fs.writeFileSync(dest, (await run('zstd', ['-qdc', file], { timeoutMs: 30_000 })).stdout);
  else if (file.endsWith('.gz')) fs.writeFileSync(dest, zlib.gunzipSync(fs.readFileSync(file)));
  else fs.copyFileSync(file, dest);
  return base;
}

async function populateRoot(tools: GuestTools, root: string): Promise<void> {
  for (const dir of ['bin', 'mods', 'dev', 'proc', 'sys', 'job', 'newroot']) fs.mkdirSync(path.join(root, dir));
  fs.copyFileSync(tools.busybox, path.join(root, 'bin', 'busybox'));
  fs.chmodSync(path.join(root, 'bin', 'busybox'), 0o755);
  fs.copyFileSync(path.join(sourceDir(), 'guest-init.sh'), path.join(root, 'init'));
  fs.chmodSync(path.join(root, 'init'), 0o755);
  const order: string[] = [];
  for (const file of await moduleFiles(tools)) order.push(await copyModule(file, path.join(root, 'mods')));
  fs.writeFileSync(path.join(root, 'mods', 'order'), order.join('\n') + '\n');
}

function cacheKey(tools: GuestTools): string {
  const hash = crypto.createHash('sha256');
  hash.update(fs.readFileSync(path.join(sourceDir(), 'guest-init.sh')));
  hash.update(`${tools.kernelVersion}\0${GUEST_MODULES.join(',')}\0${fs.statSync(tools.busybox).size}`);
  return hash.digest('hex').slice(0, 16);
}

/** Path of the initramfs for `tools`' kernel, built on first use. Treat it as read-only. */
export async function guestInitramfs(tools: GuestTools): Promise<string> {
  const dir = path.join(os.tmpdir(), `discfs-guest-initramfs-${cacheKey(tools)}`);
  const image = path.join(dir, 'initrd.gz');
  if (fs.existsSync(image)) return image;
  fs.mkdirSync(dir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(dir, '.build-'));
  try {
    const root = path.join(tmp, 'root');
    fs.mkdirSync(root);
    await populateRoot(tools, root);
    const list = (await runText('find', ['.'], { cwd: root, timeoutMs: 10_000 })).split('\n').filter((l) => l !== '');
    const archive = await run(tools.cpio, ['-o', '-H', 'newc', '--quiet'], { cwd: root, input: list.join('\n') + '\n', timeoutMs: BUILD_TIMEOUT_MS });
    // Level 1: the guest decompresses this under TCG emulation, where a smaller file does not pay back.
    fs.writeFileSync(path.join(tmp, 'initrd.gz'), zlib.gzipSync(archive.stdout, { level: 1 }));
    fs.renameSync(path.join(tmp, 'initrd.gz'), image);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return image;
}
