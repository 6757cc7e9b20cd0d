// `discfs info` on a drive (/dev/sr*, /dev/sg*): INQUIRY (SPC-4 6.4.2), current profile (MMC-5 5.3.1), disc and track
// information (MMC-5 6.22, 6.27) and the ISO 9660 sessions, gathered over any Transport so the drive model can stand in.

import { describeDriveState, type DriveState } from '../drive/drive';
import { DriveMedium } from '../drive/drive-medium';
import { driveCliError } from '../drive/open-drive';
import { inquiry, type InquiryData } from '../mmc/inquiry';
import { SgTransport } from '../mmc/sg-transport';
import type { Transport } from '../mmc/transport';
import { listSessions, type SessionSummary } from '../tree/iso-volume';
import { DiscfsError } from '../util/errors';

/** What `discfs info` prints for a drive. */
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
  /** Another session can be written (undefined without a medium). */
  appendable?: boolean;
  /** Why not, when `appendable` is false. */
  notAppendableReason?: string;
  /** Where the next session would start on write-once media. */
  nextWritableAddress?: number;
  /** An interrupted burn: a track or session left open (close it with `discfs close-session`). */
  interruptedBurn?: { track: number; session: number; startLba: number; blocks: number };
  /** The ISO 9660 sessions, as `discfs sessions` lists them. */
  sessions?: SessionSummary[];
  /** Recorded sessions that hold no ISO 9660 volume (start LBAs). */
  foreignSessionStarts?: number[];
  /** One line from the drive state, as mount messages say it. */
  summary?: string;
}

export function isDrivePath(source: string, isDevice: boolean): boolean {
  return isDevice || /^\/dev\/(sr|sg|scd)\d/.test(source);
}

function statusOf(s: DriveState): DriveInfo['discStatus'] {
  if (s.discStatus === 'blank' || s.discStatus === 'appendable' || s.discStatus === 'complete') return s.discStatus;
  return s.discStatus === 'no-information' ? undefined : 'other';
}

function sessionsEnd(sessions: readonly SessionSummary[]): number {
  return sessions.reduce((end, s) => Math.max(end, s.startLba + s.blocks), 0);
}

/** Capacity and free space: write-once media from the invisible track, overwritable ones from the formatted size. */
function space(state: DriveState, sessions: readonly SessionSummary[]): Pick<DriveInfo, 'capacityBlocks' | 'freeBlocks'> {
  if (state.procedure === 'overwrite') {
    return { capacityBlocks: state.readableBlocks, freeBlocks: Math.max(0, state.readableBlocks - sessionsEnd(sessions)) };
  }
  const used = state.nextWritableAddress ?? state.readableBlocks;
  return { capacityBlocks: used + state.freeBlocks, freeBlocks: state.freeBlocks };
}

async function mediumFacts(t: Transport): Promise<Partial<DriveInfo>> {
  let medium: DriveMedium;
  try {
    medium = await DriveMedium.open(t, { ownsTransport: false });
  } catch (e) {
    if (e instanceof DiscfsError && e.code === 'DRIVE_NO_MEDIUM') return {};
    throw e;
  }
  const state = medium.state;
  // A disc whose sessions hold no ISO 9660 volume still has a drive state worth showing.
  const sessions = medium.blocks > 0 ? await listSessions(medium, { sessionStarts: medium.sessionStarts }).catch(() => []) : [];
  await medium.close();
  return {
    mediaType: state.profile.name,
    discStatus: statusOf(state),
    ...space(state, sessions),
    appendable: state.appendable,
    notAppendableReason: state.notAppendableReason,
    nextWritableAddress: state.nextWritableAddress,
    interruptedBurn: state.incomplete,
    sessions,
    foreignSessionStarts: medium.foreignSessions.map((s) => s.startLba),
    summary: describeDriveState(state),
  };
}

/** Everything `discfs info` says about the drive behind `t`; `identity` skips the INQUIRY when the opener did it. */
export async function inspectDriveInfo(t: Transport, identity?: InquiryData): Promise<DriveInfo> {
  const id = identity ?? (await inquiry(t));
  const facts = await mediumFacts(t);
  return { vendor: id.vendor, model: id.product, revision: id.revision || undefined, ...facts };
}

/** Opens the real device (shared, not O_EXCL: `info` must work next to a mount) and inspects it. */
export async function describeDrive(device: string): Promise<DriveInfo> {
  let transport: SgTransport | undefined;
  try {
    transport = await SgTransport.open(device);
    return await inspectDriveInfo(transport, transport.identity);
  } catch (e) {
    throw driveCliError(e);
  } finally {
    await transport?.close().catch(() => undefined);
  }
}
