// Reply parsers against real-looking replies: full, short (cut mid-field) and padded with junk past their length field.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findFeature, FEATURE, parseGetConfiguration, parseProfileList } from '../../src/mmc/get-configuration';
import { parseGetEventStatus } from '../../src/mmc/get-event-status';
import { parseInquiry } from '../../src/mmc/inquiry';
import { findModePage, parseCapabilities, parseWriteParameters, encodeWriteParameters, WRITE_TYPE } from '../../src/mmc/mode-pages';
import { parseReadBufferCapacity } from '../../src/mmc/read-buffer-capacity';
import { parseReadCapacity } from '../../src/mmc/read-capacity';
import { parseReadDiscInformation } from '../../src/mmc/read-disc-information';
import { msfToLba, parseFullToc, parseSessionInfo, parseTocTracks } from '../../src/mmc/read-toc';
import { parseReadTrackInformation } from '../../src/mmc/read-track-information';
import { parseWriteSpeeds } from '../../src/mmc/speed';
import { PROFILE, profileName, profileInfo } from '../../src/mmc/profiles';
import { DiscfsError } from '../../src/util/errors';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const junk = (b: Buffer, total: number): Buffer => Buffer.concat([b, Buffer.alloc(total - b.length, 0xa5)]);
const isShort = (e: unknown): boolean => e instanceof DiscfsError && e.code === 'MMC_SHORT_REPLY';

// An appendable DVD+R after one closed session: tracks 1, invisible track 2, 2 sessions counted.
const DISC_INFO = hex('0020 01 01 02 02 02 00 ff 00 00 00 00000000 ffffffff ffffffff 0000000000000000 00 00');
// Invisible track 2 of session 2: blank, NWA 0x1a40 valid, 0x21f740 free blocks.
const TRACK_INFO = hex(
  '002e 02 02 00 04 41 01 00001a40 00001a40 0021f740 00000000 0021f740 00000000 00 00 0000 00000000 00000000 00000000',
);

describe('READ DISC INFORMATION', () => {
  it('decodes an appendable disc', () => {
    const d = parseReadDiscInformation(DISC_INFO);
    assert.equal(d.discStatus, 'appendable');
    assert.equal(d.lastSessionState, 'empty');
    assert.equal(d.erasable, false);
    assert.equal(d.sessions, 2);
    assert.equal(d.firstTrackInLastSession, 2);
    assert.equal(d.discType, 0xff);
  });
  it('ignores junk past the length field and accepts a short (MMC-1 sized) reply', () => {
    const padded = Buffer.from(junk(DISC_INFO, 64));
    padded.writeUInt16BE(0x000a, 0); // declares 12 bytes: bytes 12.. are junk and must not be read
    const d = parseReadDiscInformation(padded);
    assert.equal(d.sessions, 2);
    assert.equal(d.lastSessionLeadInStart, undefined);
    const short = parseReadDiscInformation(DISC_INFO.subarray(0, 9));
    assert.equal(short.sessions, 2);
    assert.equal(short.discType, 0xff);
  });
  it('rejects a reply too short to say anything', () => {
    assert.throws(() => parseReadDiscInformation(DISC_INFO.subarray(0, 5)), isShort);
    assert.throws(() => parseReadDiscInformation(Buffer.alloc(1)), isShort);
  });
  it('uses the MSB bytes for more than 255 sessions', () => {
    const b = Buffer.from(DISC_INFO);
    b[4] = 0x2c; b[9] = 0x01;
    assert.equal(parseReadDiscInformation(b).sessions, 300);
  });
});

describe('READ TRACK INFORMATION', () => {
  it('decodes the invisible track', () => {
    const t = parseReadTrackInformation(TRACK_INFO);
    assert.equal(t.track, 2);
    assert.equal(t.session, 2);
    assert.equal(t.blank, true);
    assert.equal(t.startAddress, 0x1a40);
    assert.equal(t.nextWritableAddress, 0x1a40);
    assert.equal(t.freeBlocks, 0x21f740);
    assert.equal(t.lastRecordedAddress, undefined);
  });
  it('NWA absent when NWA_V is clear; short 28-byte reply accepted; junk ignored', () => {
    const closed = Buffer.from(TRACK_INFO);
    closed[7] = 0x02; closed.writeUInt32BE(0x1a3f, 28);
    assert.equal(parseReadTrackInformation(closed).nextWritableAddress, undefined);
    assert.equal(parseReadTrackInformation(closed).lastRecordedAddress, 0x1a3f);
    const short = Buffer.from(TRACK_INFO.subarray(0, 28));
    short.writeUInt16BE(26, 0);
    assert.equal(parseReadTrackInformation(junk(short, 48)).lastRecordedAddress, undefined);
    assert.equal(parseReadTrackInformation(junk(short, 48)).track, 2, 'MSB byte 32 is junk and ignored');
    assert.throws(() => parseReadTrackInformation(TRACK_INFO.subarray(0, 20)), isShort);
  });
});

describe('READ TOC/PMA/ATIP', () => {
  const toc = hex('0012 01 02 00 14 01 00 00000000 00 14 02 00 00001a40 00 14 aa 00 00001c00');
  it('format 0: tracks and lead-out, with a trailing partial descriptor ignored', () => {
    const { header, tracks } = parseTocTracks(toc);
    assert.deepEqual(header, { first: 1, last: 2 });
    assert.deepEqual(tracks.map((t) => [t.track, t.address, t.control]), [[1, 0, 4], [2, 0x1a40, 4]]);
    // tgt's replies are two bytes short: the length field says 26 bytes, only 24 arrive
    const tgtLike = Buffer.from(toc.subarray(0, 24));
    tgtLike.writeUInt16BE(0x18, 0);
    assert.equal(parseTocTracks(tgtLike).tracks.length, 2);
  });
  it('format 1: start of the last complete session', () => {
    const s = parseSessionInfo(junk(hex('000a 01 02 00 14 02 00 00001a40'), 64));
    assert.deepEqual(s, { firstCompleteSession: 1, lastCompleteSession: 2, firstTrackInLastSession: 2, lastSessionStart: 0x1a40 });
    assert.equal(parseSessionInfo(hex('0002 01 01')).lastSessionStart, undefined);
  });
  it('format 2: full TOC descriptors', () => {
    const full = hex('0018 01 01 01 14 00 a0 000000 00 010000 01 14 00 a2 000000 00 04 1e 00');
    const { entries } = parseFullToc(full);
    assert.equal(entries.length, 2);
    assert.equal(entries[1].point, 0xa2);
    assert.deepEqual(entries[1].ptime, { minute: 4, second: 30, frame: 0 });
    assert.equal(msfToLba(4, 30, 0), 20100);
    assert.equal(msfToLba(0, 2, 0), 0);
  });
});

describe('GET CONFIGURATION', () => {
  const config = hex(
    '00000024 0000 001b' + // header: 36 bytes follow, current profile DVD+R
      '0000 03 0c 001b 01 00 0010 00 00 0009 00 00' + // profile list
      '0001 07 08 00000002 01000000' + // core, ATAPI
      '0021 03 ff 0000', // incremental streaming writable, additional length lies (FFh)
  );
  it('reads the current profile and complete features, dropping one whose length runs past the reply', () => {
    const c = parseGetConfiguration(config);
    assert.equal(c.currentProfile, PROFILE.dvdPlusR);
    assert.deepEqual(c.features.map((f) => f.code), [FEATURE.profileList, FEATURE.core]);
    const list = parseProfileList(findFeature(c, FEATURE.profileList)!);
    assert.deepEqual(list, [
      { profile: PROFILE.dvdPlusR, current: true },
      { profile: PROFILE.dvdRom, current: false },
      { profile: PROFILE.cdR, current: false },
    ]);
    assert.equal(findFeature(c, FEATURE.core)?.version, 1);
    assert.equal(findFeature(c, FEATURE.core)?.current, true);
  });
  it('takes the header alone and ignores junk beyond the data length', () => {
    const headOnly = junk(hex('00000004 0000 0009'), 256);
    const c = parseGetConfiguration(headOnly);
    assert.equal(c.currentProfile, PROFILE.cdR);
    assert.equal(c.features.length, 0);
    assert.throws(() => parseGetConfiguration(hex('00000004 0000')), isShort);
  });
});

describe('other replies', () => {
  it('INQUIRY identification strings, peripheral type', () => {
    const inq = Buffer.alloc(36);
    inq[0] = 0x05; inq[1] = 0x80; inq[4] = 31;
    inq.write('HL-DT-ST', 8); inq.write('DVDRAM GH24NSD1 ', 16); inq.write('LG00', 32);
    const d = parseInquiry(junk(inq, 96));
    assert.deepEqual([d.peripheralType, d.removable, d.vendor, d.product, d.revision], [5, true, 'HL-DT-ST', 'DVDRAM GH24NSD1', 'LG00']);
    const short = parseInquiry(inq.subarray(0, 20));
    assert.equal(short.product, 'DVDR');
  });
  it('READ CAPACITY, including the blank-disc FFFFFFFFh', () => {
    assert.deepEqual(parseReadCapacity(hex('00001bff 00000800')), { lastLba: 0x1bff, blockLength: 2048, blocks: 0x1c00 });
    assert.equal(parseReadCapacity(hex('ffffffff 00000800')).blocks, 0);
    assert.throws(() => parseReadCapacity(hex('000000')), isShort);
  });
  it('GET EVENT STATUS media event', () => {
    const e = parseGetEventStatus(hex('0006 04 5e 02 02 00 00'));
    assert.deepEqual(e.media, { event: 'new-media', mediumPresent: true, trayOpen: false });
    assert.equal(parseGetEventStatus(hex('0002 84 10')).noEventAvailable, true);
  });
  it('READ BUFFER CAPACITY bytes and blocks', () => {
    assert.deepEqual(parseReadBufferCapacity(hex('000a 0000 00200000 00180000')), { unit: 'bytes', bufferLength: 0x200000, blankLength: 0x180000 });
    assert.deepEqual(parseReadBufferCapacity(hex('000a 0000 0000 0100 00000300')), { unit: 'blocks', availableBlocks: 0x300 });
  });
  it('GET PERFORMANCE write speed descriptors', () => {
    const r = hex('00000024 00 000000' + '02000000 0023053f 00002b48 000015a4' + '00000000 0023053f 00002b48 00000ad2');
    assert.deepEqual(parseWriteSpeeds(junk(r, 80)).map((d) => d.writeKBps), [5540, 2770]);
  });
  it('mode pages 05h and 2Ah, found past block descriptors', () => {
    const page05 = Buffer.concat([hex('0532 42 c0 08 00 00 00 00 00 00000010'), Buffer.alloc(38)]);
    const caps = hex('2a26 3b 13 c0 00 29 00 0000 0000 0800 0000 0000 0000 0000 0000 0000 0000 0000 0002 0000 15a4 0000 0ad2');
    const body = Buffer.concat([Buffer.alloc(8, 0x11), page05, caps]);
    const head = hex('0000 00 00 0000 0008');
    head.writeUInt16BE(6 + body.length, 0);
    const reply = junk(Buffer.concat([head, body]), 400);
    const wp = parseWriteParameters(findModePage(reply, 0x05)!);
    assert.equal(wp.writeType, WRITE_TYPE.sessionAtOnce);
    assert.equal(wp.bufferUnderrunFree, true);
    assert.equal(wp.multisession, 3);
    assert.equal(wp.packetSize, 16);
    const changed = encodeWriteParameters(findModePage(reply, 0x05)!, { ...wp, writeType: WRITE_TYPE.trackAtOnce, multisession: 3, testWrite: true });
    assert.equal(changed.length, 52);
    assert.deepEqual(parseWriteParameters(changed), { ...wp, writeType: WRITE_TYPE.trackAtOnce, testWrite: true });
    const c = parseCapabilities(findModePage(reply, 0x2a)!);
    assert.equal(c.writes.dvdR, true);
    assert.equal(c.multisession, true);
    assert.equal(c.bufferUnderrunProtection, true);
    assert.equal(c.ejectSupported, true);
    assert.equal(c.bufferSizeKiB, 2048);
    assert.deepEqual(c.writeSpeeds, [5540, 2770]);
    assert.equal(findModePage(reply, 0x08), undefined);
  });
});

describe('profiles', () => {
  it('names profiles and classifies them', () => {
    assert.equal(profileName(PROFILE.dvdPlusR), 'DVD+R');
    assert.equal(profileName(PROFILE.bdRSequential), 'BD-R sequential recording (SRM)');
    assert.equal(profileInfo(PROFILE.cdRw).recording, 'sequential');
    assert.equal(profileInfo(PROFILE.dvdPlusRw).recording, 'overwrite');
    assert.equal(profileInfo(0x1234).recording, 'read-only');
    assert.equal(profileName(0x1234), 'profile 1234h');
  });
});
