// `discfs verify SOURCE [--session N] [--json]`: re-reads every file and compares it with the session's stored SHA-256s.

import type { CommandModule } from 'yargs';
import { verifyStoredChecksums, type StoredChecksumReport } from '../../engine/stored-checksums';
import { CliError } from '../exit-codes';
import { explainNoFileSystem, openSource } from '../open-source';
import { parseSessionStarts, withMediumOptions, type MediumArgs } from '../session-options';

interface VerifyArgs extends MediumArgs {
  source: string;
  session?: number;
  json?: boolean;
}

export function renderVerifyReport(r: StoredChecksumReport): string {
  const lines = [`session ${r.session}: ${r.checked} files checked, ${r.mismatches.length} differ, ${r.unreadable.length} unreadable, ${r.unchecked} without a stored checksum`];
  if (!r.hasTable) lines.push('this session has no discfs checksum table (written by another tool): nothing to compare');
  for (const m of r.mismatches) lines.push(`DIFFERS ${m}`);
  for (const u of r.unreadable) lines.push(`UNREADABLE ${u}`);
  return lines.join('\n');
}

export const verifyCommand: CommandModule<object, VerifyArgs> = {
  command: 'verify <source>',
  describe: 'check the files of a session against the SHA-256 checksums discfs stored with it',
  builder: (y) =>
    withMediumOptions(y.positional('source', { type: 'string', demandOption: true, describe: 'image file or device' }))
      .option('session', { type: 'number', describe: 'session number (default: the newest)' })
      .option('json', { type: 'boolean', describe: 'print the report as JSON' })
      .example('$0 verify backup.iso', 'check the newest session')
      .example('$0 verify --session 2 backup.iso', 'check session 2') as never,
  handler: async (args) => {
    const medium = await openSource(args.source);
    try {
      const report = await verifyStoredChecksums(medium, { session: args.session, sessionStarts: parseSessionStarts(args.sessions) }).catch((e) =>
        explainNoFileSystem(medium, e),
      );
      process.stdout.write(`${args.json ? JSON.stringify(report, null, 2) : renderVerifyReport(report)}\n`);
      if (report.mismatches.length + report.unreadable.length > 0) {
        throw new CliError('verifyFailed', `${report.mismatches.length + report.unreadable.length} files of session ${report.session} fail verification`);
      }
    } finally {
      await medium.close();
    }
  },
};
