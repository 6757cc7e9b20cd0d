// MODE SENSE(10)/MODE SELECT(10) (MMC-5 6.12-6.13, SPC-4 7.5) with pages 05h write parameters (MMC-5 7.5) and 2Ah capabilities (MMC-3 5.5.10).
import { cdb, putU16, putU32, putU8, ReplyView } from './bytes';
import { runCommand } from './command';
import { OPCODE } from './opcodes';
import { Transport } from './transport';

export const MODE_PAGE = { readWriteErrorRecovery: 0x01, writeParameters: 0x05, caching: 0x08, capabilities: 0x2a, all: 0x3f } as const;
export type PageControl = 'current' | 'changeable' | 'default' | 'saved';
const PAGE_CONTROL: Record<PageControl, number> = { current: 0, changeable: 1, default: 2, saved: 3 };
const MODE_HEADER_10 = 8;
export const MODE_SENSE_ALLOCATION = 0x0ffe;

export function buildModeSense10(page: number, control: PageControl = 'current', allocation = MODE_SENSE_ALLOCATION): Buffer {
  const b = cdb(OPCODE.modeSense10, 10);
  b[1] = 0x08; // DBD: block descriptors are meaningless on MMC devices.
  b[2] = (PAGE_CONTROL[control] << 6) | (page & 0x3f);
  putU16(b, 7, allocation, 'allocation length');
  return b;
}

export function buildModeSelect10(parameterListLength: number, savePages = false): Buffer {
  const b = cdb(OPCODE.modeSelect10, 10);
  b[1] = 0x10 | (savePages ? 0x01 : 0); // PF: pages follow the standard format.
  putU16(b, 7, parameterListLength, 'parameter list length');
  return b;
}

/** The page bytes (starting at its page-code byte) for `page` in a MODE SENSE(10) reply, or undefined. */
export function findModePage(reply: Buffer, page: number): Buffer | undefined {
  const v = ReplyView.byLengthField('MODE SENSE(10)', reply, 0, 2);
  v.require(MODE_HEADER_10, 'mode parameter header');
  // Drives are asked for no block descriptors but some send them anyway: skip by the declared length.
  for (let p = MODE_HEADER_10 + v.u16(6); v.has(p, 2); ) {
    const code = v.bits(p, 0, 6);
    const length = v.u8(p + 1);
    if (!v.has(p, 2 + length)) return code === page ? v.slice(p, 2 + length) : undefined;
    if (code === page) return v.slice(p, 2 + length);
    p += 2 + length;
  }
  return undefined;
}

/** MODE SELECT parameter list: 8-byte header (mode data length reserved, no block descriptors) + one page. */
export function modeSelectParameters(page: Buffer): Buffer {
  const out = Buffer.alloc(MODE_HEADER_10 + page.length);
  page.copy(out, MODE_HEADER_10);
  out[MODE_HEADER_10] &= 0x3f; // PS is reserved in MODE SELECT.
  return out;
}

export const WRITE_TYPE = { packet: 0, trackAtOnce: 1, sessionAtOnce: 2, raw: 3, layerJump: 4 } as const;
export const MULTISESSION = { noNextSession: 0, nextSessionB0Ffffff: 1, nextSessionAllowed: 3 } as const;
export const DATA_BLOCK_TYPE = { mode1: 8, mode2Form1: 10 } as const;

export interface WriteParameters {
  readonly bufferUnderrunFree: boolean;
  readonly testWrite: boolean;
  readonly writeType: number;
  readonly multisession: number;
  readonly fixedPacket: boolean;
  readonly trackMode: number;
  readonly dataBlockType: number;
  readonly linkSize: number;
  readonly sessionFormat: number;
  readonly packetSize: number;
}

/** Decodes page 05h; `page` starts at the page-code byte. */
export function parseWriteParameters(page: Buffer): WriteParameters {
  const v = new ReplyView('write parameters page', page, 2 + (page.length >= 2 ? page[1] : 0));
  v.require(14, 'write parameters page');
  return {
    bufferUnderrunFree: v.bit(2, 6),
    testWrite: v.bit(2, 4),
    writeType: v.bits(2, 0, 4),
    multisession: v.bits(3, 6, 2),
    fixedPacket: v.bit(3, 5),
    trackMode: v.bits(3, 0, 4),
    dataBlockType: v.bits(4, 0, 4),
    linkSize: v.u8(5),
    sessionFormat: v.u8(8),
    packetSize: v.u32(10),
  };
}

/**
 * Re-encodes page 05h over the drive's own current page (so vendor bytes and its page length survive),
 * as MMC asks: read the current page, change the fields, send it back.
 */
export function encodeWriteParameters(current: Buffer, p: WriteParameters): Buffer {
  if (current.length < 14) throw new RangeError('write parameters page shorter than 14 bytes');
  const b = Buffer.from(current);
  b[0] = MODE_PAGE.writeParameters;
  b[2] = (b[2] & 0xa0) | (p.bufferUnderrunFree ? 0x40 : 0) | (p.testWrite ? 0x10 : 0) | (p.writeType & 0x0f);
  b[3] = ((p.multisession & 3) << 6) | (p.fixedPacket ? 0x20 : 0) | (b[3] & 0x10) | (p.trackMode & 0x0f);
  b[4] = (b[4] & 0xf0) | (p.dataBlockType & 0x0f);
  putU8(b, 5, p.linkSize, 'link size');
  putU8(b, 8, p.sessionFormat, 'session format');
  putU32(b, 10, p.packetSize, 'packet size');
  return b;
}

export interface Capabilities {
  readonly reads: { cdR: boolean; cdRw: boolean; dvdRom: boolean; dvdR: boolean; dvdRam: boolean };
  readonly writes: { cdR: boolean; cdRw: boolean; testWrite: boolean; dvdR: boolean; dvdRam: boolean };
  readonly multisession: boolean;
  readonly bufferUnderrunProtection: boolean;
  readonly lockSupported: boolean;
  readonly locked: boolean;
  readonly ejectSupported: boolean;
  readonly loadingMechanism: number;
  readonly bufferSizeKiB?: number;
  /** Write speeds from the performance descriptors (kB/s), fastest first as the drive lists them. */
  readonly writeSpeeds: number[];
}

/** Decodes page 2Ah (obsolete since MMC-4 but still what drives report; fields past the page length are absent). */
export function parseCapabilities(page: Buffer): Capabilities {
  const v = new ReplyView('capabilities page', page, 2 + (page.length >= 2 ? page[1] : 0));
  v.require(8, 'capabilities page');
  const writeSpeeds: number[] = [];
  const descriptors = v.has(30, 2) ? v.u16(30) : 0;
  for (let i = 0, p = 32; i < descriptors && v.has(p, 4); i++, p += 4) writeSpeeds.push(v.u16(p + 2));
  return {
    reads: { cdR: v.bit(2, 0), cdRw: v.bit(2, 1), dvdRom: v.bit(2, 3), dvdR: v.bit(2, 4), dvdRam: v.bit(2, 5) },
    writes: { cdR: v.bit(3, 0), cdRw: v.bit(3, 1), testWrite: v.bit(3, 2), dvdR: v.bit(3, 4), dvdRam: v.bit(3, 5) },
    multisession: v.bit(4, 6),
    bufferUnderrunProtection: v.bit(4, 7),
    lockSupported: v.bit(6, 0),
    locked: v.bit(6, 1),
    ejectSupported: v.bit(6, 3),
    loadingMechanism: v.bits(6, 5, 3),
    bufferSizeKiB: v.has(12, 2) ? v.u16(12) : undefined,
    writeSpeeds,
  };
}

export async function modeSense10(t: Transport, page: number, control: PageControl = 'current'): Promise<Buffer | undefined> {
  const reply = await runCommand(t, { cdb: buildModeSense10(page, control), receive: MODE_SENSE_ALLOCATION });
  return findModePage(reply, page);
}

export async function modeSelect10(t: Transport, page: Buffer): Promise<void> {
  const parameters = modeSelectParameters(page);
  await runCommand(t, { cdb: buildModeSelect10(parameters.length), send: parameters });
}
