// `discfs unmount MOUNTPOINT`: end a discfs mount. A writable mount commits its overlay as a new session first;
// the command follows the daemon's progress and returns once the session is written and verified.

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import type { CommitPlan } from '../../commit/commit-overlay';
import { connectEvents, type DaemonConnection, type DaemonEvent, type DaemonRequest } from '../../commit/control';
import { findMount } from '../../daemon/mountpoint';
import { CliError, EXIT } from '../exit-codes';
import { ProgressLine } from '../progress';
import { confirm } from '../confirm';
import { confirmClose, parseSpeed } from './mount';

interface UnmountArgs {
  mountpoint: string;
  json?: boolean;
  dryRun?: boolean;
  discard?: boolean;
  yes?: boolean;
  close?: boolean;
  eject?: boolean;
  speed?: number;
  verify?: 'new' | 'all';
}

/** What `--close/--eject/--speed` change for a drive burn; undefined when none was given. */
function burnRequest(args: UnmountArgs): DaemonRequest | undefined {
  if (args.close === undefined && args.eject === undefined && args.speed === undefined) return undefined;
  return { op: 'burn', finalize: args.close, eject: args.eject, speedKBps: parseSpeed(args.speed) };
}

export function isDiscfsMount(fstype: string): boolean {
  return fstype === 'fuse.discfs';
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

function renderPlan(p: CommitPlan): string {
  const s = p.summary;
  const lines = [`would write session ${p.plan.sessionNumber} at LBA ${p.plan.startLba}: ${s.added} added, ${s.changed} changed, ${s.deleted} deleted, ${s.renamed} renamed`];
  for (const c of p.changes) {
    const from = c.from ? ` (from /${c.from.map((b) => Buffer.from(b).toString('utf8')).join('/')})` : '';
    lines.push(`  ${c.change.padEnd(8)} /${c.path.map((b) => Buffer.from(b).toString('utf8')).join('/')}${from}`);
  }
  lines.push(`data ${p.plan.dataBlocks} blocks, tree ${p.plan.treeBlocks} blocks; free after: ${p.plan.freeBlocksAfter} blocks (${((p.plan.freeBlocksAfter * 2048) / 1e6).toFixed(1)} MB)`);
  return lines.join('\n');
}

/**
 * Ctrl-C while the daemon commits asks it to abort (the image is restored, the overlay kept) instead of killing this
 * command: the daemon is in its own session, so the terminal's SIGINT never reaches it.
 */
function abortOnInterrupt(conn: DaemonConnection, json: boolean): () => void {
  let asked = false;
  const onInt = () => {
    if (!json) process.stderr.write(asked ? '\ndiscfs: still aborting, waiting for the daemon\n' : '\ndiscfs: aborting the commit...\n');
    if (asked) return;
    asked = true;
    conn.request({ op: 'abort' }).catch(() => undefined);
  };
  process.on('SIGINT', onInt);
  return () => void process.off('SIGINT', onInt);
}

async function follow(conn: DaemonConnection, mnt: string, json: boolean, onEvent: { handler?: (e: DaemonEvent) => void }): Promise<number> {
  const bar = new ProgressLine(process.stdout);
  let result: Extract<DaemonEvent, { event: 'result' }> | undefined;
  onEvent.handler = (e) => {
    if (json) process.stdout.write(`${JSON.stringify(e)}\n`);
    else if (e.event === 'progress') bar.update(e);
    if (e.event === 'result') result = e;
  };
  const stopAbort = abortOnInterrupt(conn, json);
  try {
    try {
      fuseUnmount(mnt);
    } catch (e) {
      conn.close(); // still mounted (busy): an open channel would keep this command from exiting
      throw e;
    }
    await conn.closed;
  } finally {
    stopAbort();
  }
  if (!result) throw new CliError('commitFailed', `the daemon of ${mnt} ended without a result; see its log`);
  if (!json) {
    if (result.session !== undefined || !result.ok) bar.finish(result.ok);
    process.stdout.write(`${result.message}\n`);
  }
  return result.exit;
}

export const unmountCommand: CommandModule<object, UnmountArgs> = {
  command: 'unmount <mountpoint>',
  aliases: ['umount'],
  describe: 'unmount; a writable mount first commits its staged changes as a new session',
  builder: (y) =>
    y
      .positional('mountpoint', { type: 'string', demandOption: true })
      .option('json', { type: 'boolean', describe: 'one JSON event per line instead of the progress bar' })
      .option('dry-run', { alias: 'n', type: 'boolean', describe: 'print what the commit would write; stay mounted' })
      .option('discard', { type: 'boolean', describe: 'unmount and drop the staged changes (asks first)' })
      .option('yes', { alias: 'y', type: 'boolean', describe: 'do not ask for confirmation' })
      .option('close', { type: 'boolean', describe: 'drives: finalise the disc after this session (asks; --yes to skip)' })
      .option('eject', { type: 'boolean', describe: 'drives: eject after the burn is verified' })
      .option('speed', { type: 'number', describe: 'drives: write speed in kB/s' })
      .option('verify', { choices: ['new', 'all'] as const, describe: 'image files: "all" also re-reads unchanged data against the stored checksums' })
      .example('$0 unmount ~/disc', 'commit and unmount')
      .example('$0 unmount --verify all ~/disc', 'commit, then re-check every file, unchanged ones included')
      .example('$0 unmount --dry-run ~/disc', 'show what would be committed')
      .example('$0 unmount --discard --yes ~/disc', 'throw the staged changes away') as never,
  handler: async (args) => {
    const mnt = path.resolve(args.mountpoint);
    const m = await findMount(mnt);
    if (!m || !isDiscfsMount(m.fstype)) throw new CliError('notMounted', `${mnt} is not a discfs mount`);
    // Asked before connecting: an open channel would keep this process alive after a refusal.
    if (args.discard && !args.dryRun && !args.yes && !(await confirm(`drop every staged change on ${mnt}?`))) throw new CliError('aborted', 'nothing discarded');
    const burn = burnRequest(args);
    if (!args.dryRun && !args.discard) await confirmClose(args, mnt);
    const sink: { handler?: (e: DaemonEvent) => void } = {};
    const conn = await connectEvents(mnt, (e) => sink.handler?.(e));
    if (!conn) {
      fuseUnmount(mnt);
      return;
    }
    if (args.dryRun) {
      const plan = (await conn.request({ op: 'plan' }).finally(() => conn.close())) as CommitPlan;
      process.stdout.write(`${args.json ? JSON.stringify(plan, (_k, v: unknown) => (isBufferJson(v) ? Buffer.from(v.data).toString('utf8') : v)) : renderPlan(plan)}\n`);
      return;
    }
    try {
      if (args.discard) await conn.request({ op: 'discard' });
      else if (burn) await conn.request(burn);
      if (!args.discard && args.verify === 'all') await conn.request({ op: 'verify', verify: 'all' });
      const exit = await follow(conn, mnt, args.json === true, sink);
      if (exit !== EXIT.ok) process.exitCode = exit;
    } finally {
      conn.close();
    }
  },
};

function isBufferJson(v: unknown): v is { type: 'Buffer'; data: number[] } {
  return typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data);
}
