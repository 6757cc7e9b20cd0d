// `discfs status [MOUNTPOINT|SOURCE] [--json]`: staged changes, the pending session, free space, the last commit.

import fs from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { findMount } from '../../daemon/mountpoint';
import type { MediaKind } from '../../engine/growing-image';
import { CliError } from '../exit-codes';
import { allMounts, askDaemon, inspectSource, type StatusReport } from '../staged-status';
import { isDiscfsMount } from './unmount';

interface StatusArgs {
  target?: string;
  json?: boolean;
  media?: MediaKind;
}

const MB = 1e6;
const BLOCK = 2048;

function mb(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / MB).toFixed(1)} MB`;
}

export function renderStatus(r: StatusReport): string {
  const where = r.mountpoint ? `mounted on ${r.mountpoint}${r.readOnly ? ' (read-only)' : ''}` : r.mounted ? 'in use by another discfs daemon' : 'not mounted';
  const lines = [`${r.source}: ${where}${r.committing ? ', committing now' : ''}`];
  const s = r.staged;
  if (s) {
    lines.push(`staged: ${s.added} added, ${s.changed} changed, ${s.deleted} deleted, ${s.renamed} renamed (${mb(s.bytes)} of new data)`);
    lines.push(`pending session ${s.sessionNumber}: ${s.pendingBlocks} blocks (${mb(s.pendingBlocks * BLOCK)}); free after it: ${s.freeBlocksAfter} blocks (${mb(s.freeBlocksAfter * BLOCK)})`);
    if (!r.mounted) lines.push(`staged changes wait in ${r.stagingDir}: mount ${r.source} to commit or discard them`);
  } else if (!r.readOnly && !r.committing) lines.push('staged: nothing');
  const last = r.lastResult;
  lines.push(last ? `last commit (${last.at}): ${last.ok ? '' : 'FAILED: '}${last.message}` : 'last commit: none recorded');
  if (r.log ?? last?.log) lines.push(`log: ${r.log ?? last?.log}`);
  return lines.join('\n');
}

async function statusOf(target: string, media: MediaKind | undefined): Promise<StatusReport> {
  const abs = path.resolve(target);
  if (fs.existsSync(abs) && fs.statSync(abs).isDirectory()) {
    const m = await findMount(abs);
    if (!m || !isDiscfsMount(m.fstype)) throw new CliError('notMounted', `${abs} is not a discfs mount (name a mountpoint or an image)`);
    const r = await askDaemon(abs);
    if (!r) throw new CliError('notMounted', `no discfs daemon answers for ${abs}`);
    return r;
  }
  return inspectSource(abs, media);
}

export const statusCommand: CommandModule<object, StatusArgs> = {
  command: 'status [target]',
  describe: 'staged changes, pending session size, free space and the last commit of a mount or image',
  builder: (y) =>
    y
      .positional('target', { type: 'string', describe: 'a discfs mountpoint or an image (default: every mount)' })
      .option('json', { type: 'boolean', describe: 'print JSON' })
      .option('media', { choices: ['cd', 'dvd', 'dvd-dl', 'bd'] as const, describe: 'for an unmounted image: the disc size it stands for (default dvd)' })
      .example('$0 status ~/disc', 'what the next commit of this mount would write')
      .example('$0 status backup.iso', 'whether staged changes wait for backup.iso, and its last commit')
      .example('$0 status --json', 'every mount, as JSON') as never,
  handler: async (args) => {
    const reports = args.target ? [await statusOf(args.target, args.media)] : await allMounts();
    if (args.json) process.stdout.write(`${JSON.stringify(args.target ? reports[0] : reports, null, 2)}\n`);
    else process.stdout.write(reports.length ? `${reports.map(renderStatus).join('\n\n')}\n` : 'no discfs mounts\n');
  },
};
