// CLOSE TRACK/SESSION (MMC-5 6.3): close functions per medium in 6.3.3 (CD 6.3.3.1, DVD+R 6.3.3.4, BD-R 6.3.3.6).
import { cdb, putU16 } from './bytes';
import { LONG_TIMEOUT_MS, runCommand } from './command';
import { OPCODE } from './opcodes';
import { Transport } from './transport';

export const CLOSE_FUNCTION = {
  /** Close the logical track (DVD+R: the invisible track becomes a complete track). */
  track: 0b001,
  /** Close the session: a later session may still be appended. */
  session: 0b010,
  /** DVD+R: finalize with minimal radius, still readable by DVD-ROM drives. */
  finalizeMinimalRadius: 0b101,
  /** DVD+R / BD-R: finalize the disc; nothing can be appended afterwards. */
  finalizeDisc: 0b110,
} as const;
export type CloseFunction = (typeof CLOSE_FUNCTION)[keyof typeof CLOSE_FUNCTION];

export function buildCloseTrackSession(fn: CloseFunction, track = 0, immediate = false): Buffer {
  const b = cdb(OPCODE.closeTrackSession, 10);
  if (immediate) b[1] = 0x01;
  b[2] = fn;
  putU16(b, 4, track, 'track number');
  return b;
}

/** Without IMMED the command returns when the close is done; with it, poll with retry.waitUntilReady. */
export async function closeTrackSession(t: Transport, fn: CloseFunction, track = 0, immediate = false): Promise<void> {
  await runCommand(t, { cdb: buildCloseTrackSession(fn, track, immediate), timeoutMs: LONG_TIMEOUT_MS });
}
