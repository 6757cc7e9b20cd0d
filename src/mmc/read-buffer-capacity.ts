// READ BUFFER CAPACITY (MMC-5 6.18): drive buffer size and free space, in bytes (Block=0) or blocks (Block=1).
import { cdb, putU16, ReplyView } from './bytes';
import { runCommand } from './command';
import { OPCODE } from './opcodes';
import { Transport } from './transport';

export const BUFFER_CAPACITY_ALLOCATION = 12;

export type BufferCapacity =
  | { readonly unit: 'bytes'; readonly bufferLength: number; readonly blankLength: number }
  | { readonly unit: 'blocks'; readonly availableBlocks: number };

export function buildReadBufferCapacity(inBlocks = false): Buffer {
  const b = cdb(OPCODE.readBufferCapacity, 10);
  if (inBlocks) b[1] = 0x01;
  putU16(b, 7, BUFFER_CAPACITY_ALLOCATION, 'allocation length');
  return b;
}

export function parseReadBufferCapacity(reply: Buffer): BufferCapacity {
  const v = ReplyView.byLengthField('READ BUFFER CAPACITY', reply, 0, 2);
  v.require(12, 'buffer capacity data');
  if (v.bit(6, 0)) return { unit: 'blocks', availableBlocks: v.u32(8) };
  return { unit: 'bytes', bufferLength: v.u32(4), blankLength: v.u32(8) };
}

export async function readBufferCapacity(t: Transport, inBlocks = false): Promise<BufferCapacity> {
  const reply = await runCommand(t, { cdb: buildReadBufferCapacity(inBlocks), receive: BUFFER_CAPACITY_ALLOCATION });
  return parseReadBufferCapacity(reply);
}
