// Operation codes of the SPC-4 and MMC-6 commands discfs issues (MMC-6 Table 5, SPC-4 Annex D.3.1).

export const OPCODE = {
  testUnitReady: 0x00,
  requestSense: 0x03,
  formatUnit: 0x04,
  inquiry: 0x12,
  startStopUnit: 0x1b,
  preventAllowMediumRemoval: 0x1e,
  readCapacity: 0x25,
  read10: 0x28,
  write10: 0x2a,
  synchronizeCache: 0x35,
  readTocPmaAtip: 0x43,
  getConfiguration: 0x46,
  getEventStatusNotification: 0x4a,
  readDiscInformation: 0x51,
  readTrackInformation: 0x52,
  reserveTrack: 0x53,
  modeSelect10: 0x55,
  modeSense10: 0x5a,
  closeTrackSession: 0x5b,
  readBufferCapacity: 0x5c,
  blank: 0xa1,
  read12: 0xa8,
  write12: 0xaa,
  getPerformance: 0xac,
  setStreaming: 0xb6,
  setCdSpeed: 0xbb,
} as const;

export type OpcodeName = keyof typeof OPCODE;

const DISPLAY_NAMES: Record<OpcodeName, string> = {
  testUnitReady: 'TEST UNIT READY',
  requestSense: 'REQUEST SENSE',
  formatUnit: 'FORMAT UNIT',
  inquiry: 'INQUIRY',
  startStopUnit: 'START STOP UNIT',
  preventAllowMediumRemoval: 'PREVENT ALLOW MEDIUM REMOVAL',
  readCapacity: 'READ CAPACITY',
  read10: 'READ(10)',
  write10: 'WRITE(10)',
  synchronizeCache: 'SYNCHRONIZE CACHE',
  readTocPmaAtip: 'READ TOC/PMA/ATIP',
  getConfiguration: 'GET CONFIGURATION',
  getEventStatusNotification: 'GET EVENT STATUS NOTIFICATION',
  readDiscInformation: 'READ DISC INFORMATION',
  readTrackInformation: 'READ TRACK INFORMATION',
  reserveTrack: 'RESERVE TRACK',
  modeSelect10: 'MODE SELECT(10)',
  modeSense10: 'MODE SENSE(10)',
  closeTrackSession: 'CLOSE TRACK/SESSION',
  readBufferCapacity: 'READ BUFFER CAPACITY',
  blank: 'BLANK',
  read12: 'READ(12)',
  write12: 'WRITE(12)',
  getPerformance: 'GET PERFORMANCE',
  setStreaming: 'SET STREAMING',
  setCdSpeed: 'SET CD SPEED',
};

const BY_CODE = new Map<number, string>(
  (Object.keys(OPCODE) as OpcodeName[]).map((name) => [OPCODE[name], DISPLAY_NAMES[name]]),
);

/** "READ(10)" for 28h; "opcode 0xNN" for codes discfs does not issue. */
export function opcodeName(opcode: number): string {
  return BY_CODE.get(opcode) ?? `opcode 0x${opcode.toString(16).padStart(2, '0')}`;
}
