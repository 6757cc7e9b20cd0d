// READ CAPACITY(10) (MMC-5 6.19): last recorded LBA and block length, 8-byte reply.
import { cdb, ReplyView } from './bytes';
import { runCommand } from './command';
import { OPCODE } from './opcodes';
import { Transport } from './transport';

export interface Capacity {
  readonly lastLba: number;
  readonly blockLength: number;
  /** lastLba + 1: the number of addressable blocks. */
  readonly blocks: number;
}

export function buildReadCapacity(): Buffer {
  return cdb(OPCODE.readCapacity, 10);
}

export function parseReadCapacity(reply: Buffer): Capacity {
  const v = new ReplyView('READ CAPACITY', reply, 8);
  v.require(8, 'capacity data');
  const lastLba = v.u32(0);
  // A blank disc reports lastLba FFFFFFFFh on some drives ("-1"): treat it as no readable blocks.
  const blocks = lastLba === 0xffffffff ? 0 : lastLba + 1;
  return { lastLba, blockLength: v.u32(4), blocks };
}

export async function readCapacity(t: Transport): Promise<Capacity> {
  return parseReadCapacity(await runCommand(t, { cdb: buildReadCapacity(), receive: 8 }));
}
