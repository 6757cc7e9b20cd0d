// Hook for `discfs info` on a drive (/dev/sr*, /dev/sg*): the drive engineer fills this in with INQUIRY,
// GET CONFIGURATION and READ DISC INFORMATION. Until then drives are reported as unsupported.

import { CliError } from './exit-codes';

/** What `discfs info` prints for a drive, besides the sessions it reads from the medium itself. */
export interface DriveInfo {
  vendor: string;
  model: string;
  revision?: string;
  /** MMC profile name of the loaded medium (e.g. "DVD+R"), or undefined without a medium. */
  mediaType?: string;
  /** READ DISC INFORMATION disc status: blank, appendable, complete (finalised). */
  discStatus?: 'blank' | 'appendable' | 'complete' | 'other';
  capacityBlocks?: number;
  freeBlocks?: number;
}

export function isDrivePath(source: string, isDevice: boolean): boolean {
  return isDevice || /^\/dev\/(sr|sg|scd)\d/.test(source);
}

export async function describeDrive(device: string): Promise<DriveInfo> {
  throw new CliError('sourceMissing', `${device}: drive information is not supported by this build yet; use an image file`);
}
