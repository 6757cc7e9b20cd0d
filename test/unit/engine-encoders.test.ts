import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRockRidge, encodeNm, encodeSl } from '../../src/iso9660/rrip';
import { parseSuspArea } from '../../src/iso9660/susp';
import { planIsoIdentifiers, planJolietIdentifiers } from '../../src/engine/names';
import { decodeJolietName } from '../../src/iso9660/joliet';

const roundTrip = (entries: Buffer[]) => decodeRockRidge(parseSuspArea(Buffer.concat(entries)).entries);

describe('engine encoders', () => {
  for (const target of ['x//y', '/abs/./../t', 'a/', '/', 'plain', Array.from({ length: 9 }, (_, i) => String(i).repeat(99)).join('/'), 'z'.repeat(600)]) {
    it(`SL round-trips ${JSON.stringify(target.slice(0, 20))} (${target.length} bytes)`, () => {
      const entries = encodeSl(Buffer.from(target));
      for (const e of entries) assert.ok(e.length <= 255);
      assert.equal(roundTrip(entries).symlinkTarget?.toString(), target);
    });
  }

  it('NM splits a 255-byte name over two entries', () => {
    const name = Buffer.from('n'.repeat(255));
    const entries = encodeNm(name);
    assert.equal(entries.length, 2);
    assert.ok(roundTrip(entries).name?.equals(name));
  });

  it('ISO 9660 identifiers are d-characters, unique and deterministic', () => {
    const ids = planIsoIdentifiers(['readme.txt', 'README.TXT', 'Readme.txt', 'a b', 'dir'].map((n, i) => ({ name: Buffer.from(n), isDir: i === 4 })));
    assert.deepEqual(ids.map(String), ['README.TXT;1', 'README1.TXT;1', 'README2.TXT;1', 'A_B.;1', 'DIR']);
  });

  it('Joliet names: truncation keeps pairs whole and stays unique', () => {
    const long = '\u{1F600}'.repeat(40);
    const ids = planJolietIdentifiers([long + 'a', long + 'b'].map((n) => ({ name: Buffer.from(n), isDir: true })));
    const names = ids.map((b) => decodeJolietName(b));
    assert.equal(names[0].defects.length, 0);
    assert.ok(ids.every((b) => b.length <= 128));
    assert.notEqual(names[0].name.toString(), names[1].name.toString());
  });
});
