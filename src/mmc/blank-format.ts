// Erasing and formatting: BLANK (MMC-5 6.2) and FORMAT UNIT with one format descriptor (MMC-5 6.5, 6.5.4).
import { cdb, putU16, putU24, putU32 } from './bytes';
import { LONG_TIMEOUT_MS, runCommand } from './command';
import { OPCODE } from './opcodes';
import { Transport } from './transport';

export const BLANKING_TYPE = {
  full: 0, minimal: 1, track: 2, unreserveTrack: 3, trackTail: 4, uncloseLastSession: 5, lastSession: 6,
} as const;
export type BlankingType = (typeof BLANKING_TYPE)[keyof typeof BLANKING_TYPE];

export function buildBlank(type: BlankingType, immediate = true, startAddressOrTrack = 0): Buffer {
  const b = cdb(OPCODE.blank, 12);
  b[1] = (immediate ? 0x10 : 0) | type;
  putU32(b, 2, startAddressOrTrack, 'start address / track number');
  return b;
}

/** Format types used by discfs (MMC-5 Table 6.5.4.2.x): DVD+RW full format and BD-RE with spare areas. */
export const FORMAT_TYPE = { fullFormat: 0x00, dvdPlusRwFull: 0x26, bdReWithSpare: 0x30, quickFormat: 0x15 } as const;

export interface FormatDescriptor {
  readonly blocks: number;
  readonly formatType: number;
  readonly subType?: number;
  /** Type dependent parameter (usually the block length, 2048, or 0). */
  readonly parameter?: number;
}

export function buildFormatUnit(): Buffer {
  const b = cdb(OPCODE.formatUnit, 6);
  b[1] = 0x11; // FmtData: a parameter list follows; format code 001b.
  return b;
}

/** 4-byte format list header (IMMED, descriptor length 8) followed by one 8-byte format descriptor. */
export function encodeFormatParameters(d: FormatDescriptor, immediate = true): Buffer {
  const p = Buffer.alloc(12);
  p[1] = immediate ? 0x02 : 0;
  putU16(p, 2, 8, 'format descriptor length');
  putU32(p, 4, d.blocks, 'number of blocks');
  p[8] = ((d.formatType & 0x3f) << 2) | ((d.subType ?? 0) & 0x03);
  putU24(p, 9, d.parameter ?? 0, 'type dependent parameter');
  return p;
}

export async function blank(t: Transport, type: BlankingType, immediate = true): Promise<void> {
  await runCommand(t, { cdb: buildBlank(type, immediate), timeoutMs: LONG_TIMEOUT_MS });
}

export async function formatUnit(t: Transport, d: FormatDescriptor, immediate = true): Promise<void> {
  await runCommand(t, { cdb: buildFormatUnit(), send: encodeFormatParameters(d, immediate), timeoutMs: LONG_TIMEOUT_MS });
}
