// `discfs unmount MOUNTPOINT`: end a discfs mount (writable mounts commit their overlay first).

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { CliError } from '../exit-codes';
import { findMount } from '../../daemon/mountpoint';

interface UnmountArgs {
  mountpoint: string;
}

export function isDiscfsMount(fstype: string, source: string): boolean {
  return fstype === 'fuse.discfs' || fstype === 'fuse' && source.startsWith('discfs') || source === 'discfs';
}

/** fusermount -u; a busy mount (open files, a shell inside) is reported, never lazily detached. */
export function fuseUnmount(mountpoint: string): void {
  const r = spawnSync('fusermount', ['-u', mountpoint], { encoding: 'utf8' });
  if (r.error) throw new CliError('fuseUnavailable', `cannot run fusermount: ${r.error.message}`);
  if (r.status !== 0) {
    const msg = (r.stderr || '').trim();
    if (/busy/i.test(msg)) throw new CliError('busy', `${mountpoint} is busy: close the files and shells open on it, then unmount again`);
    throw new CliError('internal', `fusermount -u ${mountpoint}: ${msg || `exit ${r.status}`}`);
  }
}

export const unmountCommand: CommandModule<object, UnmountArgs> = {
  command: 'unmount <mountpoint>',
  aliases: ['umount'],
  describe: 'unmount a discfs mount',
  builder: (y) =>
    y
      .positional('mountpoint', { type: 'string', demandOption: true })
      .example('$0 unmount ~/disc', 'unmount (a writable mount commits a new session)') as never,
  handler: async (args) => {
    const mnt = path.resolve(args.mountpoint);
    const m = await findMount(mnt);
    if (!m || !isDiscfsMount(m.fstype, m.source)) throw new CliError('notMounted', `${mnt} is not a discfs mount`);
    fuseUnmount(mnt);
  },
};
