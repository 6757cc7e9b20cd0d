// A Medium over READ(10)/READ(12) through the Transport (MMC-5 6.15): the size comes from track information, not the kernel.
import type { Medium } from '../medium/medium';
import { readBlocks } from '../mmc/read-write';
import { withRetry } from '../mmc/retry';
import type { Transport } from '../mmc/transport';
import { probePrimary } from '../session/descriptor-set';
import { findSessions } from '../session/find-sessions';
import { DiscfsError } from '../util/errors';
import { Drive, type DriveSession, type DriveState } from './drive';

/** Blocks per READ command: 64 KiB, what every drive and the sg driver accept. */
export const READ_CHUNK_BLOCKS = 32;

export interface DriveMediumOptions {
  /** Close the transport with the medium (default true). */
  readonly ownsTransport?: boolean;
}

export class DriveMedium implements Medium {
  readonly description: string;

  /** Sessions of a write-once medium that hold an ISO 9660 volume (a closed interrupted burn holds none). */
  private isoSessions: DriveSession[] = [];
  /** Sessions on the disc without a primary volume descriptor at start+16 (shown as warnings). */
  readonly foreignSessions: DriveSession[] = [];
  /** The one TOC session at LBA 0 holds a growing chain (LBA 0..31 = emulated TOC): findSessions walks it. */
  private emulatedTocInside = false;

  private constructor(
    private readonly transport: Transport,
    readonly state: DriveState,
    readonly blocks: number,
    private readonly ownsTransport: boolean,
  ) {
    this.description = transport.description;
  }

  /** Inspects the drive; the readable size is the recorded end (write-once) or the formatted size (overwritable). */
  static async open(transport: Transport, options: DriveMediumOptions = {}): Promise<DriveMedium> {
    const state = await Drive.inspect(transport);
    const medium = new DriveMedium(transport, state, state.readableBlocks, options.ownsTransport ?? true);
    if (state.procedure !== 'overwrite') await medium.sortSessions();
    medium.emulatedTocInside = await medium.holdsEmulatedToc();
    return medium;
  }

  /**
   * libisoburn on ROM and overwritable media: a single TOC session starting at LBA 0 is looked into, and when LBA
   * 0..31 carries an emulated TOC (a grown image, e.g. pressed or burnt as one track) its chain is the session list.
   */
  private async holdsEmulatedToc(): Promise<boolean> {
    if (this.isoSessions.length !== 1 || this.isoSessions[0].startLba !== 0 || this.foreignSessions.length > 0) return false;
    // findSessions takes sessionStarts first: hide the TOC's list while the head is probed.
    this.emulatedTocInside = true;
    const found = await findSessions(this).catch(() => undefined);
    this.emulatedTocInside = false;
    return found !== undefined && found.method === 'emulated-toc' && found.defects.length === 0;
  }

  private async sortSessions(): Promise<void> {
    for (const s of this.state.sessions) {
      const pvd = s.blocks > 16 ? await probePrimary(this, s.startLba + 16).catch(() => undefined) : undefined;
      (pvd ? this.isoSessions : this.foreignSessions).push(s);
    }
  }

  /** Session starts from the TOC of a write-once medium; undefined where only the emulated TOC knows them. */
  get sessionStarts(): number[] | undefined {
    if (this.state.procedure === 'overwrite' || this.isoSessions.length === 0 || this.emulatedTocInside) return undefined;
    return this.isoSessions.map((s) => s.startLba);
  }

  async read(lba: number, count: number): Promise<Buffer> {
    if (!Number.isSafeInteger(lba) || !Number.isSafeInteger(count) || lba < 0 || count < 0 || lba + count > this.blocks) {
      throw new DiscfsError('MEDIUM_RANGE', `${this.description}: blocks ${lba}..${lba + count - 1} are outside 0..${this.blocks - 1}`, { lba, count });
    }
    const parts: Buffer[] = [];
    for (let done = 0; done < count; done += READ_CHUNK_BLOCKS) {
      const n = Math.min(READ_CHUNK_BLOCKS, count - done);
      parts.push(await withRetry(() => readBlocks(this.transport, lba + done, n)));
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  async close(): Promise<void> {
    if (this.ownsTransport) await this.transport.close();
  }
}
