// Opening a drive named on the command line: SG_IO transport -> DriveMedium, with the refusals of issue 7 "Safety".
import { CliError, type ExitName } from '../cli/exit-codes';
import { SgTransport } from '../mmc/sg-transport';
import { DiscfsError } from '../util/errors';
import { describeDriveState } from './drive';
import { DriveMedium } from './drive-medium';

const EXIT_FOR_CODE: Record<string, ExitName> = {
  NOT_OPTICAL_DRIVE: 'sourceMissing',
  DEVICE_NOT_FOUND: 'sourceMissing',
  DEVICE_OPEN: 'sourceMissing',
  DEVICE_PERMISSION: 'permissionDenied',
  DEVICE_BUSY: 'driveBusy',
  DRIVE_NO_MEDIUM: 'noMedium',
};

/** The errors of opening a drive as the CLI reports them (exit code per cause). */
export function driveCliError(error: unknown): unknown {
  if (error instanceof DiscfsError && EXIT_FOR_CODE[error.code]) return new CliError(EXIT_FOR_CODE[error.code], error.message, { cause: error });
  return error;
}

/**
 * Opens /dev/sr* or /dev/sg*; refuses /dev/sd* and non-MMC devices (SgTransport), an empty tray (noMedium).
 * A disc that cannot take another session still opens: `readOnlyReason` says why it must be mounted read-only.
 */
export async function openDriveMedium(devicePath: string): Promise<DriveMedium> {
  let transport: SgTransport | undefined;
  try {
    transport = await SgTransport.open(devicePath);
    return await DriveMedium.open(transport);
  } catch (error) {
    await transport?.close().catch(() => undefined);
    throw driveCliError(error);
  }
}

/** Why a writable mount of this medium is impossible, or undefined when a session can be added. */
export function readOnlyReason(medium: DriveMedium, transportReadOnly = false): string | undefined {
  if (transportReadOnly) return `${medium.description} was opened read-only (no write permission on the device)`;
  if (medium.state.appendable) return undefined;
  return `${medium.description}: ${describeDriveState(medium.state)}; mounting read-only`;
}
