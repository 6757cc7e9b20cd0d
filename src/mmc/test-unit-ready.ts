// TEST UNIT READY (MMC-5 6.42): a 6-byte all-zero CDB whose only answer is status and sense.
import { cdb } from './bytes';
import { runCommand } from './command';
import { OPCODE } from './opcodes';
import { Transport } from './transport';

export function buildTestUnitReady(): Buffer {
  return cdb(OPCODE.testUnitReady, 6);
}

/** Resolves when the unit is ready; rejects with the ScsiError (NOT READY, UNIT ATTENTION, ...) otherwise. */
export async function testUnitReady(t: Transport): Promise<void> {
  await runCommand(t, { cdb: buildTestUnitReady(), timeoutMs: 10_000 });
}
