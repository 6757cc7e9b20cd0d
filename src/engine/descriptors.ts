// Stage "write descriptors": the session's volume descriptor set (ECMA-119 8.4 PVD, 8.5 Joliet SVD, El Torito BR, 8.3 terminator).

import { encodeTerminator, encodeVolumeDescriptor } from '../iso9660/volume-descriptor';
import type { Timespec } from '../tree/node';
import type { SessionLayout } from './layout';
import { writeMarker } from './checksum-table';
import { rootRecordFor } from './tree-writer';

export interface DescriptorOptions {
  volumeId: string;
  now: Timespec;
  /** Volume Space Size to record: the session's own size in its own set, the absolute end in the head copy. */
  volumeSpaceSize: number;
  bootRecord?: Buffer;
}

export const PREPARER_ID = 'DISCFS';

/** PVD, [El Torito boot record, as El Torito 2.0 wants it at the second slot], Joliet SVD, terminator. */
export function encodeDescriptorSet(layout: SessionLayout, opts: DescriptorOptions): Buffer {
  const common = {
    systemId: 'LINUX',
    volumeId: opts.volumeId,
    preparerId: PREPARER_ID,
    volumeSpaceSize: opts.volumeSpaceSize,
    creationDate: opts.now,
    modificationDate: opts.now,
  };
  const pvd = encodeVolumeDescriptor({
    kind: 'primary',
    ...common,
    pathTableSize: layout.pathTables.iso.size,
    typeLPathTable: layout.pathTables.iso.l,
    typeMPathTable: layout.pathTables.iso.m,
    rootRecord: rootRecordFor(layout.isoDirs[0]),
  });
  const svd = encodeVolumeDescriptor({
    kind: 'joliet',
    ...common,
    pathTableSize: layout.pathTables.joliet.size,
    typeLPathTable: layout.pathTables.joliet.l,
    typeMPathTable: layout.pathTables.joliet.m,
    rootRecord: rootRecordFor(layout.jolietDirs[0]),
  });
  if (layout.checksumTable) writeMarker(pvd, layout.checksumTable);
  return Buffer.concat([pvd, ...(opts.bootRecord ? [opts.bootRecord] : []), svd, encodeTerminator()]);
}
