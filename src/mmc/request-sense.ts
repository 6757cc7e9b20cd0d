// REQUEST SENSE (MMC-5 6.30, sense per SPC-4 4.5): explicit sense fetch, used to poll progress of IMMED operations.
import { cdb, putU8 } from './bytes';
import { runCommand } from './command';
import { OPCODE } from './opcodes';
import { decodeSense, SenseData } from './sense';
import { Transport } from './transport';

/** 252 is the SPC-4 maximum sense length; drives return 18 (fixed) or less. */
export const REQUEST_SENSE_ALLOCATION = 252;

export function buildRequestSense(options: { descriptorFormat?: boolean; allocation?: number } = {}): Buffer {
  const b = cdb(OPCODE.requestSense, 6);
  if (options.descriptorFormat) b[1] = 0x01;
  putU8(b, 4, options.allocation ?? REQUEST_SENSE_ALLOCATION, 'allocation length');
  return b;
}

export function parseRequestSense(reply: Buffer): SenseData | undefined {
  return decodeSense(reply);
}

export async function requestSense(t: Transport): Promise<SenseData | undefined> {
  const reply = await runCommand(t, { cdb: buildRequestSense(), receive: REQUEST_SENSE_ALLOCATION });
  return parseRequestSense(reply);
}
