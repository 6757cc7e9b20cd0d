// Media profiles reported by GET CONFIGURATION (MMC-6 5.3.1, Table "Profile List"); the only place their numbers appear.

export const PROFILE = {
  none: 0x0000,
  nonRemovableDisk: 0x0001,
  removableDisk: 0x0002,
  magnetoOpticalErasable: 0x0003,
  cdRom: 0x0008,
  cdR: 0x0009,
  cdRw: 0x000a,
  dvdRom: 0x0010,
  dvdRSequential: 0x0011,
  dvdRam: 0x0012,
  dvdRwRestrictedOverwrite: 0x0013,
  dvdRwSequential: 0x0014,
  dvdRDualLayerSequential: 0x0015,
  dvdRDualLayerJump: 0x0016,
  dvdRwDualLayer: 0x0017,
  dvdDownloadDiscRecording: 0x0018,
  dvdPlusRw: 0x001a,
  dvdPlusR: 0x001b,
  dvdPlusRwDualLayer: 0x002a,
  dvdPlusRDualLayer: 0x002b,
  bdRom: 0x0040,
  bdRSequential: 0x0041,
  bdRRandom: 0x0042,
  bdRe: 0x0043,
  hdDvdRom: 0x0050,
  hdDvdR: 0x0051,
  hdDvdRam: 0x0052,
  nonConforming: 0xffff,
} as const;

export type ProfileName = keyof typeof PROFILE;
export type ProfileNumber = (typeof PROFILE)[ProfileName];

/** How data gets onto a medium; decides the burn procedure (docs/mmc.md). */
export type Recording = 'read-only' | 'sequential' | 'overwrite';

export interface ProfileInfo {
  readonly number: number;
  readonly name: string;
  readonly family: 'cd' | 'dvd' | 'bd' | 'hd-dvd' | 'other';
  readonly recording: Recording;
  /** Multisession by appending sessions (as opposed to growing one session in place). */
  readonly multisession: boolean;
}

const TABLE: readonly ProfileInfo[] = [
  { number: PROFILE.none, name: 'no current profile', family: 'other', recording: 'read-only', multisession: false },
  { number: PROFILE.nonRemovableDisk, name: 'non-removable disk', family: 'other', recording: 'overwrite', multisession: false },
  { number: PROFILE.removableDisk, name: 'removable disk', family: 'other', recording: 'overwrite', multisession: false },
  { number: PROFILE.magnetoOpticalErasable, name: 'MO erasable', family: 'other', recording: 'overwrite', multisession: false },
  { number: PROFILE.cdRom, name: 'CD-ROM', family: 'cd', recording: 'read-only', multisession: false },
  { number: PROFILE.cdR, name: 'CD-R', family: 'cd', recording: 'sequential', multisession: true },
  { number: PROFILE.cdRw, name: 'CD-RW', family: 'cd', recording: 'sequential', multisession: true },
  { number: PROFILE.dvdRom, name: 'DVD-ROM', family: 'dvd', recording: 'read-only', multisession: false },
  { number: PROFILE.dvdRSequential, name: 'DVD-R sequential recording', family: 'dvd', recording: 'sequential', multisession: true },
  { number: PROFILE.dvdRam, name: 'DVD-RAM', family: 'dvd', recording: 'overwrite', multisession: false },
  { number: PROFILE.dvdRwRestrictedOverwrite, name: 'DVD-RW restricted overwrite', family: 'dvd', recording: 'overwrite', multisession: false },
  { number: PROFILE.dvdRwSequential, name: 'DVD-RW sequential recording', family: 'dvd', recording: 'sequential', multisession: true },
  { number: PROFILE.dvdRDualLayerSequential, name: 'DVD-R DL sequential recording', family: 'dvd', recording: 'sequential', multisession: true },
  { number: PROFILE.dvdRDualLayerJump, name: 'DVD-R DL layer jump recording', family: 'dvd', recording: 'sequential', multisession: false },
  { number: PROFILE.dvdRwDualLayer, name: 'DVD-RW DL', family: 'dvd', recording: 'sequential', multisession: true },
  { number: PROFILE.dvdDownloadDiscRecording, name: 'DVD-Download disc recording', family: 'dvd', recording: 'sequential', multisession: false },
  { number: PROFILE.dvdPlusRw, name: 'DVD+RW', family: 'dvd', recording: 'overwrite', multisession: false },
  { number: PROFILE.dvdPlusR, name: 'DVD+R', family: 'dvd', recording: 'sequential', multisession: true },
  { number: PROFILE.dvdPlusRwDualLayer, name: 'DVD+RW DL', family: 'dvd', recording: 'overwrite', multisession: false },
  { number: PROFILE.dvdPlusRDualLayer, name: 'DVD+R DL', family: 'dvd', recording: 'sequential', multisession: true },
  { number: PROFILE.bdRom, name: 'BD-ROM', family: 'bd', recording: 'read-only', multisession: false },
  { number: PROFILE.bdRSequential, name: 'BD-R sequential recording (SRM)', family: 'bd', recording: 'sequential', multisession: true },
  { number: PROFILE.bdRRandom, name: 'BD-R random recording (RRM)', family: 'bd', recording: 'overwrite', multisession: false },
  { number: PROFILE.bdRe, name: 'BD-RE', family: 'bd', recording: 'overwrite', multisession: false },
  { number: PROFILE.hdDvdRom, name: 'HD DVD-ROM', family: 'hd-dvd', recording: 'read-only', multisession: false },
  { number: PROFILE.hdDvdR, name: 'HD DVD-R', family: 'hd-dvd', recording: 'sequential', multisession: true },
  { number: PROFILE.hdDvdRam, name: 'HD DVD-RAM', family: 'hd-dvd', recording: 'overwrite', multisession: false },
  { number: PROFILE.nonConforming, name: 'non-conforming profile', family: 'other', recording: 'read-only', multisession: false },
];

const BY_NUMBER = new Map<number, ProfileInfo>(TABLE.map((p) => [p.number, p]));

/** Facts about a profile; unknown numbers are reported as read-only "profile 00XXh" so nothing writes to them. */
export function profileInfo(profile: number): ProfileInfo {
  return BY_NUMBER.get(profile) ?? {
    number: profile,
    name: `profile ${profile.toString(16).toUpperCase().padStart(4, '0')}h`,
    family: 'other',
    recording: 'read-only',
    multisession: false,
  };
}

export function profileName(profile: number): string {
  return profileInfo(profile).name;
}

export function isWritableProfile(profile: number): boolean {
  return profileInfo(profile).recording !== 'read-only';
}

export function isCdProfile(profile: number): boolean {
  return profileInfo(profile).family === 'cd';
}
