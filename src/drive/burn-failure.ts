// What a failed burn means for the disc: the stage, the drive's sense, and whether another session can still go on (MMC-5 6.22 after the fact).
import { ScsiError } from '../mmc/scsi-error';
import type { Transport } from '../mmc/transport';
import { DiscfsError } from '../util/errors';
import { Drive } from './drive';

export type BurnStage = 'prepare' | 'write' | 'sync' | 'head' | 'close' | 'verify';

const STAGE_WORDS: Record<BurnStage, string> = {
  prepare: 'before writing',
  write: 'while writing the session',
  sync: 'while flushing the drive cache',
  head: 'while switching the volume descriptors at LBA 16',
  close: 'while closing the track/session',
  verify: 'while reading the new session back',
};

/** The cause's own words and, for a WRITE, its LBA and sense. */
function describeCause(error: unknown): string {
  if (error instanceof DiscfsError && error.code === 'DRIVE_WRITE') return error.message;
  if (error instanceof ScsiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

function whatItMeans(stage: BurnStage, appendable: boolean | undefined, olderIntact: boolean): string {
  const staged = 'The staged changes are kept; unmounting again retries.';
  if (appendable === undefined) return `The drive cannot tell the disc state now (medium removed?). ${staged}`;
  const disc = appendable ? 'the disc is still appendable' : 'the disc cannot take another session until the open track is closed';
  const older = olderIntact ? 'older sessions are untouched' : 'the disc holds only a partial session';
  return `${stage === 'prepare' ? 'Nothing was written; ' : ''}${disc}; ${older}. ${staged}`;
}

/**
 * Wraps any failure of burnSession into DiscfsError('DRIVE_BURN_FAILED') with the stage, the cause, and
 * the disc state as the drive reports it afterwards (asked again: a write error changes it).
 */
export async function explainBurnFailure(t: Transport, error: unknown, stage: BurnStage, plan?: { startLba: number }): Promise<DiscfsError> {
  if (error instanceof DiscfsError && error.code === 'DRIVE_BURN_FAILED') return error;
  if (error instanceof DiscfsError && stage === 'prepare' && error.code.startsWith('DRIVE_')) return error;
  const after = await Drive.inspect(t).catch(() => undefined);
  const appendable = after?.appendable;
  const message = `burn failed ${STAGE_WORDS[stage]}: ${describeCause(error)}. ${whatItMeans(stage, appendable, true)}`;
  return new DiscfsError('DRIVE_BURN_FAILED', message, {
    stage,
    startLba: plan?.startLba,
    appendable,
    incomplete: after?.incomplete,
    cause: error instanceof DiscfsError ? { code: error.code, ...error.data } : undefined,
  }, { cause: error });
}
