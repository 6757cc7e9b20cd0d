// Reply encoders of the drive model: disc/track information, TOC, configuration, sense (MMC-5 6.6, 6.22, 6.26, 6.27; SPC-4 4.5).
import { DiscState, ModelCheck, ModelMedium } from './disc-state';

const PROFILE_NUMBER: Record<ModelMedium, number> = {
  'dvd+r': 0x001b, 'cd-r': 0x0009, 'dvd-r': 0x0011, 'bd-r': 0x0041, 'dvd+rw': 0x001a, 'bd-re': 0x0043,
};
export const DVD_ROM_PROFILE = 0x0010;
export const CD_ROM_PROFILE = 0x0008;

export function profileOf(medium: ModelMedium): number {
  return PROFILE_NUMBER[medium];
}

export function fixedSense(c: ModelCheck): Buffer {
  const s = Buffer.alloc(18);
  s[0] = 0x70 | (c.information !== undefined ? 0x80 : 0);
  s[2] = c.key;
  if (c.information !== undefined) s.writeUInt32BE(c.information >>> 0, 3);
  s[7] = 10;
  s[12] = c.asc;
  s[13] = c.ascq;
  return s;
}

export function descriptorSense(c: ModelCheck): Buffer {
  const info = c.information !== undefined;
  const s = Buffer.alloc(info ? 20 : 8);
  s[0] = 0x72;
  s[1] = c.key;
  s[2] = c.asc;
  s[3] = c.ascq;
  if (info) {
    s[7] = 12;
    s[8] = 0x00;
    s[9] = 0x0a;
    s[10] = 0x80;
    s.writeBigUInt64BE(BigInt(c.information ?? 0), 12);
  }
  return s;
}

const DISC_STATUS = { blank: 0, appendable: 1, complete: 2 } as const;
const SESSION_STATE = { empty: 0, incomplete: 1, complete: 3 } as const;

/** Overwritable media: one complete session of one track once formatted (MMC-5 6.22.3.1.3), blank before. */
function overwriteDiscInformation(d: DiscState): Buffer {
  const b = Buffer.alloc(34);
  b.writeUInt16BE(32, 0);
  b[2] = 0x10 | (d.formatted ? (SESSION_STATE.complete << 2) | DISC_STATUS.complete : DISC_STATUS.blank);
  b[3] = 1; b[4] = 1; b[5] = 1; b[6] = 1;
  b[7] = d.formatted ? 0x03 : 0x00; // BG format status: complete.
  b[8] = 0xff;
  b.writeUInt32BE(0xffffffff, 16);
  b.writeUInt32BE(0xffffffff, 20);
  return b;
}

export function discInformation(d: DiscState): Buffer {
  if (d.overwritable) return overwriteDiscInformation(d);
  const b = Buffer.alloc(34);
  b.writeUInt16BE(32, 0);
  const status = d.isBlank ? DISC_STATUS.blank : d.finalized ? DISC_STATUS.complete : DISC_STATUS.appendable;
  const lastState = d.finalized ? SESSION_STATE.complete : d.openSession ? SESSION_STATE.incomplete : SESSION_STATE.empty;
  b[2] = (lastState << 2) | status;
  b[3] = 1;
  // The number of sessions counts the empty or incomplete session at the end, as MMC-5 6.22.3.1.5 says.
  const sessions = d.sessions.length + (d.finalized || d.openSession ? 0 : 1);
  const firstInLast = d.finalized ? d.tracks.filter((t) => t.session === d.sessions.length)[0]?.number ?? 1 : d.invisibleTrackNumber;
  const lastInLast = d.finalized ? d.tracks.length : d.invisibleTrackNumber;
  b[4] = sessions & 0xff;
  b[5] = firstInLast & 0xff;
  b[6] = lastInLast & 0xff;
  b[8] = d.medium === 'cd-r' ? 0x00 : 0xff;
  b[9] = sessions >> 8;
  b[10] = firstInLast >> 8;
  b[11] = lastInLast >> 8;
  b.writeUInt32BE(0xffffffff, 16);
  b.writeUInt32BE(0xffffffff, 20);
  return b;
}

/** Overwritable media: track 1 spans the formatted area; the fixed packet size names the write unit. */
function overwriteTrackInformation(d: DiscState, writeUnit: number): Buffer {
  const b = Buffer.alloc(48);
  b.writeUInt16BE(46, 0);
  b[2] = 1; b[3] = 1;
  b[5] = 0x04;
  b[6] = 0x10 | 0x01; // Fixed packet: writes go in whole units.
  b[7] = 0x01;
  b.writeUInt32BE(0, 8);
  b.writeUInt32BE(0, 12);
  b.writeUInt32BE(d.formatted ? d.capacity : 0, 16);
  b.writeUInt32BE(writeUnit, 20);
  b.writeUInt32BE(d.formatted ? d.capacity : 0, 24);
  return b;
}

export function trackInformation(d: DiscState, trackNumber: number, nwaValid = true, writeUnit = 1): Buffer {
  if (d.overwritable) return overwriteTrackInformation(d, writeUnit);
  const b = Buffer.alloc(48);
  b.writeUInt16BE(46, 0);
  const track = d.tracks.find((t) => t.number === trackNumber);
  const invisible = !d.finalized && (track === undefined || !track.closed) && trackNumber === d.invisibleTrackNumber;
  const session = track?.session ?? d.sessions.length + (d.openSession ? 0 : 1);
  b[2] = trackNumber & 0xff;
  b[3] = session & 0xff;
  b[5] = 0x04; // Track mode: data, recorded uninterrupted.
  b[6] = (invisible && (track?.size ?? 0) === 0 ? 0x40 : 0) | 0x01; // Blank bit; data mode 1.
  const start = track?.start ?? d.nextWritable;
  b.writeUInt32BE(start, 8);
  if (invisible) {
    b[7] = (nwaValid ? 0x01 : 0) | ((track?.size ?? 0) > 0 ? 0x02 : 0);
    b.writeUInt32BE(d.nextWritable, 12);
    b.writeUInt32BE(d.freeBlocks, 16);
    b.writeUInt32BE((track?.size ?? 0) + d.freeBlocks, 24);
  } else if (track) {
    b[7] = 0x02;
    b.writeUInt32BE(track.size, 24);
  }
  const size = track?.size ?? 0;
  if (size > 0) b.writeUInt32BE(start + size - 1, 28);
  b[32] = trackNumber >> 8;
  b[33] = session >> 8;
  return b;
}

/** Tracks of closed sessions: what a READ TOC shows (the invisible track is not in the TOC). */
function tocTracks(d: DiscState): DiscState['tracks'] {
  const closed = new Set(d.sessions.filter((s) => s.closed).map((s) => s.number));
  return d.tracks.filter((t) => closed.has(t.session));
}

export function tocFormat0(d: DiscState): Buffer {
  const tracks = tocTracks(d);
  const b = Buffer.alloc(4 + 8 * (tracks.length + 1));
  b.writeUInt16BE(b.length - 2, 0);
  b[2] = tracks[0]?.number ?? 1;
  b[3] = tracks[tracks.length - 1]?.number ?? 1;
  tracks.forEach((t, i) => {
    b[4 + 8 * i + 1] = 0x14;
    b[4 + 8 * i + 2] = t.number;
    b.writeUInt32BE(t.start, 4 + 8 * i + 4);
  });
  const p = 4 + 8 * tracks.length;
  b[p + 1] = 0x14;
  b[p + 2] = 0xaa;
  b.writeUInt32BE(d.lastRecordedLba + 1, p + 4);
  return b;
}

export function tocFormat1(d: DiscState): Buffer {
  const tracks = tocTracks(d);
  const lastSession = tracks.length ? tracks[tracks.length - 1].session : 1;
  const first = tracks.find((t) => t.session === lastSession);
  const b = Buffer.alloc(12);
  b.writeUInt16BE(10, 0);
  b[2] = 1;
  b[3] = lastSession;
  b[5] = 0x14;
  b[6] = first?.number ?? 1;
  b.writeUInt32BE(first?.start ?? 0, 8);
  return b;
}

function msf(lba: number): [number, number, number] {
  const f = lba + 150;
  return [Math.floor(f / 4500), Math.floor(f / 75) % 60, f % 75];
}

/** Full TOC (CD only): A0 first track, A1 last track, A2 lead-out, then one POINT per track, for each session. */
export function tocFormat2(d: DiscState): Buffer {
  const entries: Buffer[] = [];
  const tracks = tocTracks(d);
  const sessionNumbers = [...new Set(tracks.map((t) => t.session))];
  for (const s of sessionNumbers) {
    const own = tracks.filter((t) => t.session === s);
    const last = own[own.length - 1];
    const leadOut = msf(last.start + last.size);
    const point = (p: number, pm: number, ps: number, pf: number): void => {
      const e = Buffer.alloc(11);
      e[0] = s; e[1] = 0x14; e[3] = p; e[8] = pm; e[9] = ps; e[10] = pf;
      entries.push(e);
    };
    point(0xa0, own[0].number, 0, 0);
    point(0xa1, last.number, 0, 0);
    point(0xa2, ...leadOut);
    for (const t of own) point(t.number, ...msf(t.start));
  }
  const body = Buffer.concat(entries);
  const b = Buffer.alloc(4 + body.length);
  b.writeUInt16BE(b.length - 2, 0);
  b[2] = sessionNumbers[0] ?? 1;
  b[3] = sessionNumbers[sessionNumbers.length - 1] ?? 1;
  body.copy(b, 4);
  return b;
}

function feature(code: number, current: boolean, data: Buffer, version = 0): Buffer {
  const head = Buffer.from([code >> 8, code & 0xff, (version << 2) | 0x02 | (current ? 1 : 0), data.length]);
  return Buffer.concat([head, data]);
}

/** Profile list (both model profiles, the loaded one current) and the Core feature (ATAPI, 0002h). */
export function configuration(current: number, rt: number, startingFeature: number): Buffer {
  const profiles = [0x0043, 0x0041, 0x0040, 0x001b, 0x001a, 0x0011, 0x0010, 0x0009, 0x0008];
  const list = Buffer.concat(profiles.map((p) => Buffer.from([p >> 8, p & 0xff, p === current ? 1 : 0, 0])));
  const all: Array<[number, Buffer]> = [
    [0x0000, feature(0x0000, true, list)],
    [0x0001, feature(0x0001, true, Buffer.from([0, 0, 0, 2, 1, 0, 0, 0]), 1)],
    [0x0021, feature(0x0021, [0x001b, 0x0009, 0x0011, 0x0041].includes(current), Buffer.from([0, 1, 0, 1, 0, 0, 0, 0]))],
  ];
  const wanted = all.filter(([code]) => (rt === 2 ? code === startingFeature : code >= startingFeature));
  const body = Buffer.concat(wanted.map(([, f]) => f));
  const b = Buffer.alloc(8 + body.length);
  b.writeUInt32BE(b.length - 4, 0);
  b.writeUInt16BE(current, 6);
  body.copy(b, 8);
  return b;
}
