// `discfs mirror SRC MOUNTPOINT [--once]`: keeps a writable discfs mount identical to a local folder, so the next
// commit records exactly what changed (incremental backup). Runs in this process, never in the daemon.

import fs from 'node:fs';
import path from 'node:path';
import chokidar from 'chokidar';
import type { CommandModule } from 'yargs';
import { findMount } from '../../daemon/mountpoint';
import { CliError } from '../exit-codes';
import { syncOnce, type Snapshot, type SyncCounts } from '../mirror-sync';
import { isDiscfsMount } from './unmount';

interface MirrorArgs {
  src: string;
  mountpoint: string;
  once?: boolean;
  interval?: number;
  quiet?: boolean;
}

/** Events arriving within this quiet time are handled by one pass (an editor's save is several events). */
const SETTLE_MS = 250;

function emptyCounts(): SyncCounts {
  return { added: 0, changed: 0, deleted: 0, renamed: 0, linked: 0, skipped: [] };
}

function describeCounts(c: SyncCounts): string {
  const skipped = c.skipped.length ? `; skipped ${c.skipped.length} special file(s): ${c.skipped.slice(0, 3).join(', ')}` : '';
  return `${c.added} added, ${c.changed} changed, ${c.deleted} deleted, ${c.renamed} renamed, ${c.linked} linked${skipped}`;
}

async function checkTargets(src: string, mnt: string): Promise<void> {
  if (!fs.existsSync(src) || !fs.statSync(src).isDirectory()) throw new CliError('sourceMissing', `${src} is not a directory`);
  const m = await findMount(mnt);
  if (!m || !isDiscfsMount(m.fstype) || path.resolve(m.mountpoint) !== mnt) throw new CliError('notMounted', `${mnt} is not a discfs mount`);
  if (m.mountOptions.includes('ro')) throw new CliError('usage', `${mnt} is mounted read-only: mirror needs a writable mount`);
  if (src === mnt || src.startsWith(`${mnt}/`) || mnt.startsWith(`${src}/`)) throw new CliError('usage', `${src} and ${mnt} must not contain each other`);
}

/** Watches SRC; every burst of events (and every --interval seconds, for chmod which chokidar misses) runs a pass. */
function watch(src: string, mnt: string, intervalSec: number, say: (m: string) => void): Promise<void> {
  let prev: Snapshot | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;
  const pass = () => {
    if (running) return void (again = true);
    running = true;
    try {
      const counts = emptyCounts();
      prev = syncOnce(src, mnt, prev, counts);
      if (counts.added + counts.changed + counts.deleted + counts.renamed + counts.linked > 0) say(`synced: ${describeCounts(counts)}`);
    } catch (e) {
      say(`pass failed (retrying at the next change): ${(e as Error).message}`);
    } finally {
      running = false;
    }
    if (again) {
      again = false;
      schedule();
    }
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(pass, SETTLE_MS);
  };
  pass();
  const watcher = chokidar.watch(src, { ignoreInitial: true, followSymlinks: false, alwaysStat: false });
  watcher.on('all', schedule);
  const rescan = setInterval(pass, intervalSec * 1000);
  say(`watching ${src} -> ${mnt} (Ctrl-C stops)`);
  return new Promise((resolve) => {
    const stop = () => {
      clearInterval(rescan);
      clearTimeout(timer);
      void watcher.close().then(() => {
        // A last pass, so nothing seen before the signal is left out.
        pass();
        resolve();
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export const mirrorCommand: CommandModule<object, MirrorArgs> = {
  command: 'mirror <src> <mountpoint>',
  describe: 'keep a writable discfs mount identical to a local folder (content, mode, mtime, links)',
  builder: (y) =>
    y
      .positional('src', { type: 'string', demandOption: true, describe: 'the local folder to copy from' })
      .positional('mountpoint', { type: 'string', demandOption: true, describe: 'a writable discfs mount' })
      .option('once', { type: 'boolean', describe: 'sync once and exit' })
      .option('interval', { type: 'number', default: 30, describe: 'seconds between full rescans (chmod alone raises no event)' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'print nothing but errors' })
      .example('$0 mirror ~/photos ~/disc --once && $0 unmount ~/disc', 'incremental backup of ~/photos to the disc')
      .example('$0 mirror ~/photos ~/disc', 'follow changes until Ctrl-C') as never,
  handler: async (args) => {
    const src = path.resolve(args.src);
    const mnt = path.resolve(args.mountpoint);
    await checkTargets(src, mnt);
    const say = args.quiet ? () => undefined : (m: string) => process.stdout.write(`${m}\n`);
    if (args.once) {
      const counts = emptyCounts();
      syncOnce(src, mnt, undefined, counts);
      say(`synced: ${describeCounts(counts)}`);
      return;
    }
    const interval = args.interval ?? 30;
    if (!(interval > 0)) throw new CliError('usage', `--interval wants a positive number of seconds, got ${interval}`);
    await watch(src, mnt, interval, say);
  },
};
