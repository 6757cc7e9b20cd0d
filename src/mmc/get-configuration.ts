// GET CONFIGURATION (MMC-5 6.6): feature header with the current profile, then feature descriptors (MMC-5 5.2, 5.3).
import { cdb, putU16, ReplyView } from './bytes';
import { runCommand } from './command';
import { OPCODE } from './opcodes';
import { Transport } from './transport';

export const FEATURE = {
  profileList: 0x0000,
  core: 0x0001,
  morphing: 0x0002,
  removableMedium: 0x0003,
  randomReadable: 0x0010,
  multiRead: 0x001d,
  cdRead: 0x001e,
  dvdRead: 0x001f,
  randomWritable: 0x0020,
  incrementalStreamingWritable: 0x0021,
  formattable: 0x0023,
  restrictedOverwrite: 0x0026,
  dvdPlusRw: 0x002a,
  dvdPlusR: 0x002b,
  trackAtOnce: 0x002d,
  sessionAtOnce: 0x002e,
  dvdRwWrite: 0x002f,
  bdRead: 0x0040,
  bdWrite: 0x0041,
  powerManagement: 0x0100,
  realTimeStreaming: 0x0107,
} as const;

/** RT field of the CDB: every feature, only current ones, or exactly the one at `startingFeature`. */
export type FeatureRequest = 'all' | 'current' | 'one';
const REQUEST_TYPE: Record<FeatureRequest, number> = { all: 0, current: 1, one: 2 };

/** The reply length field counts 32 bits, but the allocation length is 16: 64 KiB is the most one call returns. */
export const GET_CONFIGURATION_ALLOCATION = 0xfff8;

export interface FeatureDescriptor {
  readonly code: number;
  readonly version: number;
  readonly persistent: boolean;
  readonly current: boolean;
  /** Feature-dependent data after the 4-byte descriptor header. */
  readonly data: Buffer;
}

export interface ProfileEntry {
  readonly profile: number;
  readonly current: boolean;
}

export interface Configuration {
  readonly currentProfile: number;
  readonly features: readonly FeatureDescriptor[];
}

export function buildGetConfiguration(
  request: FeatureRequest = 'all',
  startingFeature = 0,
  allocation = GET_CONFIGURATION_ALLOCATION,
): Buffer {
  const b = cdb(OPCODE.getConfiguration, 10);
  b[1] = REQUEST_TYPE[request];
  putU16(b, 2, startingFeature, 'starting feature number');
  putU16(b, 7, allocation, 'allocation length');
  return b;
}

export function parseGetConfiguration(reply: Buffer): Configuration {
  const v = ReplyView.byLengthField('GET CONFIGURATION', reply, 0, 4);
  v.require(8, 'feature header');
  const features: FeatureDescriptor[] = [];
  // A descriptor whose additional length runs past the reply is cut off: keep what is complete, drop the rest.
  for (let p = 8; v.has(p, 4); ) {
    const additional = v.u8(p + 3);
    if (!v.has(p, 4 + additional)) break;
    features.push({
      code: v.u16(p),
      version: v.bits(p + 2, 2, 4),
      persistent: v.bit(p + 2, 1),
      current: v.bit(p + 2, 0),
      data: v.slice(p + 4, additional),
    });
    p += 4 + additional;
  }
  return { currentProfile: v.u16(6), features };
}

/** Profile List feature (0000h) data: 4-byte profile descriptors (MMC-5 5.3.1). */
export function parseProfileList(feature: FeatureDescriptor): ProfileEntry[] {
  const v = new ReplyView('GET CONFIGURATION profile list', feature.data);
  const out: ProfileEntry[] = [];
  for (let p = 0; v.has(p, 4); p += 4) out.push({ profile: v.u16(p), current: v.bit(p + 2, 0) });
  return out;
}

export function findFeature(config: Configuration, code: number): FeatureDescriptor | undefined {
  return config.features.find((f) => f.code === code);
}

export async function getConfiguration(t: Transport, request: FeatureRequest = 'all', startingFeature = 0): Promise<Configuration> {
  const reply = await runCommand(t, {
    cdb: buildGetConfiguration(request, startingFeature),
    receive: GET_CONFIGURATION_ALLOCATION,
  });
  return parseGetConfiguration(reply);
}

/** Only the current profile: a short call that every MMC drive answers quickly. */
export async function currentProfile(t: Transport): Promise<number> {
  const reply = await runCommand(t, { cdb: buildGetConfiguration('one', FEATURE.profileList, 8), receive: 8 });
  return parseGetConfiguration(reply).currentProfile;
}
