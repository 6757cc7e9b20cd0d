// discfs command line (yargs): parses arguments, runs one command, turns failures into one line + an exit code.

import yargs from 'yargs';
import { CliError, EXIT, EXIT_DESCRIPTIONS, type ExitName } from './exit-codes';
import { describeError } from './describe-error';
import { mountCommand } from './commands/mount';
import { sessionsCommand } from './commands/sessions';
import { unmountCommand } from './commands/unmount';
import { verifyCommand } from './commands/verify';
import { statusCommand } from './commands/status';
import { infoCommand } from './commands/info';
import { mirrorCommand } from './commands/mirror';
import { closeSessionCommand } from './commands/close-session';

const VERSION: string = (require('../../../package.json') as { version: string }).version;

function exitCodeTable(): string {
  return (Object.keys(EXIT) as ExitName[]).map((k) => `  ${String(EXIT[k]).padStart(3)}  ${EXIT_DESCRIPTIONS[k]}`).join('\n');
}

export function buildParser(argv: string[]) {
  return yargs(argv)
    .scriptName('discfs')
    .usage('$0 <command> [options]\n\nMount an optical disc or ISO image with a writable overlay; unmount commits a new session.')
    .command(mountCommand)
    .command(unmountCommand)
    .command(sessionsCommand)
    .command(verifyCommand)
    .command(statusCommand)
    .command(infoCommand)
    .command(mirrorCommand)
    .command(closeSessionCommand)
    .completion('completion', 'print a bash/zsh completion script')
    .demandCommand(1, 'name a command')
    .strict()
    .version(VERSION)
    .alias('h', 'help')
    .epilog(`Exit codes:\n${exitCodeTable()}`)
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      throw new CliError('usage', msg);
    });
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildParser(argv).parseAsync();
  } catch (e) {
    const { exit, message } = describeError(e);
    process.stderr.write(`discfs: ${message}${exit === 'usage' ? ' (see discfs --help)' : ''}\n`);
    if (exit === 'internal' && e instanceof Error && e.stack && process.env.DISCFS_DEBUG) process.stderr.write(`${e.stack}\n`);
    process.exitCode = EXIT[exit];
  }
}
