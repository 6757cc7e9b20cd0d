// READ TOC/PMA/ATIP formats 0000b TOC, 0001b session info, 0010b full TOC (MMC-5 6.26.2, 6.26.3.2-6.26.3.4).
import { cdb, putU16, putU8, ReplyView } from './bytes';
import { runCommand } from './command';
import { OPCODE } from './opcodes';
import { Transport } from './transport';

export const TOC_FORMAT = { toc: 0, sessionInfo: 1, fullToc: 2 } as const;
export type TocFormat = (typeof TOC_FORMAT)[keyof typeof TOC_FORMAT];
/** Track number AAh stands for the lead-out in TOC descriptors. */
export const LEAD_OUT_TRACK = 0xaa;
export const TOC_ALLOCATION = 0xfffe;

export interface TocHeader {
  /** Format 0: first/last track; formats 1 and 2: first/last complete session. */
  readonly first: number;
  readonly last: number;
}

export interface TocTrack {
  readonly adr: number;
  readonly control: number;
  readonly track: number;
  /** LBA (or packed MSF when requested with msf=true: minute<<16 | second<<8 | frame). */
  readonly address: number;
}

export interface TocEntry {
  readonly session: number;
  readonly adr: number;
  readonly control: number;
  readonly tno: number;
  readonly point: number;
  readonly atime: { readonly minute: number; readonly second: number; readonly frame: number };
  readonly ptime: { readonly minute: number; readonly second: number; readonly frame: number };
}

export function buildReadToc(format: TocFormat, trackOrSession = 0, options: { msf?: boolean; allocation?: number } = {}): Buffer {
  const b = cdb(OPCODE.readTocPmaAtip, 10);
  if (options.msf) b[1] = 0x02;
  b[2] = format;
  putU8(b, 6, trackOrSession, 'track/session number');
  putU16(b, 7, options.allocation ?? TOC_ALLOCATION, 'allocation length');
  return b;
}

function tocView(reply: Buffer): ReplyView {
  const v = ReplyView.byLengthField('READ TOC/PMA/ATIP', reply, 0, 2);
  v.require(4, 'TOC header');
  return v;
}

/** Format 0 and 1 descriptors are 8 bytes each; a trailing partial descriptor is ignored (tgt replies 2 bytes short). */
export function parseTocTracks(reply: Buffer): { header: TocHeader; tracks: TocTrack[] } {
  const v = tocView(reply);
  const tracks: TocTrack[] = [];
  for (let p = 4; v.has(p, 8); p += 8) {
    tracks.push({ adr: v.bits(p + 1, 4, 4), control: v.bits(p + 1, 0, 4), track: v.u8(p + 2), address: v.u32(p + 4) });
  }
  return { header: { first: v.u8(2), last: v.u8(3) }, tracks };
}

export interface SessionInfo {
  readonly firstCompleteSession: number;
  readonly lastCompleteSession: number;
  /** First track of the last complete session and its start: where the newest volume descriptors live. */
  readonly firstTrackInLastSession?: number;
  readonly lastSessionStart?: number;
}

export function parseSessionInfo(reply: Buffer): SessionInfo {
  const { header, tracks } = parseTocTracks(reply);
  const last = tracks[0];
  return {
    firstCompleteSession: header.first,
    lastCompleteSession: header.last,
    firstTrackInLastSession: last?.track,
    lastSessionStart: last?.address,
  };
}

const FULL_TOC_DESCRIPTOR = 11;

export function parseFullToc(reply: Buffer): { header: TocHeader; entries: TocEntry[] } {
  const v = tocView(reply);
  const entries: TocEntry[] = [];
  for (let p = 4; v.has(p, FULL_TOC_DESCRIPTOR); p += FULL_TOC_DESCRIPTOR) {
    entries.push({
      session: v.u8(p),
      adr: v.bits(p + 1, 4, 4),
      control: v.bits(p + 1, 0, 4),
      tno: v.u8(p + 2),
      point: v.u8(p + 3),
      atime: { minute: v.u8(p + 4), second: v.u8(p + 5), frame: v.u8(p + 6) },
      ptime: { minute: v.u8(p + 8), second: v.u8(p + 9), frame: v.u8(p + 10) },
    });
  }
  return { header: { first: v.u8(2), last: v.u8(3) }, entries };
}

/** MSF to LBA on CD: 75 frames per second, LBA 0 at 00:02:00 (MMC-5 4.2.3.4). */
export function msfToLba(minute: number, second: number, frame: number): number {
  return (minute * 60 + second) * 75 + frame - 150;
}

export async function readToc(t: Transport, trackOrSession = 0): Promise<{ header: TocHeader; tracks: TocTrack[] }> {
  return parseTocTracks(await runCommand(t, { cdb: buildReadToc(TOC_FORMAT.toc, trackOrSession), receive: TOC_ALLOCATION }));
}

export async function readSessionInfo(t: Transport): Promise<SessionInfo> {
  return parseSessionInfo(await runCommand(t, { cdb: buildReadToc(TOC_FORMAT.sessionInfo), receive: 12 }));
}

export async function readFullToc(t: Transport, session = 1): Promise<{ header: TocHeader; entries: TocEntry[] }> {
  return parseFullToc(await runCommand(t, { cdb: buildReadToc(TOC_FORMAT.fullToc, session), receive: TOC_ALLOCATION }));
}
