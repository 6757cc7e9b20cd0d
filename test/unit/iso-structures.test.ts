// Per-structure decoders: both-endian mismatches, dates, record walks, SUSP chains, RRIP SL/NM, Joliet, names, zisofs.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { readBoth32 } from '../../src/iso9660/both-endian';
import { decodeLongDate, decodeShortDate } from '../../src/iso9660/datetime';
import { walkDirectoryRecords } from '../../src/iso9660/directory-record';
import { isoDisplayName } from '../../src/iso9660/iso-names';
import { decodeJolietName } from '../../src/iso9660/joliet';
import { decodeRockRidge } from '../../src/iso9660/rrip';
import { collectSuspEntries, parseSuspArea } from '../../src/iso9660/susp';
import { readZisofs, ZISOFS_MAGIC } from '../../src/iso9660/zisofs';
import { FsError } from '../../src/util/errors';

function entry(sig: string, data: number[] | Buffer): Buffer {
  const d = Buffer.from(data);
  return Buffer.concat([Buffer.from(sig, 'latin1'), Buffer.from([d.length + 4, 1]), d]);
}

function both32(v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(v, 0);
  b.writeUInt32BE(v, 4);
  return b;
}

describe('numbers and dates', () => {
  it('flags a both-endian mismatch and uses the little-endian half', () => {
    const b = Buffer.from([1, 0, 0, 0, 0, 0, 0, 2]);
    assert.deepEqual(readBoth32(b, 0), { value: 1, mismatch: true });
    assert.throws(() => readBoth32(b, 4), /needs bytes/);
  });

  it('decodes 7-byte dates with GMT offset, before 1970 and far in the future', () => {
    assert.deepEqual(decodeShortDate(Buffer.from([123, 11, 14, 22, 13, 20, 0]), 0), { sec: 1700000000, nsec: 0 });
    assert.deepEqual(decodeShortDate(Buffer.from([123, 11, 14, 23, 13, 20, 4]), 0), { sec: 1700000000, nsec: 0 });
    assert.equal(decodeShortDate(Buffer.from([69, 7, 20, 20, 17, 40, 0]), 0)!.sec, -14182940);
    assert.equal(decodeShortDate(Buffer.from([255, 12, 31, 23, 59, 59, 0]), 0)!.sec, 5869583999);
    assert.equal(decodeShortDate(Buffer.alloc(7), 0), undefined);
    assert.equal(decodeShortDate(Buffer.from([100, 13, 1, 0, 0, 0, 0]), 0), undefined);
  });

  it('decodes 17-byte dates, "not specified" is undefined', () => {
    const d = Buffer.concat([Buffer.from('2023111422132050', 'latin1'), Buffer.from([0])]);
    assert.deepEqual(decodeLongDate(d, 0), { sec: 1700000000, nsec: 500_000_000 });
    assert.equal(decodeLongDate(Buffer.concat([Buffer.from('0'.repeat(16)), Buffer.from([0])]), 0), undefined);
  });
});

describe('directory record walk', () => {
  it('zero length skips to the next sector; short records are defects', () => {
    const rec = (id: string): Buffer => {
      const b = Buffer.alloc(34 + (id.length % 2 === 0 ? 1 : 0) + id.length - 1);
      b[0] = b.length;
      b[32] = id.length;
      b.write(id, 33, 'latin1');
      return b;
    };
    const data = Buffer.alloc(4096);
    rec('A').copy(data, 0);
    rec('BB').copy(data, 2048);
    data[2048 + 36] = 10; // too short
    const walk = walkDirectoryRecords(data);
    assert.deepEqual(walk.records.map((r) => r.record.identifier.toString()), ['A', 'BB']);
    assert.match(walk.defects[0], /record length 10 is shorter than 34/);
  });
});

describe('SUSP and Rock Ridge', () => {
  it('a length-0 entry stops parsing; ST ends it', () => {
    const area = Buffer.concat([entry('PX', Buffer.alloc(32)), Buffer.from('NM\0\x01', 'latin1'), entry('TF', [0])]);
    const p = parseSuspArea(area);
    assert.deepEqual(p.entries.map((e) => e.signature), ['PX']);
    assert.match(p.defects[0], /"NM" has length 0/);
    assert.equal(parseSuspArea(Buffer.concat([entry('ST', []), entry('PX', Buffer.alloc(32))])).entries.length, 0);
  });

  it('a CE chain pointing back into itself stops with a defect', async () => {
    const ce = entry('CE', Buffer.concat([both32(40), both32(0), both32(28)]));
    let reads = 0;
    const got = await collectSuspEntries(ce, async () => {
      reads++;
      return ce;
    });
    assert.equal(reads, 1);
    assert.match(got.defects[0], /points back into its own chain/);
  });

  it('SL components join across entries (continue flags, root, parent)', () => {
    const sl1 = entry('SL', [1, 0x08, 0, 0x04, 0, 0x01, 3, ...Buffer.from('abc')]);
    const sl2 = entry('SL', [0, 0, 3, ...Buffer.from('def'), 0, 1, ...Buffer.from('g')]);
    const rr = decodeRockRidge([...parseSuspArea(Buffer.concat([sl1, sl2])).entries]);
    assert.equal(rr.symlinkTarget!.toString(), '/../abcdef/g');
    const nm = decodeRockRidge(parseSuspArea(Buffer.concat([entry('NM', [1, ...Buffer.from('long-')]), entry('NM', [0, ...Buffer.from('name')])])).entries);
    assert.equal(nm.name!.toString(), 'long-name');
  });

  it('TF in short (7-byte) and long (17-byte) form: modify, access, attributes; 1969 and 2100 kept', () => {
    // ECMA-119 9.1.5 short dates: years since 1900, GMT offset in 15-minute units.
    const short = (y: number, mo: number, d: number, h: number, mi: number, sec: number) => [y - 1900, mo, d, h, mi, sec, 0];
    const long = (digits: string) => [...Buffer.from(digits, 'latin1'), 0];
    const tfShort = entry('TF', [0x0e, ...short(1969, 7, 20, 20, 17, 40), ...short(2100, 1, 1, 0, 0, 0), ...short(2023, 11, 14, 22, 13, 20)]);
    const s1 = decodeRockRidge(parseSuspArea(tfShort).entries);
    assert.deepEqual(s1.defects, []);
    assert.deepEqual([s1.times.modify, s1.times.access, s1.times.attributes].map((t) => t!.sec), [-14182940, 4102444800, 1700000000]);
    const tfLong = entry('TF', [0x82, ...long('2100010100000050')]);
    const l1 = decodeRockRidge(parseSuspArea(tfLong).entries);
    assert.deepEqual(l1.times.modify, { sec: 4102444800, nsec: 500_000_000 });
    assert.equal(l1.times.access, undefined);
    assert.match(decodeRockRidge(parseSuspArea(entry('TF', [0x86, ...long('2100010100000050')])).entries).defects[0], /shorter than its flags/);
  });

  it('PX 44 bytes carries the serial; PX 36 does not', () => {
    const px = (n: number): Buffer => entry('PX', Buffer.concat(Array.from({ length: n }, (_, i) => both32([0o100644, 2, 5, 6, 99][i]))));
    assert.equal(decodeRockRidge(parseSuspArea(px(5)).entries).px!.ino, 99);
    assert.equal(decodeRockRidge(parseSuspArea(px(4)).entries).px!.ino, undefined);
  });
});

describe('names', () => {
  it('Joliet: surrogate pairs become one character; odd length and lone surrogates are defects', () => {
    const pair = Buffer.from('a😀', 'utf16le').swap16();
    assert.equal(decodeJolietName(pair).name.toString(), 'a😀');
    assert.match(decodeJolietName(Buffer.concat([pair, Buffer.from([0])])).defects[0], /odd identifier length/);
    assert.match(decodeJolietName(Buffer.from([0xd8, 0x00, 0, 0x41])).defects[0], /lone surrogate/);
    assert.equal(decodeJolietName(Buffer.from('x.txt;1', 'utf16le').swap16(), true).name.toString(), 'x.txt');
  });

  it('ISO 9660: ";N" and a trailing "." are stripped', () => {
    assert.equal(isoDisplayName(Buffer.from('README.TXT;1')).toString(), 'README.TXT');
    assert.equal(isoDisplayName(Buffer.from('FIFO.;1')).toString(), 'FIFO');
    assert.equal(isoDisplayName(Buffer.from('A;B')).toString(), 'A;B');
  });
});

describe('zisofs', () => {
  function zisofs(plain: Buffer, log2: number): Buffer {
    const bs = 2 ** log2;
    const blocks: Buffer[] = [];
    for (let o = 0; o < plain.length; o += bs) {
      const part = plain.subarray(o, o + bs);
      blocks.push(part.every((b) => b === 0) ? Buffer.alloc(0) : zlib.deflateSync(part));
    }
    const header = Buffer.alloc(16);
    ZISOFS_MAGIC.copy(header);
    header.writeUInt32LE(plain.length, 8);
    header[12] = 4;
    header[13] = log2;
    const table = Buffer.alloc((blocks.length + 1) * 4);
    let at = 16 + table.length;
    blocks.forEach((b, i) => {
      table.writeUInt32LE(at, i * 4);
      at += b.length;
    });
    table.writeUInt32LE(at, blocks.length * 4);
    return Buffer.concat([header, table, ...blocks]);
  }

  it('decompresses any range, zero blocks included; damage is EIO', async () => {
    const plain = Buffer.concat([Buffer.alloc(40000, 7), Buffer.alloc(32768), Buffer.from('tail'.repeat(1000))]);
    const z = zisofs(plain, 15);
    const reader = async (p: number, l: number): Promise<Buffer> => z.subarray(p, p + l);
    assert.ok((await readZisofs(reader, z.length, 0, plain.length)).equals(plain));
    assert.ok((await readZisofs(reader, z.length, 32000, 50000)).equals(plain.subarray(32000, 82000)));
    const bad = Buffer.from(z);
    bad.fill(0x55, 16 + 16, 16 + 40);
    await assert.rejects(readZisofs(async (p, l) => bad.subarray(p, p + l), bad.length, 0, 100), FsError);
  });
});
