// INQUIRY standard data (SPC-4 6.4.2, MMC-5 6.9): peripheral type 05h marks an MMC (CD/DVD/BD) device.
import { cdb, putU16, ReplyView } from './bytes';
import { runCommand } from './command';
import { OPCODE } from './opcodes';
import { Transport } from './transport';

export const PERIPHERAL_TYPE_MMC = 0x05;
export const PERIPHERAL_TYPE_DISK = 0x00;
/** Standard INQUIRY data is 36 bytes; more holds vendor data nobody needs here. */
export const INQUIRY_ALLOCATION = 96;

export interface InquiryData {
  readonly peripheralQualifier: number;
  readonly peripheralType: number;
  readonly removable: boolean;
  readonly version: number;
  readonly vendor: string;
  readonly product: string;
  readonly revision: string;
}

export function buildInquiry(allocation = INQUIRY_ALLOCATION): Buffer {
  const b = cdb(OPCODE.inquiry, 6);
  // SPC-4 widened the allocation length to bytes 3-4; MMC drives accept it since MMC-5.
  putU16(b, 3, allocation, 'allocation length');
  return b;
}

export function parseInquiry(reply: Buffer): InquiryData {
  const v = ReplyView.byLengthField('INQUIRY', reply, 4, 1);
  v.require(8, 'standard INQUIRY header');
  return {
    peripheralQualifier: v.bits(0, 5, 3),
    peripheralType: v.bits(0, 0, 5),
    removable: v.bit(1, 7),
    version: v.u8(2),
    vendor: v.ascii(8, 8),
    product: v.ascii(16, 16),
    revision: v.ascii(32, 4),
  };
}

export async function inquiry(t: Transport): Promise<InquiryData> {
  return parseInquiry(await runCommand(t, { cdb: buildInquiry(), receive: INQUIRY_ALLOCATION, timeoutMs: 10_000 }));
}
