// CDB bytes of every command builder, checked byte for byte against the MMC-5 / SPC-4 layouts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildBlank, buildFormatUnit, encodeFormatParameters, BLANKING_TYPE, FORMAT_TYPE } from '../../src/mmc/blank-format';
import { buildCloseTrackSession, CLOSE_FUNCTION } from '../../src/mmc/close-track-session';
import { buildGetConfiguration } from '../../src/mmc/get-configuration';
import { buildGetEventStatus } from '../../src/mmc/get-event-status';
import { buildInquiry } from '../../src/mmc/inquiry';
import { buildPreventAllowMediumRemoval, buildStartStopUnit } from '../../src/mmc/medium-removal';
import { buildModeSelect10, buildModeSense10, MODE_PAGE, modeSelectParameters } from '../../src/mmc/mode-pages';
import { buildReadBufferCapacity } from '../../src/mmc/read-buffer-capacity';
import { buildReadCapacity } from '../../src/mmc/read-capacity';
import { buildReadDiscInformation } from '../../src/mmc/read-disc-information';
import { buildReadToc, TOC_FORMAT } from '../../src/mmc/read-toc';
import { buildReadTrackInformation, INVISIBLE_TRACK } from '../../src/mmc/read-track-information';
import { buildRead, buildWrite } from '../../src/mmc/read-write';
import { buildRequestSense } from '../../src/mmc/request-sense';
import { buildReserveTrack } from '../../src/mmc/reserve-track';
import { buildGetPerformance, buildSetCdSpeed, buildSetStreaming, encodePerformanceDescriptor, GET_PERFORMANCE_TYPE } from '../../src/mmc/speed';
import { buildSynchronizeCache } from '../../src/mmc/synchronize-cache';
import { buildTestUnitReady } from '../../src/mmc/test-unit-ready';
import { opcodeName } from '../../src/mmc/opcodes';

const bytes = (...b: number[]): Buffer => Buffer.from(b);

describe('MMC CDB builders', () => {
  it('TEST UNIT READY is six zero bytes', () => {
    assert.deepEqual(buildTestUnitReady(), bytes(0, 0, 0, 0, 0, 0));
  });
  it('INQUIRY puts the allocation length in bytes 3-4', () => {
    assert.deepEqual(buildInquiry(96), bytes(0x12, 0, 0, 0, 96, 0));
  });
  it('REQUEST SENSE with DESC and allocation', () => {
    assert.deepEqual(buildRequestSense({ allocation: 18 }), bytes(0x03, 0, 0, 0, 18, 0));
    assert.deepEqual(buildRequestSense({ descriptorFormat: true, allocation: 252 }), bytes(0x03, 1, 0, 0, 252, 0));
  });
  it('GET CONFIGURATION RT, starting feature, allocation', () => {
    assert.deepEqual(buildGetConfiguration('one', 0x0000, 8), bytes(0x46, 2, 0, 0, 0, 0, 0, 0, 8, 0));
    assert.deepEqual(buildGetConfiguration('current', 0x0021, 0x1000), bytes(0x46, 1, 0, 0x21, 0, 0, 0, 0x10, 0, 0));
  });
  it('GET EVENT STATUS NOTIFICATION is polled, media class', () => {
    assert.deepEqual(buildGetEventStatus(), bytes(0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8, 0));
  });
  it('READ CAPACITY', () => {
    assert.deepEqual(buildReadCapacity(), bytes(0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0));
  });
  it('READ DISC INFORMATION', () => {
    assert.deepEqual(buildReadDiscInformation(34), bytes(0x51, 0, 0, 0, 0, 0, 0, 0, 34, 0));
  });
  it('READ TRACK INFORMATION by track number, invisible track, LBA', () => {
    assert.deepEqual(buildReadTrackInformation('track', INVISIBLE_TRACK, 48), bytes(0x52, 1, 0, 0, 0, 0xff, 0, 0, 48, 0));
    assert.deepEqual(buildReadTrackInformation('lba', 0x12345678, 28), bytes(0x52, 0, 0x12, 0x34, 0x56, 0x78, 0, 0, 28, 0));
    assert.deepEqual(buildReadTrackInformation('session', 2, 48), bytes(0x52, 2, 0, 0, 0, 2, 0, 0, 48, 0));
  });
  it('READ TOC formats 0, 1, 2 and the MSF bit', () => {
    assert.deepEqual(buildReadToc(TOC_FORMAT.toc, 0, { allocation: 0x324 }), bytes(0x43, 0, 0, 0, 0, 0, 0, 3, 0x24, 0));
    assert.deepEqual(buildReadToc(TOC_FORMAT.sessionInfo, 0, { allocation: 12 }), bytes(0x43, 0, 1, 0, 0, 0, 0, 0, 12, 0));
    assert.deepEqual(buildReadToc(TOC_FORMAT.fullToc, 1, { msf: true, allocation: 0xfffe }), bytes(0x43, 2, 2, 0, 0, 0, 1, 0xff, 0xfe, 0));
  });
  it('MODE SENSE(10) sets DBD, page control and page; MODE SELECT(10) sets PF', () => {
    assert.deepEqual(buildModeSense10(MODE_PAGE.writeParameters, 'current', 0x3c), bytes(0x5a, 8, 0x05, 0, 0, 0, 0, 0, 0x3c, 0));
    assert.deepEqual(buildModeSense10(MODE_PAGE.capabilities, 'changeable', 0x100), bytes(0x5a, 8, 0x6a, 0, 0, 0, 0, 1, 0, 0));
    assert.deepEqual(buildModeSelect10(60), bytes(0x55, 0x10, 0, 0, 0, 0, 0, 0, 60, 0));
    const params = modeSelectParameters(bytes(0x85, 2, 1, 2));
    assert.deepEqual(params, bytes(0, 0, 0, 0, 0, 0, 0, 0, 0x05, 2, 1, 2), 'PS bit cleared, header zero');
  });
  it('READ/WRITE(10) and the switch to the 12-byte forms', () => {
    assert.deepEqual(buildRead(0x01020304, 16), bytes(0x28, 0, 1, 2, 3, 4, 0, 0, 16, 0));
    assert.deepEqual(buildRead(5, 1, { forceUnitAccess: true }), bytes(0x28, 8, 0, 0, 0, 5, 0, 0, 1, 0));
    assert.deepEqual(buildWrite(0x10, 32), bytes(0x2a, 0, 0, 0, 0, 0x10, 0, 0, 32, 0));
    assert.deepEqual(buildRead(1, 0x10000), bytes(0xa8, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0));
    assert.deepEqual(buildWrite(2, 16, { streaming: true }), bytes(0xaa, 0, 0, 0, 0, 2, 0, 0, 0, 16, 0x80, 0));
    assert.throws(() => buildRead(-1, 1), RangeError);
    assert.throws(() => buildWrite(0x100000000, 1), RangeError);
  });
  it('SYNCHRONIZE CACHE with and without IMMED', () => {
    assert.deepEqual(buildSynchronizeCache(), bytes(0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    assert.deepEqual(buildSynchronizeCache({ immediate: true }), bytes(0x35, 2, 0, 0, 0, 0, 0, 0, 0, 0));
  });
  it('CLOSE TRACK/SESSION functions and track number', () => {
    assert.deepEqual(buildCloseTrackSession(CLOSE_FUNCTION.track, 1), bytes(0x5b, 0, 1, 0, 0, 1, 0, 0, 0, 0));
    assert.deepEqual(buildCloseTrackSession(CLOSE_FUNCTION.session, 0, true), bytes(0x5b, 1, 2, 0, 0, 0, 0, 0, 0, 0));
    assert.deepEqual(buildCloseTrackSession(CLOSE_FUNCTION.finalizeDisc), bytes(0x5b, 0, 6, 0, 0, 0, 0, 0, 0, 0));
  });
  it('RESERVE TRACK size in bytes 5-8', () => {
    assert.deepEqual(buildReserveTrack(0x00abcdef), bytes(0x53, 0, 0, 0, 0, 0, 0xab, 0xcd, 0xef, 0));
  });
  it('READ BUFFER CAPACITY', () => {
    assert.deepEqual(buildReadBufferCapacity(), bytes(0x5c, 0, 0, 0, 0, 0, 0, 0, 12, 0));
    assert.deepEqual(buildReadBufferCapacity(true), bytes(0x5c, 1, 0, 0, 0, 0, 0, 0, 12, 0));
  });
  it('SET CD SPEED, SET STREAMING, GET PERFORMANCE', () => {
    assert.deepEqual(buildSetCdSpeed(), bytes(0xbb, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0));
    assert.deepEqual(buildSetCdSpeed(1385, 5540), bytes(0xbb, 0, 0x05, 0x69, 0x15, 0xa4, 0, 0, 0, 0, 0, 0));
    assert.deepEqual(buildSetStreaming(), bytes(0xb6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 28, 0));
    const d = encodePerformanceDescriptor({ startLba: 0, endLba: 0x230000, readKBps: 11080, writeKBps: 5540 });
    assert.equal(d.length, 28);
    assert.equal(d.readUInt32BE(8), 0x230000);
    assert.equal(d.readUInt32BE(12), 11080);
    assert.equal(d.readUInt32BE(16), 1000);
    assert.equal(d.readUInt32BE(20), 5540);
    assert.equal(d.readUInt32BE(24), 1000);
    assert.deepEqual(buildGetPerformance(GET_PERFORMANCE_TYPE.writeSpeed, 32), bytes(0xac, 0, 0, 0, 0, 0, 0, 0, 0, 32, 3, 0));
    assert.deepEqual(buildGetPerformance(GET_PERFORMANCE_TYPE.performance, 1, { write: true }), bytes(0xac, 0x14, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0));
  });
  it('PREVENT ALLOW MEDIUM REMOVAL and START STOP UNIT', () => {
    assert.deepEqual(buildPreventAllowMediumRemoval(true), bytes(0x1e, 0, 0, 0, 1, 0));
    assert.deepEqual(buildPreventAllowMediumRemoval(false), bytes(0x1e, 0, 0, 0, 0, 0));
    assert.deepEqual(buildStartStopUnit('eject'), bytes(0x1b, 0, 0, 0, 2, 0));
    assert.deepEqual(buildStartStopUnit('load', true), bytes(0x1b, 1, 0, 0, 3, 0));
    assert.deepEqual(buildStartStopUnit('start'), bytes(0x1b, 0, 0, 0, 1, 0));
  });
  it('BLANK type, IMMED and FORMAT UNIT parameter list', () => {
    assert.deepEqual(buildBlank(BLANKING_TYPE.minimal), bytes(0xa1, 0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    assert.deepEqual(buildBlank(BLANKING_TYPE.full, false), bytes(0xa1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    assert.deepEqual(buildFormatUnit(), bytes(0x04, 0x11, 0, 0, 0, 0));
    assert.deepEqual(
      encodeFormatParameters({ blocks: 0x23053f, formatType: FORMAT_TYPE.dvdPlusRwFull }),
      bytes(0, 2, 0, 8, 0, 0x23, 0x05, 0x3f, 0x98, 0, 0, 0),
    );
  });
  it('names opcodes for messages', () => {
    assert.equal(opcodeName(0x2a), 'WRITE(10)');
    assert.equal(opcodeName(0x5b), 'CLOSE TRACK/SESSION');
    assert.equal(opcodeName(0xfe), 'opcode 0xfe');
  });
});
