// ECMA-119 9.4 / 8.4.14-8.4.17: checks a session's path tables and reports defects; the reader never uses them.

import type { Medium } from '../medium/medium';
import { BLOCK_SIZE } from '../medium/medium';
import { decodePathTable } from '../iso9660/path-table';
import type { PrimaryDescriptor } from './descriptor-set';

/** Larger tables are not checked: the check must stay cheap whatever the size field says. */
export const MAX_CHECKED_PATH_TABLE_BYTES = 1024 * 1024;

async function checkOne(medium: Medium, lba: number, size: number, littleEndian: boolean): Promise<string[]> {
  const label = littleEndian ? 'type L' : 'type M';
  if (lba === 0) return [`${label} path table location is 0`];
  const blocks = Math.ceil(size / BLOCK_SIZE);
  if (lba + blocks > medium.blocks) return [`${label} path table (block ${lba}, ${size} bytes) ends beyond the medium end`];
  let data: Buffer;
  try {
    data = await medium.read(lba, blocks);
  } catch (e) {
    return [`${label} path table cannot be read: ${(e as Error).message}`];
  }
  return decodePathTable(data, size, littleEndian).defects.map((d) => `${label}: ${d}`);
}

/** Defects of the type L and type M tables (empty when both are sound, or too large to check). */
export async function checkPathTables(medium: Medium, pvd: PrimaryDescriptor): Promise<string[]> {
  if (pvd.pathTableSize === 0) return ['path table size is 0'];
  if (pvd.pathTableSize > MAX_CHECKED_PATH_TABLE_BYTES) return [];
  return [
    ...(await checkOne(medium, pvd.typeLPathTable, pvd.pathTableSize, true)),
    ...(await checkOne(medium, pvd.typeMPathTable, pvd.pathTableSize, false)),
  ];
}
