// Where 2048-byte logical blocks come from: an image file or an optical drive.

export const BLOCK_SIZE = 2048;

export interface Medium {
  /** Human description for messages, e.g. the image path or "/dev/sr0". */
  readonly description: string;
  /** Number of readable 2048-byte blocks (the end of the medium; extents are validated against this). */
  readonly blocks: number;
  /** Session starts a drive knows from its TOC (write-once media); undefined where the emulated TOC is searched. */
  readonly sessionStarts?: readonly number[];
  /**
   * Reads `count` blocks starting at `lba`. Rejects (never returns zeros) when any block lies
   * outside 0..blocks-1 or cannot be read.
   */
  read(lba: number, count: number): Promise<Buffer>;
  close(): Promise<void>;
}
