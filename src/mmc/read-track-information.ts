// READ TRACK INFORMATION (MMC-5 6.27): track descriptor with start, next writable address, free blocks (6.27.3).
import { cdb, putU16, putU32, ReplyView } from './bytes';
import { runCommand } from './command';
import { OPCODE } from './opcodes';
import { Transport } from './transport';

/** Address/Number Type field: what the 32-bit CDB field names. */
export type TrackAddressing = 'lba' | 'track' | 'session';
const ADDRESS_TYPE: Record<TrackAddressing, number> = { lba: 0, track: 1, session: 2 };
/** Track number FFh addresses the invisible (or incomplete) track, where the next session gets written. */
export const INVISIBLE_TRACK = 0xff;
export const TRACK_INFORMATION_ALLOCATION = 48;
/** Up to Last Recorded Address (bytes 28-31) is what MMC-1 era drives already return. */
const MINIMUM_LENGTH = 28;

export interface TrackInformation {
  readonly track: number;
  readonly session: number;
  readonly damaged: boolean;
  readonly copy: boolean;
  /** Byte 5 bits 3-0: CD control nibble style track mode. */
  readonly trackMode: number;
  readonly reserved: boolean;
  readonly blank: boolean;
  readonly packet: boolean;
  readonly fixedPacket: boolean;
  readonly dataMode: number;
  readonly startAddress: number;
  /** Undefined when NWA_V is clear (the track cannot be appended to). */
  readonly nextWritableAddress?: number;
  readonly freeBlocks: number;
  readonly fixedPacketSize: number;
  readonly size: number;
  /** Undefined when LRA_V is clear or the reply is too short. */
  readonly lastRecordedAddress?: number;
}

export function buildReadTrackInformation(
  addressing: TrackAddressing,
  value: number,
  allocation = TRACK_INFORMATION_ALLOCATION,
): Buffer {
  const b = cdb(OPCODE.readTrackInformation, 10);
  b[1] = ADDRESS_TYPE[addressing];
  putU32(b, 2, value, 'address or number');
  putU16(b, 7, allocation, 'allocation length');
  return b;
}

export function parseReadTrackInformation(reply: Buffer): TrackInformation {
  const v = ReplyView.byLengthField('READ TRACK INFORMATION', reply, 0, 2);
  v.require(MINIMUM_LENGTH, 'track descriptor');
  const wide = (lsb: number, msb: number): number => v.u8(lsb) | (v.has(msb) ? v.u8(msb) << 8 : 0);
  const nwaValid = v.bit(7, 0);
  const lraValid = v.bit(7, 1);
  return {
    track: wide(2, 32),
    session: wide(3, 33),
    damaged: v.bit(5, 5),
    copy: v.bit(5, 4),
    trackMode: v.bits(5, 0, 4),
    reserved: v.bit(6, 7),
    blank: v.bit(6, 6),
    packet: v.bit(6, 5),
    fixedPacket: v.bit(6, 4),
    dataMode: v.bits(6, 0, 4),
    startAddress: v.u32(8),
    nextWritableAddress: nwaValid ? v.u32(12) : undefined,
    freeBlocks: v.u32(16),
    fixedPacketSize: v.u32(20),
    size: v.u32(24),
    lastRecordedAddress: lraValid && v.has(28, 4) ? v.u32(28) : undefined,
  };
}

export async function readTrackInformation(t: Transport, addressing: TrackAddressing, value: number): Promise<TrackInformation> {
  const reply = await runCommand(t, {
    cdb: buildReadTrackInformation(addressing, value),
    receive: TRACK_INFORMATION_ALLOCATION,
  });
  return parseReadTrackInformation(reply);
}
