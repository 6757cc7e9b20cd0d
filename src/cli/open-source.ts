// Turns the SOURCE argument into a Medium: an image file now (drives come with the burning work).

import fs from 'node:fs';
import { openDriveMedium } from '../drive/open-drive';
import { openImageFile } from '../medium/image-file';
import type { Medium } from '../medium/medium';
import { describeSniffed, sniff, SNIFF_BYTES } from '../medium/sniff';
import { DiscfsError } from '../util/errors';
import { CliError } from './exit-codes';
import { deviceAccessHint } from './preflight';

export async function openSource(source: string): Promise<Medium> {
  let st: fs.Stats;
  try {
    st = fs.statSync(source);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES') throw new CliError('permissionDenied', `${source}: permission denied (a directory on the way is not searchable by you)`);
    throw new CliError('sourceMissing', `${source}: no such image file or device`);
  }
  if (st.isDirectory()) throw new CliError('sourceMissing', `${source} is a directory, not an image file or device`);
  if (st.isCharacterDevice() || (st.isBlockDevice() && /^\/dev\/(sr|sg|scd)/.test(source))) return openDriveMedium(source);
  try {
    return await openImageFile(source);
  } catch (e) {
    // openImageFile wraps the errno in a DiscfsError: look through to the cause.
    const cause = e instanceof DiscfsError ? e.cause : e;
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new CliError('permissionDenied', st.isBlockDevice() || st.isCharacterDevice() ? deviceAccessHint(source) : `${source}: permission denied (not readable by you)`);
    }
    throw e;
  }
}

/** Rewrites "no ISO 9660" failures so they say what the medium holds instead. */
export async function explainNoFileSystem(medium: Medium, error: unknown): Promise<never> {
  if (error instanceof DiscfsError && error.code === 'NO_ISO9660') {
    let head: Buffer = Buffer.alloc(0);
    const blocks = Math.min(medium.blocks, SNIFF_BYTES / 2048);
    if (blocks > 0) head = await medium.read(0, blocks).catch(() => Buffer.alloc(0));
    throw new CliError('noFileSystem', `${medium.description} holds no ISO 9660 file system: found ${describeSniffed(sniff(head))}`);
  }
  throw error;
}
