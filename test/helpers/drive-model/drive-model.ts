// A software MMC drive behind the Transport interface: decodes CDBs on its own (MMC-5 clause 6 layouts) so tests exercise src/mmc end to end.
import type { DataDirection, ScsiResult, Transport } from '../../../src/mmc/transport';
import { CHECK, DiscState, MODEL_BLOCK, ModelCheck, ModelMedium, WRITE_UNIT } from './disc-state';
import * as reply from './replies';

export interface DriveModelOptions {
  /** What is loaded; undefined means an empty tray. */
  readonly medium?: ModelMedium;
  readonly capacityBlocks?: number;
  /** Reply in descriptor-format sense (72h) instead of fixed (70h). */
  readonly descriptorSense?: boolean;
  /** Like replies seen through QEMU: pad to the allocation length with junk and report residual 0. */
  readonly padReplies?: boolean;
  /**
   * CD-R and DVD-R as real drives: the NWA is only valid and WRITE only accepted once page 05h holds the
   * write type of the medium (TAO on CD, incremental on DVD-R). Off by default for the mmc layer tests.
   */
  readonly strictWriteParameters?: boolean;
  /** Overwritable media start unformatted (FORMAT UNIT needed). */
  readonly unformatted?: boolean;
}

export interface Faults {
  /** WRITE fails with 3/0C/00 when it reaches this LBA (blocks before it are recorded). */
  writeErrorAt?: number;
  /** The next N medium commands get UNIT ATTENTION 6/28/00. */
  unitAttentions: number;
  /** The next N medium commands get NOT READY 2/04/01 becoming ready. */
  notReady: number;
  /** The medium is pulled out when a WRITE reaches this LBA (kept in `removed`). */
  removeMediumAt?: number;
  /** A WRITE covering this LBA gets UNIT ATTENTION 6/29/00 (power on / reset) once, nothing of it recorded. */
  unitAttentionAt?: number;
  /** WRITEs answered "long write in progress" (2/04/08) before one is accepted: a full drive buffer. */
  bufferFullWrites?: number;
}

/** Commands that SPC-4 lets through while a unit attention or not-ready condition is pending. */
const ALWAYS_ALLOWED = new Set([0x12, 0x03]);
const DEFAULT_CAPACITY = 2_295_104; // a single-layer DVD+R

export class DriveModel implements Transport {
  readonly description: string;
  disc: DiscState | undefined;
  readonly faults: Faults = { unitAttentions: 0, notReady: 0 };
  /** Opcodes received, in order (assertions on command sequences). */
  readonly log: number[] = [];
  /** TEST UNIT READY answers left that report a long write in progress after an IMMED command. */
  private busyPolls = 0;
  private lastSense: Buffer = Buffer.alloc(0);
  private writeParameters = Buffer.from([0x05, 0x32, 0x02, 0xc0, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 16, ...Buffer.alloc(38)]);
  closed = false;
  /** A medium pulled out by the removeMediumAt fault. */
  removed: DiscState | undefined;
  /** PREVENT ALLOW MEDIUM REMOVAL state, and every change of it in order. */
  locked = false;
  readonly lockHistory: boolean[] = [];

  constructor(private readonly options: DriveModelOptions = {}) {
    this.description = `drive model (${options.medium ?? 'no medium'})`;
    if (options.medium) this.disc = new DiscState(options.medium, options.capacityBlocks ?? DEFAULT_CAPACITY);
    if (this.disc && options.unformatted && this.disc.overwritable) this.disc.formatted = false;
  }

  /** Puts a removed medium back (with the unit attention of a medium change). */
  reinsert(): void {
    if (!this.removed) return;
    this.disc = this.removed;
    this.removed = undefined;
    this.faults.unitAttentions = 1;
  }

  /** Swaps the medium and raises the unit attention a real drive would. */
  load(medium: ModelMedium | undefined, capacity = DEFAULT_CAPACITY): void {
    this.disc = medium ? new DiscState(medium, capacity) : undefined;
    this.faults.unitAttentions = 1;
  }

  async execute(cdb: Buffer, direction: DataDirection, data: Buffer | null, _timeoutMs: number): Promise<ScsiResult> {
    if (this.closed) throw new Error('drive model closed');
    this.log.push(cdb[0]);
    try {
      const out = this.dispatch(cdb, direction, data);
      return this.good(out, data);
    } catch (error) {
      if (!(error instanceof ModelCheck)) throw error;
      return this.check(error);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private good(out: Buffer | undefined, data: Buffer | null): ScsiResult {
    let residual = 0;
    if (out && data) {
      const n = out.copy(data, 0, 0, Math.min(out.length, data.length));
      if (this.options.padReplies) data.fill(0xa5, n);
      else residual = data.length - n;
    }
    return { status: 0, sense: Buffer.alloc(0), residual, hostStatus: 0, driverStatus: 0, durationMs: 0 };
  }

  private check(c: ModelCheck): ScsiResult {
    const sense = this.options.descriptorSense ? reply.descriptorSense(c) : reply.fixedSense(c);
    this.lastSense = sense;
    return { status: 2, senseKey: c.key, sense, residual: 0, hostStatus: 0, driverStatus: 0x08, durationMs: 0 };
  }

  private pendingCondition(opcode: number): ModelCheck | undefined {
    if (ALWAYS_ALLOWED.has(opcode)) return undefined;
    if (this.faults.unitAttentions > 0) {
      this.faults.unitAttentions--;
      return CHECK.mediumChanged();
    }
    if (this.faults.notReady > 0) {
      this.faults.notReady--;
      return CHECK.becomingReady();
    }
    if (this.busyPolls > 0 && opcode === 0x00) {
      this.busyPolls--;
      return CHECK.longWriteInProgress();
    }
    return undefined;
  }

  private medium(): DiscState {
    if (!this.disc) throw CHECK.noMedium();
    return this.disc;
  }

  private dispatch(cdb: Buffer, direction: DataDirection, data: Buffer | null): Buffer | undefined {
    const op = cdb[0];
    const pending = this.pendingCondition(op);
    if (pending) throw pending;
    switch (op) {
      case 0x00: this.medium(); return undefined;
      case 0x03: return this.requestSense();
      case 0x12: return this.inquiry();
      case 0x1e: this.locked = (cdb[4] & 0x01) !== 0; this.lockHistory.push(this.locked); return undefined;
      case 0x04: return this.formatUnit(cdb, data);
      case 0x1b: case 0x35: case 0xbb: case 0xb6: return undefined;
      case 0x25: return this.readCapacity();
      case 0x28: return this.read(cdb.readUInt32BE(2), cdb.readUInt16BE(7));
      case 0xa8: return this.read(cdb.readUInt32BE(2), cdb.readUInt32BE(6));
      case 0x2a: return this.write(cdb.readUInt32BE(2), cdb.readUInt16BE(7), direction, data);
      case 0xaa: return this.write(cdb.readUInt32BE(2), cdb.readUInt32BE(6), direction, data);
      case 0x43: return this.readToc(cdb[2] & 0x0f);
      case 0x46: return reply.configuration(this.currentProfile(), cdb[1] & 0x03, cdb.readUInt16BE(2));
      case 0x51: return reply.discInformation(this.medium());
      case 0x52: return this.trackInformation(cdb);
      case 0x5b: return this.closeTrackSession(cdb);
      case 0x5a: return this.modeSense(cdb[2] & 0x3f);
      case 0x55: return this.modeSelect(data);
      case 0x5c: return Buffer.from([0, 10, 0, 0, 0, 0x40, 0, 0, 0, 0x40, 0, 0]);
      default: throw CHECK.invalidOpcode();
    }
  }

  private currentProfile(): number {
    return this.disc ? reply.profileOf(this.disc.medium) : 0x0000;
  }

  private requestSense(): Buffer {
    const s = this.lastSense.length ? this.lastSense : reply.fixedSense(new ModelCheck(0, 0, 0));
    this.lastSense = Buffer.alloc(0);
    return s;
  }

  private inquiry(): Buffer {
    const b = Buffer.alloc(36);
    b[0] = 0x05;
    b[1] = 0x80;
    b[2] = 0x05;
    b[3] = 0x02;
    b[4] = 31;
    b.write('DISCFS  ', 8, 'latin1');
    b.write('DRIVE MODEL     ', 16, 'latin1');
    b.write('1.0 ', 32, 'latin1');
    return b;
  }

  private readCapacity(): Buffer {
    const disc = this.medium();
    const b = Buffer.alloc(8);
    const last = disc.overwritable ? (disc.formatted ? disc.capacity - 1 : 0xffffffff) : Math.max(0, disc.lastRecordedLba);
    b.writeUInt32BE(last >>> 0, 0);
    b.writeUInt32BE(MODEL_BLOCK, 4);
    return b;
  }

  private read(lba: number, count: number): Buffer {
    return this.medium().read(lba, count);
  }

  private write(lba: number, count: number, direction: DataDirection, data: Buffer | null): undefined {
    const disc = this.medium();
    if (direction !== 'out' || !data || data.length !== count * MODEL_BLOCK) throw CHECK.invalidField();
    this.injectWriteFaults(lba, count);
    if (!disc.overwritable && !this.writeTypeFits(disc)) throw CHECK.commandSequenceError();
    const blocks = Array.from({ length: count }, (_, i) => data.subarray(i * MODEL_BLOCK, (i + 1) * MODEL_BLOCK));
    if (disc.overwritable) disc.overwrite(lba, blocks, this.faults.writeErrorAt);
    else disc.write(lba, blocks, this.faults.writeErrorAt);
    return undefined;
  }

  private injectWriteFaults(lba: number, count: number): void {
    const covers = (at: number | undefined): boolean => at !== undefined && at >= lba && at < lba + count;
    if ((this.faults.bufferFullWrites ?? 0) > 0) {
      this.faults.bufferFullWrites = (this.faults.bufferFullWrites ?? 0) - 1;
      throw CHECK.longWriteInProgress();
    }
    if (covers(this.faults.unitAttentionAt)) {
      this.faults.unitAttentionAt = undefined;
      throw CHECK.reset();
    }
    if (covers(this.faults.removeMediumAt)) {
      this.faults.removeMediumAt = undefined;
      this.removed = this.disc;
      this.disc = undefined;
      throw CHECK.noMedium();
    }
  }

  /** Page 05h write type the medium needs (only checked with strictWriteParameters). */
  private writeTypeFits(disc: DiscState): boolean {
    if (!this.options.strictWriteParameters) return true;
    const writeType = this.writeParameters[2] & 0x0f;
    if (disc.medium === 'cd-r') return writeType === 1;
    if (disc.medium === 'dvd-r') return writeType === 0;
    return true;
  }

  private formatUnit(cdb: Buffer, data: Buffer | null): undefined {
    const disc = this.medium();
    if (!disc.overwritable || (cdb[1] & 0x10) === 0 || !data || data.length < 12) throw CHECK.invalidField();
    disc.formatted = true;
    if ((data[1] & 0x02) !== 0) this.busyPolls = 3;
    return undefined;
  }

  private readToc(format: number): Buffer {
    const disc = this.medium();
    if (format === 0) return reply.tocFormat0(disc);
    if (format === 1) return reply.tocFormat1(disc);
    if (format === 2 && disc.medium === 'cd-r') return reply.tocFormat2(disc);
    throw CHECK.invalidField();
  }

  private trackInformation(cdb: Buffer): Buffer {
    const disc = this.medium();
    const type = cdb[1] & 0x03;
    const value = cdb.readUInt32BE(2);
    if (type === 1) {
      const number = value === 0xff ? disc.invisibleTrackNumber : value;
      if (number < 1 || number > disc.invisibleTrackNumber) throw CHECK.invalidField();
      return reply.trackInformation(disc, number, this.writeTypeFits(disc), WRITE_UNIT[disc.medium]);
    }
    if (type === 0) {
      const track = disc.trackAt(value);
      if (track) return reply.trackInformation(disc, track.number);
      if (value >= disc.nextWritable && value < disc.capacity) return reply.trackInformation(disc, disc.invisibleTrackNumber);
      throw CHECK.lbaOutOfRange(value);
    }
    throw CHECK.invalidField();
  }

  private closeTrackSession(cdb: Buffer): undefined {
    const disc = this.medium();
    const fn = cdb[2] & 0x07;
    // CD-R and DVD-R: with page 05h multisession 00b, closing the session closes the disc (MMC-5 7.5.4.4).
    const lastSession = (disc.medium === 'cd-r' || disc.medium === 'dvd-r') && (this.writeParameters[3] >> 6) === 0;
    if (disc.overwritable) throw CHECK.invalidField();
    if (fn === 1) disc.closeTrack();
    else if (fn === 2) disc.closeSession(lastSession);
    else if (fn === 5 || fn === 6) disc.closeSession(true);
    else throw CHECK.invalidField();
    if ((cdb[1] & 0x01) !== 0) this.busyPolls = 2;
    return undefined;
  }

  private modeSense(page: number): Buffer {
    const pages: Buffer[] = [];
    if (page === 0x05 || page === 0x3f) pages.push(this.writeParameters);
    if (page === 0x2a || page === 0x3f) {
      const caps = Buffer.alloc(2 + 0x1c);
      caps[0] = 0x2a; caps[1] = 0x1c; caps[2] = 0x3b; caps[3] = 0x13; caps[4] = 0xc0; caps[6] = 0x29;
      caps.writeUInt16BE(2048, 12);
      pages.push(caps);
    }
    if (pages.length === 0) throw CHECK.invalidField();
    const body = Buffer.concat(pages);
    const head = Buffer.alloc(8);
    head.writeUInt16BE(6 + body.length, 0);
    return Buffer.concat([head, body]);
  }

  private modeSelect(data: Buffer | null): undefined {
    if (!data || data.length < 10 || (data[8] & 0x3f) !== 0x05) throw CHECK.invalidField();
    const page = data.subarray(8);
    if (page.length !== this.writeParameters.length) throw CHECK.invalidField();
    this.writeParameters = Buffer.from(page);
    return undefined;
  }
}
