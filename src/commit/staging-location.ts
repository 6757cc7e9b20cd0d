// Which staging directory belongs to a medium: keyed by the newest session's identity, so the same disc or image
// resumes its staged changes and a different one never sees them. A blank medium has no identity: its path is used.

import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Medium } from '../medium/medium';
import { stateDir } from '../cli/paths';

/** The volume descriptor of a session sits 16 blocks after its start (ECMA-119 6.2.1, the system area). */
const PVD_OFFSET = 16;

export interface MediumIdentity {
  /** Stored in the staging directory and compared at every mount. */
  identity: string;
  /** True for blank media keyed by path (said when resuming). */
  byPath: boolean;
}

export async function identityOf(medium: Medium, newestSessionStart: number | undefined, source: string): Promise<MediumIdentity> {
  if (newestSessionStart === undefined) return { identity: `blank:${path.resolve(source)}`, byPath: true };
  const pvd = await medium.read(newestSessionStart + PVD_OFFSET, 1);
  const hash = createHash('sha256').update(pvd).update(String(newestSessionStart)).digest('hex');
  return { identity: `session:${newestSessionStart}:${hash}`, byPath: false };
}

export function defaultStagingDir(identity: MediumIdentity, env: NodeJS.ProcessEnv = process.env): string {
  const key = createHash('sha256').update(identity.identity).digest('hex').slice(0, 24);
  return path.join(stateDir(env), 'staging', key);
}
