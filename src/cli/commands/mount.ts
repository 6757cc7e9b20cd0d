// `discfs mount SOURCE MOUNTPOINT`: show a session of a disc or image through FUSE.

import path from 'node:path';
import type { CommandModule } from 'yargs';
import { CliError } from '../exit-codes';
import { parseSessionStarts, withMediumOptions, type MediumArgs } from '../session-options';
import { runMount, type MountRequest } from '../mount-runner';
import type { MediaKind } from '../../engine/growing-image';
import { confirm } from '../confirm';

export interface MountArgs extends MediumArgs {
  source: string;
  mountpoint: string;
  readOnly?: boolean;
  session?: number;
  foreground?: boolean;
  o?: string[];
  readyFd?: number;
  staging?: string;
  keepOwners?: boolean;
  create?: boolean;
  media?: MediaKind;
  close?: boolean;
  eject?: boolean;
  speed?: number;
  yes?: boolean;
}

/** `--speed` in kB/s (1x DVD = 1385, 1x CD = 176); the drive picks the nearest speed it has. */
export function parseSpeed(speed: number | undefined): number | undefined {
  if (speed === undefined) return undefined;
  if (!Number.isSafeInteger(speed) || speed <= 0 || speed > 0xffff) throw new CliError('usage', `--speed wants kB/s between 1 and 65535, got ${speed}`);
  return speed;
}

/** `--close` makes the disc read-only for good: asked on a terminal, `--yes` otherwise (the daemon never asks). */
export async function confirmClose(args: { close?: boolean; yes?: boolean; readyFd?: number }, what: string): Promise<void> {
  if (!args.close || args.yes || args.readyFd !== undefined) return;
  if (!(await confirm(`finalise the disc in ${what} after this session (no session can be added afterwards)?`))) throw new CliError('aborted', 'not finalising: run without --close');
}

export function mountRequest(args: MountArgs): MountRequest {
  if (args.session !== undefined && (!Number.isSafeInteger(args.session) || args.session < 1)) {
    throw new CliError('usage', `--session wants a session number (1 = oldest), got ${args.session}`);
  }
  return {
    source: path.resolve(args.source),
    mountpoint: path.resolve(args.mountpoint),
    readOnly: args.readOnly === true || args.session !== undefined,
    session: args.session,
    sessionStarts: parseSessionStarts(args.sessions),
    view: args.view,
    options: (args.o ?? []).flatMap((o) => o.split(',')).filter((o) => o !== ''),
    staging: args.staging ? path.resolve(args.staging) : undefined,
    keepOwners: args.keepOwners === true,
    create: args.create === true,
    media: args.media,
    burn: { finalize: args.close === true, eject: args.eject === true, speedKBps: parseSpeed(args.speed) },
  };
}

export const mountCommand: CommandModule<object, MountArgs> = {
  command: 'mount <source> <mountpoint>',
  describe: 'mount a disc or image (newest session, writable overlay on top)',
  builder: (y) =>
    withMediumOptions(
      y
        .positional('source', { type: 'string', demandOption: true, describe: 'image file or optical drive' })
        .positional('mountpoint', { type: 'string', demandOption: true, describe: 'an empty directory' }),
    )
      .option('read-only', { alias: 'r', type: 'boolean', describe: 'no overlay: show the session as it is' })
      .option('session', { type: 'number', describe: 'show session N (1 = oldest) instead of the newest; implies --read-only' })
      .option('foreground', { alias: 'f', type: 'boolean', describe: 'run the daemon in this process (Ctrl-C unmounts)' })
      .option('o', { type: 'string', array: true, nargs: 1, describe: 'FUSE mount options (e.g. -o allow_other)' })
      .option('staging', { type: 'string', describe: 'staging directory for the overlay (default: under $XDG_STATE_HOME/discfs)' })
      .option('keep-owners', { type: 'boolean', describe: 'show the uid/gid recorded on the disc instead of yours' })
      .option('create', { type: 'boolean', describe: 'create the image file as a blank disc if it does not exist' })
      .option('media', { choices: ['cd', 'dvd', 'dvd-dl', 'bd'] as const, describe: 'the disc size an image stands for (default dvd: 4.7 GB); implies --create' })
      .option('close', { type: 'boolean', describe: 'drives: finalise the disc when the unmount burns (asks; --yes to skip)' })
      .option('eject', { type: 'boolean', describe: 'drives: eject after the burn is verified' })
      .option('speed', { type: 'number', describe: 'drives: write speed in kB/s (1x DVD = 1385, 1x CD = 176)' })
      .option('yes', { alias: 'y', type: 'boolean', describe: 'do not ask for confirmation (--close)' })
      .option('ready-fd', { type: 'number', hidden: true })
      .example('$0 mount backup.iso ~/disc', 'mount the newest session with a writable overlay')
      .example('$0 mount --read-only --session 1 backup.iso ~/disc', 'look at the oldest session')
      .example('$0 mount --sessions 0,3200 stack.iso ~/disc', 'an image stacked with genisoimage -M') as never,
  handler: async (args) => {
    await confirmClose(args, args.source);
    await runMount(mountRequest(args), { foreground: args.foreground === true, readyFd: args.readyFd, argv: process.argv.slice(2) });
  },
};
