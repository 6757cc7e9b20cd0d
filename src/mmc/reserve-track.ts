// RESERVE TRACK (MMC-5 6.31): reserve blocks for the next track (optional on DVD+R; tgt rejects it with 5/20/00).
import { cdb, putU32 } from './bytes';
import { runCommand } from './command';
import { OPCODE } from './opcodes';
import { Transport } from './transport';

export function buildReserveTrack(blocks: number): Buffer {
  const b = cdb(OPCODE.reserveTrack, 10);
  putU32(b, 5, blocks, 'reservation size');
  return b;
}

export async function reserveTrack(t: Transport, blocks: number): Promise<void> {
  await runCommand(t, { cdb: buildReserveTrack(blocks) });
}
