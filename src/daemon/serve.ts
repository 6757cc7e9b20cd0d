// The mount lifecycle used by the CLI: serve a Filesystem until the kernel mount goes away.

import path from 'node:path';
import { mountFilesystem, type AdapterMountOptions } from '../fuse/adapter';
import type { Filesystem } from '../fuse/filesystem';
import { DiscfsError } from '../util/errors';
import { checkMountpoint, cleanDeadMount, fusermount, isDeadMount } from './mountpoint';

export interface ServeOptions extends AdapterMountOptions {
  /** How long to wait for the kernel's INIT before giving up (ms). */
  initTimeoutMs?: number;
}

export interface MountEnd {
  /** True when someone else unmounted (an external `fusermount -u`, `umount`), false after handle.unmount(). */
  external: boolean;
}

export interface MountHandle {
  readonly mountpoint: string;
  /** Unmounts; rejects with DiscfsError MOUNT_BUSY when files are still open (unless `lazy`). */
  unmount(options?: { lazy?: boolean }): Promise<void>;
  /** Resolves once the kernel mount is gone and Filesystem.destroy has run. */
  readonly ended: Promise<MountEnd>;
}

const DEFAULT_INIT_TIMEOUT_MS = 15_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DiscfsError('MOUNT_TIMEOUT', `${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Mounts `fs` and resolves when the mount is live. A dead mount left by a crash is cleaned first. */
export async function serve(fs: Filesystem, mountpoint: string, options: ServeOptions = {}): Promise<MountHandle> {
  const mnt = path.resolve(mountpoint);
  await cleanDeadMount(mnt);
  await checkMountpoint(mnt);
  const session = await withTimeout(mountFilesystem(fs, mnt, options), options.initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS, `mount ${mnt}`);
  let requested = false;
  const ended = session.ended.then(async () => {
    await session.dispose();
    return { external: !requested };
  });
  let finished = false;
  void ended.then(() => { finished = true; });

  async function unmount(opts: { lazy?: boolean } = {}): Promise<void> {
    if (finished) return;
    requested = true;
    const r = await fusermount([opts.lazy ? '-uz' : '-u', mnt]);
    if (!r.ok && !finished && !(await isDeadMount(mnt))) {
      requested = false;
      const busy = /busy/i.test(r.message);
      throw new DiscfsError(busy ? 'MOUNT_BUSY' : 'UNMOUNT_FAILED', `cannot unmount ${mnt}: ${r.message}`, { mountpoint: mnt });
    }
    await ended;
  }

  return { mountpoint: mnt, unmount, ended };
}
