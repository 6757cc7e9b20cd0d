// Runs the mutation fuzzer (scripts/fuzz.js) for a fixed seed: every mutated image must end in a refusal or EIO.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

interface Finding {
  iteration: number;
  caseSeed: number;
  error: Error;
}
type Fuzz = (o: { iterations: number; seed: number }) => Promise<Finding[]>;

it('300 seeded mutations of a Rock Ridge + Joliet image: no crash, no hang', { timeout: 30_000 }, async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { fuzz } = require(path.join(__dirname, '..', '..', '..', 'scripts', 'fuzz.js')) as { fuzz: Fuzz };
  const findings = await fuzz({ iterations: 300, seed: 20240101 });
  assert.deepEqual(findings.map((f) => `${f.iteration}/${f.caseSeed}: ${f.error.stack}`), []);
});
