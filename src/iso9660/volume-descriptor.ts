// ECMA-119 8.1-8.5: volume descriptors (boot record, primary, supplementary/Joliet, enhanced version 2, terminator).

import type { Timespec } from '../tree/node';
import { requireBytes, StructureError } from './bounds';
import { readBoth16, readBoth32, writeBoth16, writeBoth32 } from './both-endian';
import { decodeLongDate, encodeLongDate } from './datetime';

export const VOLUME_DESCRIPTOR_SIZE = 2048;
/** ECMA-119 6.2.1: the system area occupies the first 16 blocks of a session. */
export const SYSTEM_AREA_BLOCKS = 16;
export const STANDARD_IDENTIFIER = 'CD001';
export const REQUIRED_LOGICAL_BLOCK_SIZE = 2048;

export const VolumeDescriptorType = {
  bootRecord: 0,
  primary: 1,
  supplementary: 2,
  partition: 3,
  terminator: 255,
} as const;

/** Byte positions (0-based offset, length) of ECMA-119 8.4 fields, shared by the decoder and the encoder. */
export const PVD_FIELDS = {
  type: [0, 1],
  standardId: [1, 5],
  version: [6, 1],
  flags: [7, 1],
  systemId: [8, 32],
  volumeId: [40, 32],
  volumeSpaceSize: [80, 8],
  escapeSequences: [88, 32],
  volumeSetSize: [120, 4],
  volumeSequenceNumber: [124, 4],
  logicalBlockSize: [128, 4],
  pathTableSize: [132, 8],
  typeLPathTable: [140, 4],
  optTypeLPathTable: [144, 4],
  typeMPathTable: [148, 4],
  optTypeMPathTable: [152, 4],
  rootDirectoryRecord: [156, 34],
  volumeSetId: [190, 128],
  publisherId: [318, 128],
  preparerId: [446, 128],
  applicationId: [574, 128],
  copyrightFileId: [702, 37],
  abstractFileId: [739, 37],
  bibliographicFileId: [776, 37],
  creationDate: [813, 17],
  modificationDate: [830, 17],
  expirationDate: [847, 17],
  effectiveDate: [864, 17],
  fileStructureVersion: [881, 1],
  applicationUse: [883, 512],
} as const satisfies Record<string, readonly [number, number]>;

/** Joliet escape sequences (Joliet spec 5.1) in the SVD's escape-sequence field: UCS-2 levels 1..3. */
export const JOLIET_ESCAPES: readonly { level: 1 | 2 | 3; bytes: Buffer }[] = [
  { level: 1, bytes: Buffer.from('%/@', 'latin1') },
  { level: 2, bytes: Buffer.from('%/C', 'latin1') },
  { level: 3, bytes: Buffer.from('%/E', 'latin1') },
];

export const EL_TORITO_SYSTEM_ID = 'EL TORITO SPECIFICATION';

/** A primary (8.4), supplementary (8.5, version 1) or enhanced (8.5, version 2) volume descriptor. */
export interface VolumeDescriptorCommon {
  systemId: string;
  volumeId: Buffer;
  volumeSpaceSize: number;
  logicalBlockSize: number;
  pathTableSize: number;
  typeLPathTable: number;
  typeMPathTable: number;
  /** The 34-byte root directory record, decoded by directory-record.ts. */
  rootRecord: Buffer;
  creationDate?: Timespec;
  modificationDate?: Timespec;
  /** Both-byte-order mismatches and other field defects (never fatal here). */
  defects: string[];
}

export type VolumeDescriptor =
  | ({ kind: 'primary' } & VolumeDescriptorCommon)
  | ({ kind: 'supplementary'; jolietLevel?: 1 | 2 | 3; escapeSequences: Buffer } & VolumeDescriptorCommon)
  | ({ kind: 'enhanced' } & VolumeDescriptorCommon)
  | { kind: 'boot'; bootSystemId: string; elTorito: boolean }
  | { kind: 'partition' }
  | { kind: 'terminator' }
  | { kind: 'unknown'; type: number };

function field(buf: Buffer, name: keyof typeof PVD_FIELDS): Buffer {
  const [offset, length] = PVD_FIELDS[name];
  return buf.subarray(offset, offset + length);
}

function trimmedText(buf: Buffer): string {
  return buf.toString('latin1').replace(/[ \0]+$/, '');
}

/** True when the block starts with a type byte and "CD001" (ECMA-119 8.1). */
export function hasStandardIdentifier(buf: Buffer): boolean {
  return buf.length >= 7 && buf.toString('latin1', 1, 6) === STANDARD_IDENTIFIER;
}

function decodeCommon(buf: Buffer): VolumeDescriptorCommon {
  const defects: string[] = [];
  const both32 = (name: keyof typeof PVD_FIELDS): number => {
    const n = readBoth32(buf, PVD_FIELDS[name][0], name);
    if (n.mismatch) defects.push(`${name}: little- and big-endian halves differ`);
    return n.value;
  };
  const blockSize = readBoth16(buf, PVD_FIELDS.logicalBlockSize[0], 'logicalBlockSize');
  if (blockSize.mismatch) defects.push('logicalBlockSize: little- and big-endian halves differ');
  return {
    systemId: trimmedText(field(buf, 'systemId')),
    volumeId: Buffer.from(field(buf, 'volumeId')),
    volumeSpaceSize: both32('volumeSpaceSize'),
    logicalBlockSize: blockSize.value,
    pathTableSize: both32('pathTableSize'),
    typeLPathTable: buf.readUInt32LE(PVD_FIELDS.typeLPathTable[0]),
    typeMPathTable: buf.readUInt32BE(PVD_FIELDS.typeMPathTable[0]),
    rootRecord: Buffer.from(field(buf, 'rootDirectoryRecord')),
    creationDate: decodeLongDate(buf, PVD_FIELDS.creationDate[0]),
    modificationDate: decodeLongDate(buf, PVD_FIELDS.modificationDate[0]),
    defects,
  };
}

/** The Joliet level announced by an SVD's escape sequences, if any. */
export function jolietLevelOf(escapeSequences: Buffer): 1 | 2 | 3 | undefined {
  for (const e of JOLIET_ESCAPES) if (escapeSequences.indexOf(e.bytes) >= 0) return e.level;
  return undefined;
}

/** Decodes one 2048-byte volume descriptor. Throws StructureError when it is not one (no "CD001"). */
export function decodeVolumeDescriptor(buf: Buffer): VolumeDescriptor {
  requireBytes(buf, 0, VOLUME_DESCRIPTOR_SIZE, 'volume descriptor');
  if (!hasStandardIdentifier(buf)) throw new StructureError('standardId', 'standard identifier is not "CD001"');
  const type = buf[0];
  const version = buf[PVD_FIELDS.version[0]];
  switch (type) {
    case VolumeDescriptorType.bootRecord: {
      const bootSystemId = trimmedText(buf.subarray(7, 39));
      return { kind: 'boot', bootSystemId, elTorito: bootSystemId === EL_TORITO_SYSTEM_ID };
    }
    case VolumeDescriptorType.primary:
      return { kind: 'primary', ...decodeCommon(buf) };
    case VolumeDescriptorType.supplementary: {
      if (version === 2) return { kind: 'enhanced', ...decodeCommon(buf) };
      const escapeSequences = Buffer.from(field(buf, 'escapeSequences'));
      return { kind: 'supplementary', escapeSequences, jolietLevel: jolietLevelOf(escapeSequences), ...decodeCommon(buf) };
    }
    case VolumeDescriptorType.partition:
      return { kind: 'partition' };
    case VolumeDescriptorType.terminator:
      return { kind: 'terminator' };
    default:
      return { kind: 'unknown', type };
  }
}

// ---- Encoders (engine) ----

export interface VolumeDescriptorInput {
  /** 'primary' (8.4, a-/d-characters padded with spaces) or 'joliet' (8.5 with "%/E", UCS-2 BE padded with U+0020). */
  kind: 'primary' | 'joliet';
  systemId: string;
  volumeId: string;
  volumeSetId?: string;
  publisherId?: string;
  preparerId?: string;
  applicationId?: string;
  volumeSpaceSize: number;
  pathTableSize: number;
  typeLPathTable: number;
  typeMPathTable: number;
  /** The 34-byte root directory record (9.1 with identifier 0x00, no system use). */
  rootRecord: Buffer;
  creationDate: Timespec;
  modificationDate: Timespec;
}

function writeText(buf: Buffer, name: keyof typeof PVD_FIELDS, text: string, joliet: boolean): void {
  const [offset, length] = PVD_FIELDS[name];
  if (joliet) {
    const units = Math.floor(length / 2);
    for (let i = 0; i < units; i++) buf.writeUInt16BE(i < text.length ? text.charCodeAt(i) : 0x20, offset + i * 2);
    if (length % 2 === 1) buf[offset + length - 1] = 0x20;
  } else {
    buf.fill(0x20, offset, offset + length);
    buf.write(text.slice(0, length), offset, 'latin1');
  }
}

/** Encodes a PVD (ECMA-119 8.4) or a Joliet SVD (8.5 + Joliet 5.1 escape "%/E"). */
export function encodeVolumeDescriptor(input: VolumeDescriptorInput): Buffer {
  const buf = Buffer.alloc(VOLUME_DESCRIPTOR_SIZE);
  const joliet = input.kind === 'joliet';
  buf[0] = joliet ? VolumeDescriptorType.supplementary : VolumeDescriptorType.primary;
  buf.write(STANDARD_IDENTIFIER, PVD_FIELDS.standardId[0], 'latin1');
  buf[PVD_FIELDS.version[0]] = 1;
  writeText(buf, 'systemId', input.systemId, joliet);
  writeText(buf, 'volumeId', input.volumeId, joliet);
  writeBoth32(buf, PVD_FIELDS.volumeSpaceSize[0], input.volumeSpaceSize);
  if (joliet) JOLIET_ESCAPES[2].bytes.copy(buf, PVD_FIELDS.escapeSequences[0]);
  writeBoth16(buf, PVD_FIELDS.volumeSetSize[0], 1);
  writeBoth16(buf, PVD_FIELDS.volumeSequenceNumber[0], 1);
  writeBoth16(buf, PVD_FIELDS.logicalBlockSize[0], REQUIRED_LOGICAL_BLOCK_SIZE);
  writeBoth32(buf, PVD_FIELDS.pathTableSize[0], input.pathTableSize);
  buf.writeUInt32LE(input.typeLPathTable, PVD_FIELDS.typeLPathTable[0]);
  buf.writeUInt32BE(input.typeMPathTable, PVD_FIELDS.typeMPathTable[0]);
  input.rootRecord.copy(buf, PVD_FIELDS.rootDirectoryRecord[0], 0, PVD_FIELDS.rootDirectoryRecord[1]);
  writeText(buf, 'volumeSetId', input.volumeSetId ?? '', joliet);
  writeText(buf, 'publisherId', input.publisherId ?? '', joliet);
  writeText(buf, 'preparerId', input.preparerId ?? '', joliet);
  writeText(buf, 'applicationId', input.applicationId ?? '', joliet);
  writeText(buf, 'copyrightFileId', '', joliet);
  writeText(buf, 'abstractFileId', '', joliet);
  writeText(buf, 'bibliographicFileId', '', joliet);
  encodeLongDate(input.creationDate).copy(buf, PVD_FIELDS.creationDate[0]);
  encodeLongDate(input.modificationDate).copy(buf, PVD_FIELDS.modificationDate[0]);
  encodeLongDate(undefined).copy(buf, PVD_FIELDS.expirationDate[0]);
  encodeLongDate(input.creationDate).copy(buf, PVD_FIELDS.effectiveDate[0]);
  buf[PVD_FIELDS.fileStructureVersion[0]] = 1;
  return buf;
}

/** ECMA-119 8.3: the volume descriptor set terminator. */
export function encodeTerminator(): Buffer {
  const buf = Buffer.alloc(VOLUME_DESCRIPTOR_SIZE);
  buf[0] = VolumeDescriptorType.terminator;
  buf.write(STANDARD_IDENTIFIER, 1, 'latin1');
  buf[PVD_FIELDS.version[0]] = 1;
  return buf;
}
