// READ DISC INFORMATION, standard disc information (MMC-5 6.22, data type 000b, 6.22.3.1).
import { cdb, putU16, ReplyView } from './bytes';
import { runCommand } from './command';
import { OPCODE } from './opcodes';
import { Transport } from './transport';

export type DiscStatus = 'blank' | 'appendable' | 'complete' | 'random-writable';
export type LastSessionState = 'empty' | 'incomplete' | 'damaged' | 'complete';
const DISC_STATUS: readonly DiscStatus[] = ['blank', 'appendable', 'complete', 'random-writable'];
const SESSION_STATE: readonly LastSessionState[] = ['empty', 'incomplete', 'damaged', 'complete'];

/** 34 bytes of standard information; OPC tables after it are not needed. */
export const DISC_INFORMATION_ALLOCATION = 34;
/** The fields up to "last track in last session LSB" (byte 6) are the minimum worth decoding. */
const MINIMUM_LENGTH = 7;

export interface DiscInformation {
  readonly erasable: boolean;
  readonly lastSessionState: LastSessionState;
  readonly discStatus: DiscStatus;
  readonly firstTrack: number;
  readonly sessions: number;
  readonly firstTrackInLastSession: number;
  readonly lastTrackInLastSession: number;
  /** Byte 7 BG format status (DVD+RW / BD-RE background formatting), 0 when absent. */
  readonly backgroundFormatStatus: number;
  /** Byte 8: 00h CD-DA/CD-ROM, 10h CD-I, 20h CD-ROM XA, FFh undefined (non-CD); undefined if short. */
  readonly discType?: number;
  /** Bytes 16-19 / 20-23 (MSF on CD), undefined when the reply is short. */
  readonly lastSessionLeadInStart?: number;
  readonly lastPossibleLeadOutStart?: number;
}

export function buildReadDiscInformation(allocation = DISC_INFORMATION_ALLOCATION): Buffer {
  const b = cdb(OPCODE.readDiscInformation, 10);
  putU16(b, 7, allocation, 'allocation length');
  return b;
}

function optional32(v: ReplyView, offset: number): number | undefined {
  return v.has(offset, 4) ? v.u32(offset) : undefined;
}

export function parseReadDiscInformation(reply: Buffer): DiscInformation {
  const v = ReplyView.byLengthField('READ DISC INFORMATION', reply, 0, 2);
  v.require(MINIMUM_LENGTH, 'disc status and track numbers');
  // Track and session numbers are 16 bits split into an LSB and a later MSB byte (bytes 9-11).
  const wide = (lsb: number, msb: number): number => v.u8(lsb) | (v.has(msb) ? v.u8(msb) << 8 : 0);
  return {
    erasable: v.bit(2, 4),
    lastSessionState: SESSION_STATE[v.bits(2, 2, 2)],
    discStatus: DISC_STATUS[v.bits(2, 0, 2)],
    firstTrack: v.u8(3),
    sessions: wide(4, 9),
    firstTrackInLastSession: wide(5, 10),
    lastTrackInLastSession: wide(6, 11),
    backgroundFormatStatus: v.has(7) ? v.bits(7, 0, 2) : 0,
    discType: v.has(8) ? v.u8(8) : undefined,
    lastSessionLeadInStart: optional32(v, 16),
    lastPossibleLeadOutStart: optional32(v, 20),
  };
}

export async function readDiscInformation(t: Transport): Promise<DiscInformation> {
  const reply = await runCommand(t, { cdb: buildReadDiscInformation(), receive: DISC_INFORMATION_ALLOCATION });
  return parseReadDiscInformation(reply);
}
