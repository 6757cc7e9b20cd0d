// Tray and lock control: PREVENT ALLOW MEDIUM REMOVAL (MMC-5 6.14) and START STOP UNIT (MMC-5 6.40).
import { cdb } from './bytes';
import { LONG_TIMEOUT_MS, runCommand } from './command';
import { OPCODE } from './opcodes';
import { Transport } from './transport';

export function buildPreventAllowMediumRemoval(prevent: boolean, persistent = false): Buffer {
  const b = cdb(OPCODE.preventAllowMediumRemoval, 6);
  b[4] = (persistent ? 0x02 : 0) | (prevent ? 0x01 : 0);
  return b;
}

export type StartStopAction = 'stop' | 'start' | 'eject' | 'load';
const START_STOP_BITS: Record<StartStopAction, number> = { stop: 0b00, start: 0b01, eject: 0b10, load: 0b11 };

export function buildStartStopUnit(action: StartStopAction, immediate = false): Buffer {
  const b = cdb(OPCODE.startStopUnit, 6);
  if (immediate) b[1] = 0x01;
  b[4] = START_STOP_BITS[action]; // LoEj (bit 1) and Start (bit 0), power condition 0.
  return b;
}

export async function preventAllowMediumRemoval(t: Transport, prevent: boolean): Promise<void> {
  await runCommand(t, { cdb: buildPreventAllowMediumRemoval(prevent) });
}

export async function startStopUnit(t: Transport, action: StartStopAction, immediate = false): Promise<void> {
  await runCommand(t, { cdb: buildStartStopUnit(action, immediate), timeoutMs: LONG_TIMEOUT_MS });
}
