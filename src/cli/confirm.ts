// Asks yes/no on a terminal; without a terminal it never waits and the answer is "no" (use --yes).

import readline from 'node:readline/promises';
import { CliError } from './exit-codes';

export async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) throw new CliError('usage', `${question} needs confirmation: add --yes when not on a terminal`);
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}
