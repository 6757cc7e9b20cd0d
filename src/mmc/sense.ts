// Sense data (SPC-4 4.5: fixed format 4.5.3, descriptor format 4.5.2; ASC/ASCQ per SPC-4 Annex D.2 and MMC-6 Annex F).

export const SENSE_KEY = {
  noSense: 0x0,
  recoveredError: 0x1,
  notReady: 0x2,
  mediumError: 0x3,
  hardwareError: 0x4,
  illegalRequest: 0x5,
  unitAttention: 0x6,
  dataProtect: 0x7,
  blankCheck: 0x8,
  abortedCommand: 0xb,
  miscompare: 0xe,
} as const;

const SENSE_KEY_NAMES: readonly string[] = [
  'NO SENSE', 'RECOVERED ERROR', 'NOT READY', 'MEDIUM ERROR', 'HARDWARE ERROR', 'ILLEGAL REQUEST',
  'UNIT ATTENTION', 'DATA PROTECT', 'BLANK CHECK', 'VENDOR SPECIFIC', 'COPY ABORTED', 'ABORTED COMMAND',
  'RESERVED (0Ch)', 'VOLUME OVERFLOW', 'MISCOMPARE', 'COMPLETED',
];

export type SenseFormat = 'fixed' | 'descriptor';

export interface SenseData {
  readonly format: SenseFormat;
  /** 70h/72h current error, 71h/73h deferred error (an earlier command, e.g. a buffered WRITE, failed). */
  readonly deferred: boolean;
  readonly key: number;
  readonly asc: number;
  readonly ascq: number;
  /** INFORMATION field when VALID is set (usually the failing LBA). */
  readonly information?: number;
  /** Progress of a long operation, 0..1, from the sense-key specific field (SPC-4 4.5.2.4.4). */
  readonly progress?: number;
}

function progressFrom(sksv: number, hi: number, lo: number): number | undefined {
  if ((sksv & 0x80) === 0) return undefined;
  return ((hi << 8) | lo) / 0x10000;
}

function decodeFixed(s: Buffer, code: number): SenseData {
  const additional = s.length > 7 ? s[7] : 0;
  const end = Math.min(s.length, 8 + additional);
  const at = (i: number): number => (i < end ? s[i] : 0);
  const valid = (s[0] & 0x80) !== 0 && s.length >= 7;
  const key = s.length > 2 ? s[2] & 0x0f : 0;
  // The progress indication lives in bytes 16-17 only for NOT READY and NO SENSE (SPC-4 4.5.2.4.4).
  const progress = (key === SENSE_KEY.notReady || key === SENSE_KEY.noSense) && end >= 18
    ? progressFrom(s[15], s[16], s[17]) : undefined;
  return {
    format: 'fixed',
    deferred: code === 0x71,
    key,
    asc: at(12),
    ascq: at(13),
    information: valid ? s.readUInt32BE(3) : undefined,
    progress,
  };
}

function decodeDescriptor(s: Buffer, code: number): SenseData {
  const additional = s.length > 7 ? s[7] : 0;
  const end = Math.min(s.length, 8 + additional);
  let information: number | undefined;
  let progress: number | undefined;
  // Descriptors are walked by their own length bytes and never past `end`.
  for (let p = 8; p + 2 <= end; ) {
    const type = s[p];
    const len = s[p + 1];
    if (p + 2 + len > end) break;
    if (type === 0x00 && len >= 0x0a && (s[p + 2] & 0x80) !== 0) {
      const value = s.readBigUInt64BE(p + 4);
      information = value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
    } else if (type === 0x02 && len >= 6) {
      progress = progressFrom(s[p + 4], s[p + 5], s[p + 6]);
    }
    p += 2 + len;
  }
  return {
    format: 'descriptor',
    deferred: code === 0x73,
    key: s.length > 1 ? s[1] & 0x0f : 0,
    asc: s.length > 2 ? s[2] : 0,
    ascq: s.length > 3 ? s[3] : 0,
    information,
    progress,
  };
}

/** Decodes sense bytes; undefined when there are none or the response code is not 70h-73h. */
export function decodeSense(sense: Buffer): SenseData | undefined {
  if (sense.length < 2) return undefined;
  const code = sense[0] & 0x7f;
  if (code === 0x70 || code === 0x71) return sense.length >= 3 ? decodeFixed(sense, code) : undefined;
  if (code === 0x72 || code === 0x73) return decodeDescriptor(sense, code);
  return undefined;
}

export function senseKeyName(key: number): string {
  return SENSE_KEY_NAMES[key & 0x0f];
}

/** key/ASC/ASCQ → message; an ASCQ of -1 matches any qualifier. Most specific entry wins. */
const MESSAGES: ReadonlyArray<readonly [number, number, number, string]> = [
  [0x0, 0x00, 0x00, 'no additional sense information'],
  [0x0, 0x00, 0x16, 'operation in progress'],
  [0x1, 0x17, -1, 'recovered data with retries'],
  [0x1, 0x18, -1, 'recovered data with error correction'],
  [0x2, 0x04, 0x00, 'not ready, cause not reportable'],
  [0x2, 0x04, 0x01, 'drive is becoming ready'],
  [0x2, 0x04, 0x02, 'not ready, initializing command required'],
  [0x2, 0x04, 0x04, 'not ready, format in progress'],
  [0x2, 0x04, 0x07, 'not ready, operation in progress'],
  [0x2, 0x04, 0x08, 'not ready, long write in progress'],
  [0x2, 0x04, -1, 'drive is not ready'],
  [0x2, 0x30, -1, 'incompatible medium installed'],
  [0x2, 0x3a, 0x00, 'no medium present'],
  [0x2, 0x3a, 0x01, 'no medium present, tray closed'],
  [0x2, 0x3a, 0x02, 'no medium present, tray open'],
  [0x2, 0x3a, -1, 'no medium present'],
  [0x3, 0x02, 0x00, 'no seek complete'],
  [0x3, 0x0c, 0x00, 'write error'],
  [0x3, 0x0c, -1, 'write error'],
  [0x3, 0x11, 0x00, 'unrecovered read error'],
  [0x3, 0x11, -1, 'unrecovered read error'],
  [0x3, 0x15, -1, 'positioning error'],
  [0x3, 0x31, 0x00, 'medium format corrupted'],
  [0x3, 0x51, 0x00, 'erase failure'],
  [0x3, 0x73, 0x03, 'power calibration area error'],
  [0x3, 0x73, -1, 'CD control error'],
  [0x4, 0x08, -1, 'logical unit communication failure'],
  [0x4, 0x44, 0x00, 'internal target failure'],
  [0x5, 0x1a, 0x00, 'parameter list length error'],
  [0x5, 0x20, 0x00, 'invalid command operation code'],
  [0x5, 0x21, 0x00, 'logical block address out of range'],
  [0x5, 0x21, 0x02, 'invalid address for write'],
  [0x5, 0x21, -1, 'logical block address out of range'],
  [0x5, 0x24, 0x00, 'invalid field in CDB'],
  [0x5, 0x26, 0x00, 'invalid field in parameter list'],
  [0x5, 0x26, -1, 'invalid parameter list'],
  [0x5, 0x27, -1, 'write protected'],
  [0x5, 0x2c, 0x00, 'command sequence error'],
  [0x5, 0x30, 0x05, 'cannot write medium, incompatible format'],
  [0x5, 0x30, -1, 'incompatible medium installed'],
  [0x5, 0x64, 0x00, 'illegal mode for this track'],
  [0x5, 0x64, 0x01, 'invalid packet size'],
  [0x5, 0x6f, -1, 'copy protection key exchange failure'],
  [0x5, 0x72, 0x00, 'session fixation error'],
  [0x5, 0x72, 0x01, 'session fixation error writing lead-in'],
  [0x5, 0x72, 0x02, 'session fixation error writing lead-out'],
  [0x5, 0x72, 0x03, 'session fixation error, incomplete track in session'],
  [0x5, 0x72, 0x04, 'empty or partially written reserved track'],
  [0x5, 0x72, 0x05, 'no more track reservations allowed'],
  [0x5, 0x72, -1, 'session fixation error'],
  [0x5, 0x73, -1, 'CD control error'],
  [0x6, 0x28, 0x00, 'medium may have changed'],
  [0x6, 0x29, 0x00, 'power on, reset, or bus device reset occurred'],
  [0x6, 0x29, -1, 'reset occurred'],
  [0x6, 0x2a, -1, 'parameters changed'],
  [0x6, 0x3f, -1, 'operating conditions have changed'],
  [0x6, 0x5a, 0x01, 'operator medium removal request'],
  [0x7, 0x27, -1, 'write protected'],
  [0x8, 0x00, -1, 'blank check: reading an unwritten block'],
  [0xb, 0x00, 0x00, 'command aborted'],
  [0xb, 0x47, -1, 'SCSI parity error'],
  [0xb, 0x4e, 0x00, 'overlapped commands attempted'],
];

export function senseMessage(key: number, asc: number, ascq: number): string {
  const exact = MESSAGES.find(([k, a, q]) => k === key && a === asc && q === ascq);
  if (exact) return exact[3];
  const anyQualifier = MESSAGES.find(([k, a, q]) => k === key && a === asc && q === -1);
  if (anyQualifier) return anyQualifier[3];
  const sameAsc = MESSAGES.find(([, a, q]) => a === asc && (q === ascq || q === -1));
  if (sameAsc) return sameAsc[3];
  return `${senseKeyName(key).toLowerCase()}, ASC ${hex2(asc)}h ASCQ ${hex2(ascq)}h`;
}

export function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

/** "2/3A/00" style triple used in logs and error data. */
export function senseTriple(key: number, asc: number, ascq: number): string {
  return `${key.toString(16).toUpperCase()}/${hex2(asc)}/${hex2(ascq)}`;
}
