// Loader and types for the SG_IO addon (native/src/sg_io.cc, Linux sg_io_hdr v3); the only module that touches it.
import fs from 'node:fs';
import path from 'node:path';
import { DiscfsError } from '../util/errors';
import { DataDirection, ScsiResult } from './transport';

export interface SgOpenResult {
  readonly fd: number;
  /** O_RDWR was refused (EACCES/EROFS) and the device was opened O_RDONLY: reading works, burning will not. */
  readonly readOnly: boolean;
  readonly sgVersion: number;
}

export interface SgIoAddon {
  open(devicePath: string, options?: { exclusive?: boolean }): SgOpenResult;
  execute(fd: number, cdb: Buffer, direction: DataDirection, data: Buffer | null, timeoutMs: number): Promise<ScsiResult>;
  close(fd: number): void;
}

/** An error thrown by the addon: a Node-style errno error. */
export interface AddonErrnoError extends Error {
  readonly code?: string;
  readonly errno?: number;
  readonly syscall?: string;
}

const ADDON_FILE = path.join('native', 'build', 'Release', 'sg_io.node');
let cached: SgIoAddon | undefined;

/** The project root: the nearest ancestor of this module holding native/binding.gyp (works from src/ and dist/src/). */
function findAddonPath(): string | undefined {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'native', 'binding.gyp'))) return path.join(dir, ADDON_FILE);
    if (path.dirname(dir) === dir) return undefined;
  }
}

export function loadSgAddon(): SgIoAddon {
  if (cached) return cached;
  const file = findAddonPath();
  if (!file || !fs.existsSync(file)) {
    throw new DiscfsError(
      'SG_ADDON_MISSING',
      `the SG_IO addon is not built (${file ?? ADDON_FILE} missing): run \`npm install\` or \`cd native && node-gyp rebuild\``,
      { path: file },
    );
  }
  cached = require(file) as SgIoAddon;
  return cached;
}
