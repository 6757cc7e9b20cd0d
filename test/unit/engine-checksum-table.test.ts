// Checksum table encoding (src/engine/checksum-table.ts): round trips, and markers that must not be trusted.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { decodeTableBlock, encodeTable, ENTRIES_PER_BLOCK, readMarker, tableBlocks, writeMarker } from '../../src/engine/checksum-table';

const sha = (s: string): Buffer => crypto.createHash('sha256').update(s).digest();

describe('engine: checksum table', () => {
  it('round-trips entries sorted by LBA, none crossing a block, sizes beyond 4 GiB', () => {
    const entries = Array.from({ length: ENTRIES_PER_BLOCK + 3 }, (_, i) => ({ lba: 1000 - i, size: i === 0 ? 5 * 2 ** 30 : i + 1, sha256: sha(String(i)) }));
    const buf = encodeTable(entries);
    assert.equal(buf.length, tableBlocks(entries.length) * 2048);
    const back = [0, 1].flatMap((b) => decodeTableBlock(buf.subarray(b * 2048, (b + 1) * 2048), b * ENTRIES_PER_BLOCK, entries.length));
    assert.deepEqual(back, [...entries].sort((a, b) => a.lba - b.lba));
  });

  it('reads its own marker back, with and without a previous session', () => {
    const pvd = Buffer.alloc(2048);
    writeMarker(pvd, { lba: 500, blocks: 1, entries: 3 });
    assert.deepEqual(readMarker(pvd), { lba: 500, blocks: 1, entries: 3 });
    writeMarker(pvd, { lba: 900, blocks: 0, entries: 0, previousSession: 32 });
    assert.deepEqual(readMarker(pvd), { lba: 900, blocks: 0, entries: 0, previousSession: 32 });
  });

  it('ignores an absent marker and one whose block count disagrees with its entry count', () => {
    assert.equal(readMarker(Buffer.alloc(2048)), undefined);
    assert.equal(readMarker(Buffer.alloc(100)), undefined);
    const pvd = Buffer.alloc(2048);
    writeMarker(pvd, { lba: 500, blocks: 1_000_000, entries: 3 });
    assert.equal(readMarker(pvd), undefined);
  });
});
