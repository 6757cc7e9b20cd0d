// Runs ONE shell script inside a throwaway QEMU guest (Debian's kernel, TCG) whose virtio-scsi bus carries
// iSCSI LUNs (scsi-generic: every CDB reaches the target unchanged) and ISO files (QEMU's own scsi-cd), so
// the script sees real /dev/sr* and /dev/sg* behind the kernel's sr/sg drivers. Host / is the guest's
// read-only root (9p), `workDir` is shared read-write at the same path, /tmp and /run are guest tmpfs.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../exec';
import { guestInitramfs } from './guest-initramfs';
import { guestTools } from './guest-tools';

export type GuestDevice =
  /** An iSCSI LUN such as the URL a TgtDaemon target returns. */
  | { readonly kind: 'iscsi'; readonly url: string }
  /** A file as QEMU's emulated read-only CD/DVD-ROM. */
  | { readonly kind: 'cdrom'; readonly file: string };

export interface GuestOptions {
  /** Attached in order as SCSI ids 0, 1, ...: the first is /dev/sg0 (and /dev/sr0). */
  readonly devices?: readonly GuestDevice[];
  /** A host directory shared read-write at the same path; the script starts there (else in /). */
  readonly workDir?: string;
  /** Extra environment for the script (PATH, HOME=/tmp, LC_ALL=C.UTF-8 and TZ=UTC are always set). */
  readonly env?: Readonly<Record<string, string>>;
  /** Bound on the whole guest run, boot included. Default 120 s. */
  readonly timeoutMs?: number;
  readonly memoryMiB?: number;
}

export interface GuestResult {
  /** The script's exit status. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The guest's serial console (kernel messages, init's progress lines). */
  readonly console: string;
  readonly wallMs: number;
}

/** The guest never ran the script to its end (boot failure, timeout, QEMU error). */
export class GuestError extends Error {
  constructor(message: string, readonly console: string) {
    super(`${message}\n--- guest console (tail) ---\n${console.slice(-4000)}`);
    this.name = 'GuestError';
  }
}

const DEFAULT_TIMEOUT_MS = 120_000;
const DEFAULT_MEMORY_MIB = 1024;
// One vCPU: on a loaded two-core host a second TCG vCPU thread slows the boot down instead of up.
const GUEST_CPUS = 1;
const KERNEL_ARGS = 'console=ttyS0 quiet panic=-1 rdinit=/init';

/** POSIX single-quoting for the generated job script. */
export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

function jobScript(script: string, options: GuestOptions): string {
  const env: Record<string, string> = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/tmp',
    TERM: 'dumb',
    LC_ALL: 'C.UTF-8',
    TZ: 'UTC',
    ...options.env,
  };
  const lines = Object.entries(env).map(([k, v]) => `export ${k}=${shellQuote(v)}`);
  lines.push(`cd ${shellQuote(options.workDir ?? '/')} || exit 125`, script, '');
  return lines.join('\n');
}

function deviceArgs(devices: readonly GuestDevice[]): string[] {
  const args = ['-device', 'virtio-scsi-pci,id=scsi0'];
  devices.forEach((d, id) => {
    const bus = `bus=scsi0.0,channel=0,scsi-id=${id},lun=0`;
    if (d.kind === 'iscsi') {
      args.push('-drive', `if=none,id=d${id},format=raw,cache=none,file=${d.url}`, '-device', `scsi-generic,drive=d${id},${bus}`);
    } else {
      const file = fs.realpathSync(d.file).replace(/,/g, ',,');
      args.push('-drive', `if=none,id=d${id},format=raw,media=cdrom,readonly=on,file=${file}`, '-device', `scsi-cd,drive=d${id},${bus}`);
    }
  });
  return args;
}

function virtfs(dir: string, tag: string, readOnly: boolean): string[] {
  const ro = readOnly ? ',readonly=on' : '';
  return ['-virtfs', `local,path=${dir.replace(/,/g, ',,')},mount_tag=${tag},security_model=none,multidevs=remap${ro}`];
}

function readIfExists(file: string): string {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

/** The project checkout (this file is dist/test/helpers/qemu/guest.js), shown at the same path in the guest. */
const PROJECT_DIR = fs.realpathSync(path.join(__dirname, '..', '..', '..', '..'));

/** Boots a guest, runs `script` with /bin/sh as root, powers off; resolves with the script's result. */
export async function runInGuest(script: string, options: GuestOptions = {}): Promise<GuestResult> {
  const tools = guestTools();
  const initrd = await guestInitramfs(tools);
  const job = fs.mkdtempSync(path.join(os.tmpdir(), 'discfs-guest-job-'));
  const workDir = options.workDir ? fs.realpathSync(options.workDir) : undefined;
  const devices = options.devices ?? [];
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  try {
    fs.writeFileSync(path.join(job, 'ndev'), `${devices.length}\n`);
    fs.writeFileSync(path.join(job, 'workdir'), `${workDir ?? ''}\n`);
    fs.writeFileSync(path.join(job, 'projectdir'), `${PROJECT_DIR}\n`);
    fs.writeFileSync(path.join(job, 'cmd.sh'), jobScript(script, { ...options, workDir }));
    const consoleLog = path.join(job, 'console.log');
    const args = [
      '-accel', 'tcg', '-cpu', 'max', '-M', 'q35', '-m', String(options.memoryMiB ?? DEFAULT_MEMORY_MIB), '-smp', String(GUEST_CPUS),
      ...(tools.bios ? ['-bios', tools.bios] : []),
      '-nodefaults', '-display', 'none', '-monitor', 'none', '-no-reboot', '-serial', `file:${consoleLog}`,
      '-iscsi', `initiator-name=iqn.2024-01.org.discfs:guest-${process.pid}`,
      '-kernel', tools.kernel, '-initrd', initrd, '-append', KERNEL_ARGS,
      ...virtfs('/', 'hostroot', true),
      ...virtfs(job, 'job', false),
      // The checkout may live under /tmp (CI clones anywhere), which is a fresh tmpfs in the guest: share it too.
      ...virtfs(PROJECT_DIR, 'project', true),
      ...(workDir ? virtfs(workDir, 'work', false) : []),
      ...deviceArgs(devices),
    ];
    const started = Date.now();
    let qemuFailure = '';
    try {
      await run(tools.qemu, args, { timeoutMs });
    } catch (error) {
      qemuFailure = (error as Error).message;
    }
    const wallMs = Date.now() - started;
    const consoleText = readIfExists(consoleLog).replace(/\r/g, '');
    const rcText = readIfExists(path.join(job, 'rc')).trim();
    if (rcText === '') throw new GuestError(`the guest did not finish its command (${qemuFailure || 'no exit status'})`, consoleText);
    return {
      code: Number(rcText),
      stdout: readIfExists(path.join(job, 'stdout')),
      stderr: readIfExists(path.join(job, 'stderr')),
      console: consoleText,
      wallMs,
    };
  } finally {
    fs.rmSync(job, { recursive: true, force: true });
  }
}
