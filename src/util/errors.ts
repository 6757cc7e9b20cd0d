// Errors carry a code, structured data and their cause; FUSE handlers turn them into errno in one place.

/** A filesystem-level failure that maps to one errno value (ENOENT, EIO, ...). */
export class FsError extends Error {
  constructor(
    readonly errno: ErrnoName,
    message?: string,
    readonly data: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message ?? errno, options);
    this.name = 'FsError';
  }
}

/** A medium or image that cannot be used at all (unusable volume descriptors, wrong device, ...). */
export class DiscfsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly data: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DiscfsError';
  }
}

export type ErrnoName =
  | 'EPERM' | 'ENOENT' | 'EIO' | 'EBADF' | 'EACCES' | 'EBUSY' | 'EEXIST' | 'EXDEV' | 'ENOTDIR'
  | 'EISDIR' | 'EINVAL' | 'EFBIG' | 'ENOSPC' | 'EROFS' | 'EMLINK' | 'ENAMETOOLONG' | 'ENOTEMPTY'
  | 'ENOSYS' | 'ELOOP' | 'ENODATA' | 'ENOTSUP' | 'ERANGE' | 'ENXIO' | 'ENOTCONN';

export function fsError(errno: ErrnoName, message?: string, data?: Record<string, unknown>): FsError {
  return new FsError(errno, message, data);
}
