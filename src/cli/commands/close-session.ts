// `discfs close-session DEVICE`: closes the track and session an interrupted burn left open, so the disc is appendable again.

import type { CommandModule } from 'yargs';
import { describeDriveState } from '../../drive/drive';
import { driveCliError } from '../../drive/open-drive';
import { closeIncompleteSession } from '../../drive/session-writer';
import { SgTransport } from '../../mmc/sg-transport';
import { CliError } from '../exit-codes';

interface CloseSessionArgs {
  device: string;
}

export const closeSessionCommand: CommandModule<object, CloseSessionArgs> = {
  command: 'close-session <device>',
  describe: 'close the track and session an interrupted burn left open (the older sessions stay)',
  builder: (y) =>
    y
      .positional('device', { type: 'string', demandOption: true, describe: 'optical drive (/dev/sr0, /dev/sg1)' })
      .example('$0 close-session /dev/sr0', 'after a burn was interrupted (power loss, kill)') as never,
  handler: async (args) => {
    // O_EXCL: nobody may read or mount the drive while its session is being closed.
    const transport = await SgTransport.open(args.device, { exclusive: true }).catch((e: unknown) => {
      throw driveCliError(e);
    });
    try {
      const before = await closeIncompleteSession({ transport, sleep: undefined }).catch((e: unknown) => {
        throw new CliError('commitFailed', `${args.device}: closing the open session failed: ${(e as Error).message}`, { cause: e });
      });
      process.stdout.write(`${args.device}: ${describeDriveState(before)}\n`);
    } finally {
      await transport.close();
    }
  },
};
