// A recorded disc as MMC-5 4.2-4.8 describe it: sequential media (CD-R, DVD±R, BD-R SRM: sessions of tracks, an invisible
// track, NWA) and overwritable media (DVD+RW, BD-RE: one formatted track, random writes in whole write units).

export type ModelMedium = 'dvd+r' | 'cd-r' | 'dvd-r' | 'bd-r' | 'dvd+rw' | 'bd-re';
export const OVERWRITABLE: ReadonlySet<ModelMedium> = new Set(['dvd+rw', 'bd-re']);
/** Blocks a WRITE must be aligned to on overwritable media (ECC block on DVD, cluster on BD). */
export const WRITE_UNIT: Record<ModelMedium, number> = { 'cd-r': 1, 'dvd+r': 1, 'dvd-r': 1, 'bd-r': 1, 'dvd+rw': 16, 'bd-re': 32 };
export const MODEL_BLOCK = 2048;

export interface ModelTrack {
  readonly number: number;
  readonly session: number;
  readonly start: number;
  /** Blocks written so far. */
  size: number;
  closed: boolean;
}

export interface ModelSession {
  readonly number: number;
  closed: boolean;
}

/** Why a request cannot be honoured, as key/ASC/ASCQ (the drive model turns it into CHECK CONDITION). */
export class ModelCheck extends Error {
  constructor(
    readonly key: number,
    readonly asc: number,
    readonly ascq: number,
    readonly information?: number,
  ) {
    super(`check ${key}/${asc.toString(16)}/${ascq.toString(16)}`);
  }
}

export const CHECK = {
  invalidOpcode: () => new ModelCheck(0x5, 0x20, 0x00),
  lbaOutOfRange: (lba?: number) => new ModelCheck(0x5, 0x21, 0x00, lba),
  invalidWriteAddress: (lba?: number) => new ModelCheck(0x5, 0x21, 0x02, lba),
  invalidField: () => new ModelCheck(0x5, 0x24, 0x00),
  cannotWriteMedium: () => new ModelCheck(0x5, 0x30, 0x05),
  noMedium: () => new ModelCheck(0x2, 0x3a, 0x00),
  becomingReady: () => new ModelCheck(0x2, 0x04, 0x01),
  longWriteInProgress: () => new ModelCheck(0x2, 0x04, 0x08),
  mediumChanged: () => new ModelCheck(0x6, 0x28, 0x00),
  reset: () => new ModelCheck(0x6, 0x29, 0x00),
  writeError: (lba: number) => new ModelCheck(0x3, 0x0c, 0x00, lba),
  incompleteTrackInSession: () => new ModelCheck(0x5, 0x72, 0x03),
  commandSequenceError: () => new ModelCheck(0x5, 0x2c, 0x00),
  notFormatted: () => new ModelCheck(0x5, 0x30, 0x10),
  misalignedWrite: (lba: number) => new ModelCheck(0x5, 0x21, 0x02, lba),
} as const;

/** Lead-in/lead-out cost of closing a CD session (first session 11400 blocks, later ones 6900: Orange Book). */
const CD_FIRST_SESSION_OVERHEAD = 11400;
const CD_NEXT_SESSION_OVERHEAD = 6900;
/** DVD+R: the model starts the next session at the next 16-block ECC boundary. */
const DVD_ECC_BLOCKS = 16;
/** DVD-R: border-out + border-in between sessions (the model's choice; real ones are larger), ECC aligned. */
const DVD_MINUS_R_BORDER_BLOCKS = 2048;
/** BD-R SRM: sessions follow each other on the next cluster. */
const BD_CLUSTER_BLOCKS = 32;

export class DiscState {
  readonly tracks: ModelTrack[] = [];
  readonly sessions: ModelSession[] = [];
  finalized = false;
  /** Overwritable media only: FORMAT UNIT done. */
  formatted = true;
  /** Start of the invisible track: where the next WRITE must land. */
  nextWritable = 0;
  private readonly data = new Map<number, Buffer>();

  constructor(
    readonly medium: ModelMedium,
    readonly capacity: number,
  ) {}

  get overwritable(): boolean {
    return OVERWRITABLE.has(this.medium);
  }

  /** Every block from 0 to the highest one written (zeros in between): what `xorriso -indev` reads as an image. */
  image(): Buffer {
    const last = Math.max(-1, ...this.data.keys());
    const out = Buffer.alloc((last + 1) * MODEL_BLOCK);
    for (const [lba, block] of this.data) block.copy(out, lba * MODEL_BLOCK);
    return out;
  }

  /** Overwritable media: in place, in whole write units, anywhere on the formatted area. */
  overwrite(lba: number, blocks: Buffer[], faultLba?: number): void {
    if (!this.formatted) throw CHECK.notFormatted();
    const unit = WRITE_UNIT[this.medium];
    if (lba % unit !== 0 || blocks.length % unit !== 0) throw CHECK.misalignedWrite(lba);
    if (lba + blocks.length > this.capacity) throw CHECK.lbaOutOfRange(lba);
    blocks.forEach((block, i) => {
      if (faultLba !== undefined && lba + i === faultLba) throw CHECK.writeError(faultLba);
      this.data.set(lba + i, Buffer.from(block));
    });
  }

  get isBlank(): boolean {
    return this.tracks.length === 0;
  }
  get openTrack(): ModelTrack | undefined {
    const last = this.tracks[this.tracks.length - 1];
    return last && !last.closed ? last : undefined;
  }
  get openSession(): ModelSession | undefined {
    const last = this.sessions[this.sessions.length - 1];
    return last && !last.closed ? last : undefined;
  }
  get freeBlocks(): number {
    return this.finalized ? 0 : Math.max(0, this.capacity - this.nextWritable);
  }
  /** Number of the invisible track (the one a WRITE at the NWA would create or extend). */
  get invisibleTrackNumber(): number {
    return this.openTrack?.number ?? this.tracks.length + 1;
  }
  get lastRecordedLba(): number {
    const readable = this.tracks.filter((t) => t.size > 0);
    const last = readable[readable.length - 1];
    return last ? last.start + last.size - 1 : -1;
  }

  write(lba: number, blocks: Buffer[], faultLba?: number): void {
    if (this.finalized) throw CHECK.cannotWriteMedium();
    if (lba !== this.nextWritable) throw CHECK.invalidWriteAddress(lba);
    if (lba + blocks.length > this.capacity) throw CHECK.lbaOutOfRange(lba);
    const track = this.openTrack ?? this.startTrack(lba);
    blocks.forEach((block, i) => {
      if (faultLba !== undefined && lba + i === faultLba) throw CHECK.writeError(faultLba);
      this.data.set(lba + i, Buffer.from(block));
      track.size += 1;
      this.nextWritable += 1;
    });
  }

  read(lba: number, count: number): Buffer {
    const out = Buffer.alloc(count * MODEL_BLOCK);
    for (let i = 0; i < count; i++) {
      const block = this.data.get(lba + i);
      if (!block && this.overwritable && this.formatted && lba + i < this.capacity) continue;
      if (!block) throw CHECK.lbaOutOfRange(lba + i);
      block.copy(out, i * MODEL_BLOCK);
    }
    return out;
  }

  private startTrack(lba: number): ModelTrack {
    const session = this.openSession ?? this.startSession();
    const track: ModelTrack = { number: this.tracks.length + 1, session: session.number, start: lba, size: 0, closed: false };
    this.tracks.push(track);
    return track;
  }

  private startSession(): ModelSession {
    const session = { number: this.sessions.length + 1, closed: false };
    this.sessions.push(session);
    return session;
  }

  closeTrack(): void {
    const track = this.openTrack;
    if (track) track.closed = true;
  }

  /** Closing a session closes its track; the next session starts past the lead-out/lead-in overhead. */
  closeSession(finalize: boolean): void {
    this.closeTrack();
    const session = this.openSession;
    if (session) {
      session.closed = true;
      const closedSessions = this.sessions.filter((s) => s.closed).length;
      this.nextWritable = this.nextSessionStart(closedSessions === 1);
    }
    if (finalize && !this.isBlank) this.finalized = true;
  }

  private nextSessionStart(first: boolean): number {
    if (this.medium === 'cd-r') return this.nextWritable + (first ? CD_FIRST_SESSION_OVERHEAD : CD_NEXT_SESSION_OVERHEAD);
    if (this.medium === 'dvd-r') return Math.ceil((this.nextWritable + DVD_MINUS_R_BORDER_BLOCKS) / DVD_ECC_BLOCKS) * DVD_ECC_BLOCKS;
    if (this.medium === 'bd-r') return Math.ceil(this.nextWritable / BD_CLUSTER_BLOCKS) * BD_CLUSTER_BLOCKS;
    return Math.ceil(this.nextWritable / DVD_ECC_BLOCKS) * DVD_ECC_BLOCKS;
  }

  trackAt(lba: number): ModelTrack | undefined {
    return this.tracks.find((t) => lba >= t.start && lba < t.start + Math.max(t.size, 1));
  }
}
