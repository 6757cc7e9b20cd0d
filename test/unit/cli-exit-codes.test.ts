// The exit-code table in README.md and in `discfs --help` must stay equal to src/cli/exit-codes.ts.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { EXIT, EXIT_DESCRIPTIONS, type ExitName } from '../../src/cli/exit-codes';

const README = path.join(__dirname, '..', '..', '..', 'README.md');

function readmeTable(): { code: number; name: string; meaning: string }[] {
  const text = fs.readFileSync(README, 'utf8');
  const section = text.slice(text.indexOf('## Exit codes'));
  const end = section.indexOf('\n## ', 3);
  return [...section.slice(0, end < 0 ? undefined : end).matchAll(/^\| (\d+) \| `(\w+)` \| (.+) \|$/gm)].map((m) => ({ code: Number(m[1]), name: m[2], meaning: m[3] }));
}

describe('exit codes', () => {
  it('README lists every exit code with its name and meaning, in order', () => {
    const expected = (Object.keys(EXIT) as ExitName[]).map((k) => ({ code: EXIT[k], name: k, meaning: EXIT_DESCRIPTIONS[k] }));
    assert.deepEqual(readmeTable(), expected);
  });

  it('codes are distinct and within 0..123', () => {
    const codes = Object.values(EXIT);
    assert.equal(new Set(codes).size, codes.length);
    for (const c of codes) assert.ok(c >= 0 && c <= 123, String(c));
  });
});
