// Sense decoding (fixed 70h/71h, descriptor 72h/73h), the message table and ScsiError.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkResult } from '../../src/mmc/command';
import { ScsiError } from '../../src/mmc/scsi-error';
import { decodeSense, senseMessage } from '../../src/mmc/sense';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const result = (status: number, sense: Buffer, extra: Partial<{ hostStatus: number; driverStatus: number }> = {}) => ({
  status, sense, residual: 0, hostStatus: 0, driverStatus: 0, durationMs: 0, ...extra,
});

describe('decodeSense', () => {
  it('fixed format with VALID information', () => {
    const s = decodeSense(hex('f0 00 03 00001a40 0a 00000000 0c 00 00 000000'))!;
    assert.deepEqual([s.format, s.key, s.asc, s.ascq, s.information, s.deferred], ['fixed', 3, 0x0c, 0, 0x1a40, false]);
  });
  it('fixed format deferred error and progress indication', () => {
    const s = decodeSense(hex('71 00 02 00000000 0a 00000000 04 08 00 80 4000'))!;
    assert.equal(s.deferred, true);
    assert.equal(s.progress, 0.25);
    assert.equal(s.information, undefined);
  });
  it('short fixed sense: fields beyond the additional length read as 0', () => {
    const s = decodeSense(hex('70 00 06 00000000 00 ffffffff 28 00'))!;
    assert.deepEqual([s.key, s.asc, s.ascq], [6, 0, 0]);
    const tiny = decodeSense(hex('70 00 02'))!;
    assert.equal(tiny.key, 2);
  });
  it('descriptor format with information and sense-key specific descriptors', () => {
    const s = decodeSense(hex('72 05 21 00 000000 14 000a 80 00 0000000000001234 0206 0000 80 8000 00'))!;
    assert.deepEqual([s.format, s.key, s.asc, s.ascq, s.information, s.progress], ['descriptor', 5, 0x21, 0, 0x1234, 0.5]);
  });
  it('descriptor lengths that run past the buffer are not followed', () => {
    const s = decodeSense(hex('73 02 04 01 000000 ff 00 ff 80'))!;
    assert.deepEqual([s.deferred, s.key, s.asc, s.ascq, s.information], [true, 2, 4, 1, undefined]);
  });
  it('no sense for empty, too short or unknown response codes', () => {
    assert.equal(decodeSense(Buffer.alloc(0)), undefined);
    assert.equal(decodeSense(hex('70')), undefined);
    assert.equal(decodeSense(hex('7f 00 05 00')), undefined);
  });
});

describe('sense messages', () => {
  const cases: Array<[number, number, number, string]> = [
    [2, 0x04, 0x01, 'drive is becoming ready'],
    [2, 0x04, 0x08, 'not ready, long write in progress'],
    [2, 0x04, 0x55, 'drive is not ready'],
    [2, 0x3a, 0x00, 'no medium present'],
    [5, 0x20, 0x00, 'invalid command operation code'],
    [5, 0x21, 0x00, 'logical block address out of range'],
    [5, 0x24, 0x00, 'invalid field in CDB'],
    [6, 0x28, 0x00, 'medium may have changed'],
    [6, 0x29, 0x00, 'power on, reset, or bus device reset occurred'],
    [3, 0x0c, 0x00, 'write error'],
    [5, 0x64, 0x00, 'illegal mode for this track'],
    [5, 0x72, 0x03, 'session fixation error, incomplete track in session'],
    [5, 0x72, 0x44, 'session fixation error'],
  ];
  for (const [k, a, q, text] of cases) {
    it(`${k}/${a.toString(16)}/${q.toString(16)} → ${text}`, () => assert.equal(senseMessage(k, a, q), text));
  }
  it('unknown codes still give a readable line', () => {
    assert.equal(senseMessage(4, 0xee, 0x01), 'hardware error, ASC EEh ASCQ 01h');
  });
});

describe('ScsiError via checkResult', () => {
  it('CHECK CONDITION carries opcode name, key, ASC, ASCQ and recoverability', () => {
    const sense = hex('70 00 02 00000000 0a 00000000 04 01 00 000000');
    assert.throws(() => checkResult(0x28, result(2, sense, { driverStatus: 8 }), '/dev/sr0'), (e: unknown) => {
      assert.ok(e instanceof ScsiError);
      assert.equal(e.opcodeName, 'READ(10)');
      assert.deepEqual([e.senseKey, e.asc, e.ascq], [2, 4, 1]);
      assert.equal(e.recoverable, true);
      assert.equal(e.isBecomingReady, true);
      assert.equal(e.code, 'SCSI_CHECK_CONDITION');
      assert.match(e.message, /^\/dev\/sr0: READ\(10\) failed: drive is becoming ready \(NOT READY, 2\/04\/01\)$/);
      return true;
    });
  });
  it('no medium is not recoverable and has its own code', () => {
    const sense = hex('70 00 02 00000000 0a 00000000 3a 00 00 000000');
    assert.throws(() => checkResult(0x00, result(2, sense)), (e: unknown) =>
      e instanceof ScsiError && e.code === 'SCSI_NO_MEDIUM' && !e.recoverable && e.isNoMedium);
  });
  it('BUSY is recoverable; host failures are transport errors; GOOD passes', () => {
    assert.throws(() => checkResult(0x2a, result(8, Buffer.alloc(0))), (e: unknown) => e instanceof ScsiError && e.recoverable);
    assert.throws(() => checkResult(0x2a, result(0, Buffer.alloc(0), { hostStatus: 3 })), (e: unknown) =>
      e instanceof ScsiError && e.code === 'SCSI_TRANSPORT' && /transport failure/.test(e.message));
    checkResult(0x2a, result(0, Buffer.alloc(0)));
  });
});
