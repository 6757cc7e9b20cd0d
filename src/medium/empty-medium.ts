// A medium with no blocks: a blank disc or an image file that does not exist yet.

import type { Medium } from './medium';
import { FsError } from '../util/errors';

export function emptyMedium(description: string): Medium {
  return {
    description,
    blocks: 0,
    read: async (lba: number) => {
      throw new FsError('EIO', `${description} is blank: block ${lba} does not exist`);
    },
    close: async () => undefined,
  };
}
