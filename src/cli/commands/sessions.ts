// `discfs sessions SOURCE [--json]`: the sessions of a medium, oldest first.

import type { CommandModule } from 'yargs';
import { listSessions, type SessionSummary } from '../../tree/iso-volume';
import { explainNoFileSystem, openSource } from '../open-source';
import { parseSessionStarts, withMediumOptions, type MediumArgs } from '../session-options';
import { formatTable } from '../table';

interface SessionsArgs extends MediumArgs {
  source: string;
  json?: boolean;
}

function isoDate(s: SessionSummary): string {
  return s.creationDate ? new Date(s.creationDate.sec * 1000).toISOString().replace('.000Z', 'Z') : '-';
}

export function renderSessions(list: readonly SessionSummary[]): string {
  const rows = list.map((s) => [
    String(s.number),
    String(s.startLba),
    String(s.blocks),
    `${((s.blocks * 2048) / 1e6).toFixed(1)} MB`,
    s.volumeId || '-',
    isoDate(s),
    s.fileSystems.join(','),
  ]);
  return formatTable(['#', 'start', 'blocks', 'size', 'volume id', 'created', 'file systems'], rows, [0, 1, 2, 3]);
}

export const sessionsCommand: CommandModule<object, SessionsArgs> = {
  command: 'sessions <source>',
  describe: 'list the sessions of a disc or image',
  builder: (y) =>
    withMediumOptions(y.positional('source', { type: 'string', demandOption: true, describe: 'image file or device' }))
      .option('json', { type: 'boolean', describe: 'print JSON instead of a table' })
      .example('$0 sessions backup.iso', 'table of sessions')
      .example('$0 sessions --json backup.iso', 'the same as JSON')
      .example('$0 sessions --sessions 0,3200 stack.iso', 'a genisoimage -M stack') as never,
  handler: async (args) => {
    const medium = await openSource(args.source);
    try {
      const list = await listSessions(medium, { sessionStarts: parseSessionStarts(args.sessions) }).catch((e) => explainNoFileSystem(medium, e));
      const out = args.json
        ? JSON.stringify(list.map((s) => ({ ...s, creationDate: s.creationDate ? isoDate(s) : null })), null, 2)
        : renderSessions(list);
      process.stdout.write(`${out}\n`);
    } finally {
      await medium.close();
    }
  },
};
