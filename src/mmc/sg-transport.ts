// Transport over Linux SG_IO (sg_io_hdr v3) for /dev/sr* and /dev/sg*; refuses devices that are not MMC (SPC-4 6.4.2 peripheral type 05h).
import fs from 'node:fs';
import path from 'node:path';
import { DiscfsError } from '../util/errors';
import { inquiry, InquiryData, PERIPHERAL_TYPE_MMC } from './inquiry';
import { AddonErrnoError, loadSgAddon, SgIoAddon } from './sg-addon';
import { DataDirection, ScsiResult, Transport } from './transport';

export interface SgOpenOptions {
  /** O_EXCL: fail with EBUSY while the kernel or another program has the drive (mounted, burning). */
  readonly exclusive?: boolean;
}

const PERIPHERAL_TYPE_NAMES: Record<number, string> = {
  0x00: 'a direct-access block device (disk)',
  0x01: 'a tape drive',
  0x05: 'an MMC device',
  0x07: 'an optical memory device',
  0x0d: 'an enclosure',
};

/** /dev/sda, /dev/sdb3, ... (after resolving symlinks such as /dev/disk/by-id/...). */
export function isScsiDiskPath(devicePath: string): boolean {
  let real = devicePath;
  try {
    real = fs.realpathSync(devicePath);
  } catch {
    // A path that does not exist is reported by open() with ENOENT.
  }
  return /^sd[a-z]+\d*$/.test(path.basename(real));
}

/** The name of group `gid` from /etc/group, or the number as text. */
export function groupName(gid: number, groupFile = '/etc/group'): string {
  try {
    for (const line of fs.readFileSync(groupFile, 'latin1').split('\n')) {
      const [name, , id] = line.split(':');
      if (name && id !== undefined && Number(id) === gid) return name;
    }
  } catch {
    // Fall through to the numeric form.
  }
  return String(gid);
}

/** Turns an addon open() failure into a message that says what to do. */
export function describeOpenError(devicePath: string, error: AddonErrnoError): DiscfsError {
  const code = error.code ?? 'EIO';
  if (code === 'EACCES' || code === 'EPERM') {
    let group = 'the owning group';
    try {
      group = groupName(fs.statSync(devicePath).gid);
    } catch {
      // Keep the generic wording.
    }
    return new DiscfsError(
      'DEVICE_PERMISSION',
      `permission denied opening ${devicePath}: it belongs to group '${group}'; ` +
        `run \`usermod -aG ${group} $USER\` and log in again`,
      { path: devicePath, group, errno: code },
      { cause: error },
    );
  }
  if (code === 'EBUSY') {
    return new DiscfsError('DEVICE_BUSY', `${devicePath} is busy (mounted or in use by another program)`, { path: devicePath, errno: code }, { cause: error });
  }
  if (code === 'ENOENT') {
    return new DiscfsError('DEVICE_NOT_FOUND', `${devicePath} does not exist`, { path: devicePath, errno: code }, { cause: error });
  }
  return new DiscfsError('DEVICE_OPEN', `cannot open ${devicePath}: ${error.message}`, { path: devicePath, errno: code }, { cause: error });
}

export class SgTransport implements Transport {
  private closed = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  private constructor(
    private readonly addon: SgIoAddon,
    private readonly fd: number,
    readonly description: string,
    readonly readOnly: boolean,
    /** Set by open() once INQUIRY confirmed an MMC device. */
    public identity?: InquiryData,
  ) {}

  /** Opens `devicePath` and checks with INQUIRY that it is an optical (MMC) drive. */
  static async open(devicePath: string, options: SgOpenOptions = {}): Promise<SgTransport> {
    if (isScsiDiskPath(devicePath)) {
      throw new DiscfsError('NOT_OPTICAL_DRIVE', `${devicePath} is a SCSI disk, not an optical drive`, { path: devicePath });
    }
    const addon = loadSgAddon();
    let opened;
    try {
      opened = addon.open(devicePath, { exclusive: options.exclusive === true });
    } catch (error) {
      throw describeOpenError(devicePath, error as AddonErrnoError);
    }
    const transport = new SgTransport(addon, opened.fd, devicePath, opened.readOnly);
    try {
      transport.identity = await inquiry(transport);
    } catch (error) {
      await transport.close();
      throw new DiscfsError('NOT_OPTICAL_DRIVE', `${devicePath} did not answer INQUIRY`, { path: devicePath }, { cause: error });
    }
    const type = transport.identity.peripheralType;
    if (type !== PERIPHERAL_TYPE_MMC) {
      await transport.close();
      const what = PERIPHERAL_TYPE_NAMES[type] ?? `peripheral type ${type}`;
      throw new DiscfsError('NOT_OPTICAL_DRIVE', `${devicePath} is ${what}, not an optical drive`, { path: devicePath, peripheralType: type });
    }
    return transport;
  }

  execute(cdb: Buffer, direction: DataDirection, data: Buffer | null, timeoutMs: number): Promise<ScsiResult> {
    if (this.closed) return Promise.reject(new DiscfsError('TRANSPORT_CLOSED', `${this.description} is closed`));
    const p = this.addon.execute(this.fd, cdb, direction, data, timeoutMs);
    this.inFlight.add(p);
    const forget = (): void => {
      this.inFlight.delete(p);
    };
    p.then(forget, forget);
    return p;
  }

  /** Waits for commands in flight (the fd must stay valid under a running ioctl), then closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    this.addon.close(this.fd);
  }
}
