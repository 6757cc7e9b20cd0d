// `discfs info SOURCE [--json]`: what a medium is (image size, sessions, the disc it stands for, free blocks).

import fs from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { capacityBlocks, inspectImage, MEDIA_CAPACITY_BLOCKS, type MediaKind } from '../../engine/growing-image';
import { listSessions, type SessionSummary } from '../../tree/iso-volume';
import { CliError } from '../exit-codes';
import { describeDrive, isDrivePath, type DriveInfo } from '../drive-info';
import { explainNoFileSystem, openSource } from '../open-source';
import { renderSessions } from './sessions';

interface InfoArgs {
  source: string;
  json?: boolean;
  media?: MediaKind;
}

export interface ImageInfo {
  source: string;
  kind: 'image';
  bytes: number;
  /** The disc the image stands for (sets the capacity). */
  media: MediaKind;
  capacityBlocks: number;
  /** Blocks before the next session could start, from the capacity. */
  freeBlocks: number;
  nextSessionLba: number;
  /** An image whose only session starts at LBA 0 cannot grow (plain genisoimage output). */
  growable: boolean;
  sessions: SessionSummary[];
  drive?: DriveInfo;
}

const BLOCK = 2048;

async function imageInfo(source: string, media: MediaKind): Promise<ImageInfo> {
  const medium = await openSource(source);
  let sessions: SessionSummary[] = [];
  try {
    if (medium.blocks > 0) sessions = await listSessions(medium).catch((e) => explainNoFileSystem(medium, e));
  } finally {
    await medium.close();
  }
  const bytes = fs.statSync(source).size;
  const state = await inspectImage(source).catch(() => undefined);
  const capacity = state ? capacityBlocks(media, state) : Math.max(MEDIA_CAPACITY_BLOCKS[media], Math.ceil(bytes / BLOCK));
  const next = state?.nextStart ?? Math.ceil(bytes / BLOCK);
  return { source, kind: 'image', bytes, media, capacityBlocks: capacity, freeBlocks: Math.max(0, capacity - next), nextSessionLba: next, growable: state !== undefined, sessions };
}

function sizeOf(blocks: number): string {
  const bytes = blocks * BLOCK;
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

export function renderInfo(i: ImageInfo): string {
  const lines = [
    `source:        ${i.source} (image file, ${i.bytes} bytes)`,
    `stands for:    ${i.media} (${i.capacityBlocks} blocks, ${sizeOf(i.capacityBlocks)})`,
    `sessions:      ${i.sessions.length}${i.growable ? `; the next starts at LBA ${i.nextSessionLba}` : '; cannot grow (its session starts at LBA 0)'}`,
    `free:          ${i.freeBlocks} blocks (${sizeOf(i.freeBlocks)})`,
  ];
  if (i.sessions.length) lines.push('', renderSessions(i.sessions));
  return lines.join('\n');
}

function statusLine(d: DriveInfo): string {
  if (d.appendable === undefined) return 'no medium';
  if (d.appendable) return `appendable${d.nextWritableAddress !== undefined ? `; the next session starts at LBA ${d.nextWritableAddress}` : ''}`;
  return `cannot append: ${d.notAppendableReason ?? 'unknown reason'}`;
}

export function renderDrive(device: string, d: DriveInfo): string {
  const lines = [
    `drive:         ${device}: ${d.vendor} ${d.model}${d.revision ? ` ${d.revision}` : ''}`,
    `media:         ${d.mediaType ?? 'none'}${d.discStatus ? ` (${d.discStatus})` : ''}`,
  ];
  if (d.mediaType !== undefined) {
    lines.push(`sessions:      ${d.sessions?.length ?? 0}${d.foreignSessionStarts?.length ? ` (+${d.foreignSessionStarts.length} without ISO 9660)` : ''}`);
    if (d.capacityBlocks !== undefined) lines.push(`capacity:      ${d.capacityBlocks} blocks (${sizeOf(d.capacityBlocks)})`);
    if (d.freeBlocks !== undefined) lines.push(`free:          ${d.freeBlocks} blocks (${sizeOf(d.freeBlocks)})`);
    lines.push(`append:        ${statusLine(d)}`);
    const b = d.interruptedBurn;
    if (b) {
      lines.push(`interrupted:   track ${b.track} of session ${b.session} (LBA ${b.startLba}, ${b.blocks} blocks) was never closed; close it with \`discfs close-session ${device}\``);
    }
  }
  if (d.sessions?.length) lines.push('', renderSessions(d.sessions));
  return lines.join('\n');
}

function isoSessions(sessions: readonly SessionSummary[]): object[] {
  return sessions.map((s) => ({ ...s, creationDate: s.creationDate ? new Date(s.creationDate.sec * 1000).toISOString() : null }));
}

export const infoCommand: CommandModule<object, InfoArgs> = {
  command: 'info <source>',
  describe: 'what a disc or image is: size, sessions, capacity and free blocks',
  builder: (y) =>
    y
      .positional('source', { type: 'string', demandOption: true, describe: 'image file or optical drive' })
      .option('json', { type: 'boolean', describe: 'print JSON' })
      .option('media', { choices: ['cd', 'dvd', 'dvd-dl', 'bd'] as const, default: 'dvd' as MediaKind, describe: 'for an image: the disc it stands for' })
      .example('$0 info backup.iso', 'sessions and free space of an image')
      .example('$0 info --media cd --json backup.iso', 'as JSON, for a CD-R') as never,
  handler: async (args) => {
    const source = path.resolve(args.source);
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(source);
    } catch {
      st = undefined;
    }
    if (isDrivePath(source, st !== undefined && (st.isCharacterDevice() || st.isBlockDevice()))) {
      const d = await describeDrive(source);
      const json = { source, kind: 'drive', drive: { ...d, sessions: isoSessions(d.sessions ?? []) } };
      process.stdout.write(`${args.json ? JSON.stringify(json, null, 2) : renderDrive(source, d)}\n`);
      return;
    }
    if (st?.isDirectory()) throw new CliError('sourceMissing', `${source} is a directory, not an image file or device`);
    const info = await imageInfo(source, args.media ?? 'dvd');
    const json = { ...info, sessions: isoSessions(info.sessions) };
    process.stdout.write(`${args.json ? JSON.stringify(json, null, 2) : renderInfo(info)}\n`);
  },
};
