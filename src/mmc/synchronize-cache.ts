// SYNCHRONIZE CACHE(10) (MMC-5 6.41): flush the drive buffer to the medium before closing a track.
import { cdb, putU16, putU32 } from './bytes';
import { LONG_TIMEOUT_MS, runCommand } from './command';
import { OPCODE } from './opcodes';
import { Transport } from './transport';

export function buildSynchronizeCache(options: { immediate?: boolean; lba?: number; blocks?: number } = {}): Buffer {
  const b = cdb(OPCODE.synchronizeCache, 10);
  if (options.immediate) b[1] = 0x02;
  // LBA 0 with 0 blocks means "everything" and is what every MMC drive expects.
  putU32(b, 2, options.lba ?? 0, 'LBA');
  putU16(b, 7, options.blocks ?? 0, 'number of blocks');
  return b;
}

export async function synchronizeCache(t: Transport, immediate = false): Promise<void> {
  await runCommand(t, { cdb: buildSynchronizeCache({ immediate }), timeoutMs: LONG_TIMEOUT_MS });
}
