// The lower tree of a blank medium: an empty root directory, so the overlay holds everything.

import type { LowerNode, LowerTree } from '../tree/lower-tree';
import { FsError } from '../util/errors';

const EPOCH = { sec: 0, nsec: 0 };

export function emptyLowerTree(): LowerTree {
  const root: LowerNode = {
    id: 1n,
    name: Buffer.alloc(0),
    attrs: {
      kind: 'dir', mode: 0o040755, uid: 0, gid: 0, nlink: 2, size: 0, rdev: 0,
      atime: EPOCH, mtime: EPOCH, ctime: EPOCH,
    },
    extents: [],
  };
  return {
    root,
    warnings: [],
    list: async () => [],
    lookup: async () => undefined,
    read: async () => {
      throw new FsError('EIO', 'a blank medium has no content');
    },
  };
}
