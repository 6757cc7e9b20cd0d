// Options shared by commands that read a medium: --sessions LBA,... and --view.

import type { Argv } from 'yargs';
import { CliError } from './exit-codes';

export interface MediumArgs {
  sessions?: string;
  view?: 'rr' | 'joliet' | 'iso9660';
}

export function withMediumOptions<T>(y: Argv<T>): Argv<T & MediumArgs> {
  return y
    .option('sessions', {
      type: 'string',
      describe: 'session start LBAs, oldest first, for images stacked with genisoimage -M/-C (no emulated TOC)',
    })
    .option('view', { choices: ['rr', 'joliet', 'iso9660'] as const, describe: 'force a directory tree (default: Rock Ridge, else Joliet, else ISO 9660)' }) as Argv<T & MediumArgs>;
}

/** Parses "0,3200,6432" into session start LBAs. */
export function parseSessionStarts(value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',').map((s) => s.trim());
  const starts = parts.map(Number);
  if (parts.some((p) => !/^\d+$/.test(p)) || starts.some((n) => !Number.isSafeInteger(n))) {
    throw new CliError('usage', `--sessions wants LBAs separated by commas, got "${value}"`);
  }
  for (let i = 1; i < starts.length; i++) {
    if (starts[i] <= starts[i - 1]) throw new CliError('usage', `--sessions must be in increasing order, got "${value}"`);
  }
  return starts;
}
