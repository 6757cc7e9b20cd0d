// Maps any error reaching the CLI to one line and an exit code name.

import { DiscfsError, FsError } from '../util/errors';
import { CliError, type ExitName } from './exit-codes';

/** DiscfsError codes raised by lower layers, and the exit each one means. */
const DISCFS_CODES: Record<string, ExitName> = {
  NO_ISO9660: 'noFileSystem',
  ENGINE_SESSION_AT_LBA0: 'notGrowable',
  ENGINE_NO_SESSIONS: 'notGrowable',
  ENGINE_ABORTED: 'aborted',
  ENGINE_VERIFY: 'commitFailed',
  ENGINE_NO_SPACE: 'noSpace',
  ENGINE_TAIL: 'notGrowable',
  VOLUME_DESCRIPTORS: 'unusableVolume',
  NO_SUCH_SESSION: 'noSuchSession',
  BAD_SESSION_LIST: 'usage',
  VIEW_UNAVAILABLE: 'usage',
  IMAGE_OPEN: 'sourceMissing',
  IMAGE_NOT_FILE: 'sourceMissing',
  MOUNTPOINT_MISSING: 'mountpointMissing',
  MOUNTPOINT_NOT_DIR: 'mountpointMissing',
  MOUNTPOINT_BUSY: 'alreadyMounted',
  MOUNTPOINT_DEAD: 'alreadyMounted',
  MOUNT_BUSY: 'busy',
  MOUNT_TIMEOUT: 'fuseUnavailable',
  FUSE_BINDING_MISSING: 'fuseUnavailable',
  STAGING_LOCKED: 'stagingNotWritable',
  STAGING_VERSION: 'stagingNotWritable',
  DEVICE_NOT_FOUND: 'sourceMissing',
  DEVICE_BUSY: 'driveBusy',
  NOT_OPTICAL_DRIVE: 'sourceMissing',
  ENOISO: 'noFileSystem',
  EBADVD: 'unusableVolume',
  ETRUNCATED: 'unusableVolume',
  ENOSESSION: 'noSuchSession',
  ENOTGROWABLE: 'notGrowable',
  ENOSPC: 'noSpace',
  EABORTED: 'aborted',
  ENOMEDIUM: 'noMedium',
  EBUSY: 'driveBusy',
  EACCES: 'permissionDenied',
  ENOENT: 'sourceMissing',
  ENOFUSE: 'fuseUnavailable',
  ESTAGING: 'stagingNotWritable',
};

export function describeError(e: unknown): { exit: ExitName; message: string } {
  if (e instanceof CliError) return { exit: e.exit, message: e.message };
  if (e instanceof DiscfsError) return { exit: DISCFS_CODES[e.code] ?? 'internal', message: e.message };
  if (e instanceof FsError) return { exit: 'internal', message: `${e.errno}: ${e.message}` };
  const errno = (e as NodeJS.ErrnoException | undefined)?.code;
  const msg = e instanceof Error ? e.message : String(e);
  if (errno === 'EACCES' || errno === 'EPERM') return { exit: 'permissionDenied', message: msg };
  if (errno === 'ENOENT') return { exit: 'sourceMissing', message: msg };
  return { exit: 'internal', message: msg };
}
