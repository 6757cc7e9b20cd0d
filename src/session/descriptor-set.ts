// ECMA-119 6.7.1 / 8: the volume descriptor set of one session (from sessionStart+16 to the terminator).

import type { Medium } from '../medium/medium';
import { StructureError } from '../iso9660/bounds';
import {
  decodeVolumeDescriptor,
  REQUIRED_LOGICAL_BLOCK_SIZE,
  SYSTEM_AREA_BLOCKS,
  type VolumeDescriptor,
} from '../iso9660/volume-descriptor';
import { DiscfsError } from '../util/errors';

/** A set longer than this is damage (real sets hold 2-5 descriptors). */
export const MAX_DESCRIPTORS = 64;

type Extract<K extends VolumeDescriptor['kind']> = Extract_<VolumeDescriptor, { kind: K }>;
type Extract_<T, U> = T extends U ? T : never;
export type PrimaryDescriptor = Extract<'primary'>;
export type SupplementaryDescriptor = Extract<'supplementary'>;
export type EnhancedDescriptor = Extract<'enhanced'>;

export interface DescriptorSet {
  sessionStart: number;
  primary: PrimaryDescriptor;
  /** The Joliet SVD (the highest level found), if any. */
  joliet?: SupplementaryDescriptor;
  enhanced?: EnhancedDescriptor;
  elTorito: boolean;
  defects: string[];
}

function unusable(field: string, message: string, data: Record<string, unknown>): DiscfsError {
  return new DiscfsError('VOLUME_DESCRIPTORS', message, { field, ...data });
}

async function readDescriptor(medium: Medium, lba: number): Promise<VolumeDescriptor | string> {
  let block: Buffer;
  try {
    block = await medium.read(lba, 1);
  } catch (e) {
    return `block ${lba} cannot be read: ${(e as Error).message}`;
  }
  try {
    return decodeVolumeDescriptor(block);
  } catch (e) {
    if (e instanceof StructureError) return `block ${lba}: ${e.message}`;
    throw e;
  }
}

/** True when block lba holds a primary volume descriptor (used to probe for sessions). */
export async function probePrimary(medium: Medium, lba: number): Promise<PrimaryDescriptor | undefined> {
  if (lba < 0 || lba >= medium.blocks) return undefined;
  const d = await readDescriptor(medium, lba);
  return typeof d !== 'string' && d.kind === 'primary' ? d : undefined;
}

/**
 * Reads and checks the descriptor set. Throws DiscfsError (naming the field) when there is no usable
 * primary descriptor; a bad supplementary or enhanced descriptor is only ignored with a defect.
 */
export async function readDescriptorSet(medium: Medium, sessionStart: number): Promise<DescriptorSet> {
  const defects: string[] = [];
  let primary: PrimaryDescriptor | undefined;
  let joliet: SupplementaryDescriptor | undefined;
  let enhanced: EnhancedDescriptor | undefined;
  let elTorito = false;
  let terminated = false;
  for (let i = 0; i < MAX_DESCRIPTORS && !terminated; i++) {
    const lba = sessionStart + SYSTEM_AREA_BLOCKS + i;
    const d = await readDescriptor(medium, lba);
    if (typeof d === 'string') {
      if (i === 0) throw unusable('standardId', `no volume descriptor at block ${lba}: ${d}`, { lba, sessionStart });
      defects.push(`descriptor set ends without terminator: ${d}`);
      break;
    }
    switch (d.kind) {
      case 'primary':
        if (primary === undefined) primary = d;
        else defects.push(`additional primary descriptor at block ${lba} ignored`);
        break;
      case 'supplementary':
        if (d.jolietLevel === undefined) break;
        if (d.logicalBlockSize !== REQUIRED_LOGICAL_BLOCK_SIZE) {
          defects.push(`Joliet descriptor at block ${lba}: logical block size ${d.logicalBlockSize}, ignored`);
        } else if (joliet === undefined || (joliet.jolietLevel ?? 0) < d.jolietLevel) joliet = d;
        break;
      case 'enhanced':
        enhanced = d;
        break;
      case 'boot':
        elTorito ||= d.elTorito;
        break;
      case 'terminator':
        terminated = true;
        break;
      default:
        break;
    }
  }
  if (!terminated && defects.length === 0) defects.push(`no terminator within ${MAX_DESCRIPTORS} descriptors`);
  if (primary === undefined) throw unusable('type', `session at block ${sessionStart} has no primary volume descriptor`, { sessionStart });
  checkPrimary(primary, sessionStart, medium);
  for (const d of [primary, joliet, enhanced]) if (d) defects.push(...d.defects.map((m) => `${d.kind} descriptor: ${m}`));
  return { sessionStart, primary, joliet, enhanced, elTorito, defects };
}

function checkPrimary(p: PrimaryDescriptor, sessionStart: number, medium: Medium): void {
  if (p.logicalBlockSize !== REQUIRED_LOGICAL_BLOCK_SIZE) {
    throw unusable('logicalBlockSize', `logical block size is ${p.logicalBlockSize}, discfs reads only ${REQUIRED_LOGICAL_BLOCK_SIZE}`, {
      sessionStart,
      value: p.logicalBlockSize,
    });
  }
  if (p.volumeSpaceSize <= SYSTEM_AREA_BLOCKS) {
    throw unusable('volumeSpaceSize', `volume space size ${p.volumeSpaceSize} cannot hold the descriptors`, { sessionStart, value: p.volumeSpaceSize });
  }
  if (sessionStart + p.volumeSpaceSize > medium.blocks) {
    throw unusable(
      'volumeSpaceSize',
      `${medium.description} has ${medium.blocks} blocks but the session at ${sessionStart} claims ${p.volumeSpaceSize} (image truncated?)`,
      { sessionStart, value: p.volumeSpaceSize, mediumBlocks: medium.blocks },
    );
  }
}
