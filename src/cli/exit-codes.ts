// Exit codes of the discfs command line: one per failure a user can act on (documented in --help and README).

export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  sourceMissing: 3,
  permissionDenied: 4,
  noMedium: 5,
  noFileSystem: 6,
  mountpointMissing: 7,
  mountpointNotEmpty: 8,
  alreadyMounted: 9,
  stagingNotWritable: 10,
  driveBusy: 11,
  fuseUnavailable: 12,
  unusableVolume: 13,
  noSuchSession: 14,
  notMounted: 15,
  busy: 16,
  commitFailed: 17,
  notGrowable: 18,
  noSpace: 19,
  aborted: 20,
  verifyFailed: 21,
} as const;

export type ExitName = keyof typeof EXIT;

export const EXIT_DESCRIPTIONS: Record<ExitName, string> = {
  ok: 'success',
  internal: 'internal error (a bug: please report it with the log)',
  usage: 'usage error (see --help)',
  sourceMissing: 'no such image file or device',
  permissionDenied: 'permission denied on the image or device',
  noMedium: 'the drive has no medium',
  noFileSystem: 'the medium holds no ISO 9660 file system',
  mountpointMissing: 'the mountpoint does not exist or is not a directory',
  mountpointNotEmpty: 'the mountpoint is not empty',
  alreadyMounted: 'the mountpoint is already mounted',
  stagingNotWritable: 'the staging directory is not writable',
  driveBusy: 'the drive is held by another program',
  fuseUnavailable: 'FUSE is not usable (/dev/fuse or fusermount missing)',
  unusableVolume: 'the volume descriptors are unusable (damaged image)',
  noSuchSession: 'no such session on the medium',
  notMounted: 'not a discfs mountpoint',
  busy: 'files are open on the mount',
  commitFailed: 'the commit failed; the staged changes are kept',
  notGrowable: 'the image cannot take a new session',
  noSpace: 'the new session does not fit on the medium',
  aborted: 'aborted by the user; nothing was changed',
  verifyFailed: 'discfs verify found files that differ from their stored checksums',
};

/** An error the CLI reports as one line and a distinct exit code. */
export class CliError extends Error {
  constructor(
    readonly exit: ExitName,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}
