// The last commit's result per source, kept as a small JSON file in the state dir for `discfs status`
// (a commit started by `fusermount -u` or a file manager has nobody watching its progress).

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { stateDir } from './paths';

export interface LastResult {
  source: string;
  mountpoint: string;
  /** ISO time the commit (or the unmount that did not commit) ended. */
  at: string;
  ok: boolean;
  exit: number;
  message: string;
  session?: number;
  log?: string;
}

function resultFile(source: string, env: NodeJS.ProcessEnv): string {
  const key = createHash('sha256').update(path.resolve(source)).digest('hex').slice(0, 24);
  return path.join(stateDir(env), 'results', `${key}.json`);
}

/** Written atomically (temp + rename): a reader never sees half a file. */
export function saveLastResult(r: LastResult, env: NodeJS.ProcessEnv = process.env): void {
  const file = resultFile(r.source, env);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(r, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

export function loadLastResult(source: string, env: NodeJS.ProcessEnv = process.env): LastResult | undefined {
  try {
    const r = JSON.parse(fs.readFileSync(resultFile(source, env), 'utf8')) as Partial<LastResult>;
    if (typeof r.message !== 'string' || typeof r.ok !== 'boolean' || typeof r.at !== 'string') return undefined;
    return r as LastResult;
  } catch {
    return undefined;
  }
}
