// The one place where an error thrown by a Filesystem becomes the negative errno answered to FUSE.

import { constants } from 'node:os';
import { FsError } from '../util/errors';

export type ErrorLog = (message: string) => void;

const ERRNO = constants.errno as Record<string, number | undefined>;
const EIO = ERRNO.EIO ?? 5;

function describe(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}

/**
 * FsError -> its errno; a Node system error (from the overlay's staging dir, say) -> its code, logged;
 * anything else -> EIO, logged with its stack: an unexpected error is a bug and must be visible.
 */
export function toErrno(err: unknown, op: string, path: string, log: ErrorLog): number {
  if (err instanceof FsError) {
    const n = ERRNO[err.errno];
    if (n !== undefined) return -n;
    log(`discfs: ${op} ${JSON.stringify(path)}: FsError with unknown errno ${err.errno}: answering EIO`);
    return -EIO;
  }
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && ERRNO[code] !== undefined) {
    log(`discfs: ${op} ${JSON.stringify(path)}: system error ${code}: ${describe(err)}`);
    return -(ERRNO[code] as number);
  }
  log(`discfs: ${op} ${JSON.stringify(path)}: unexpected error, answering EIO: ${describe(err)}`);
  return -EIO;
}

/** Negative errno for a name, for answers the adapter makes itself (EROFS for a read-only filesystem). */
export function errnoOf(name: 'EROFS' | 'EIO' | 'ENOSYS' | 'EINVAL'): number {
  return -(ERRNO[name] ?? EIO);
}
