// src/util/name-codec.ts: PEP 383 surrogateescape, byte-exact in both directions.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeName, encodeName, isAsciiName, isValidUtf8Name } from '../../src/util/name-codec';
import { FsError } from '../../src/util/errors';

test('valid UTF-8 decodes as text', () => {
  assert.equal(decodeName(Buffer.from('héllo-日本-😀', 'utf8')), 'héllo-日本-😀');
  assert.equal(decodeName(Buffer.from('plain')), 'plain');
});

test('each invalid byte becomes U+DC80..U+DCFF', () => {
  assert.equal(decodeName(Buffer.from([0x61, 0xff, 0xfe, 0x62])), 'a\udcff\udcfeb');
  // overlong "/" (C0 AF), an encoded surrogate (ED A0 80), a truncated sequence (E2 82), above U+10FFFF (F4 90 80 80)
  assert.equal(decodeName(Buffer.from([0xc0, 0xaf])), '\udcc0\udcaf');
  assert.equal(decodeName(Buffer.from([0xed, 0xa0, 0x80])), '\udced\udca0\udc80');
  assert.equal(decodeName(Buffer.from([0xe2, 0x82])), '\udce2\udc82');
  assert.equal(decodeName(Buffer.from([0xf4, 0x90, 0x80, 0x80])), '\udcf4\udc90\udc80\udc80');
});

test('escaped bytes encode back to themselves', () => {
  assert.deepEqual(encodeName('a\udcff\udcfeb'), Buffer.from([0x61, 0xff, 0xfe, 0x62]));
  assert.deepEqual(encodeName('😀'), Buffer.from('😀', 'utf8'));
});

test('a lone surrogate outside the escape range is EINVAL', () => {
  assert.throws(() => encodeName('x\ud800'), (e: unknown) => e instanceof FsError && e.errno === 'EINVAL');
  assert.throws(() => encodeName('\udc10'), FsError);
});

test('property: encode(decode(bytes)) is the same bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      assert.deepEqual(encodeName(decodeName(bytes)), Buffer.from(bytes));
    }),
    { seed: 383, numRuns: 2000 },
  );
});

test('property: decode(encode(text)) is the same text, and agrees with Buffer for valid UTF-8', () => {
  fc.assert(
    fc.property(fc.fullUnicodeString({ maxLength: 32 }), (s) => {
      assert.equal(decodeName(encodeName(s)), s);
      assert.deepEqual(encodeName(s), Buffer.from(s, 'utf8'));
      assert.equal(isValidUtf8Name(s), true);
    }),
    { seed: 383, numRuns: 1000 },
  );
});

test('classifiers', () => {
  assert.equal(isValidUtf8Name('a\udcff'), false);
  assert.equal(isAsciiName('abc'), true);
  assert.equal(isAsciiName('é'), false);
});
