// Open handles on the staging dir's data/<ino> files: shared per inode, reference-counted, a bounded number open.

import fsp, { type FileHandle } from 'node:fs/promises';

interface OpenFile {
  ready: Promise<FileHandle>;
  /** Calls using the handle right now; counted before the first await so eviction never closes it under them. */
  users: number;
}

export class DataFiles {
  private readonly files = new Map<bigint, OpenFile>();

  constructor(
    private readonly pathOf: (ino: bigint) => string,
    private readonly maxOpen = 64,
  ) {}

  /** Runs `fn` with the inode's data file open read-write; the handle stays open for the next call. */
  async use<R>(ino: bigint, fn: (fh: FileHandle) => Promise<R>): Promise<R> {
    let file = this.files.get(ino);
    if (file === undefined) {
      const ready = fsp.open(this.pathOf(ino), 'r+');
      file = { ready, users: 0 };
      const opened = file;
      ready.catch(() => {
        if (this.files.get(ino) === opened) this.files.delete(ino);
      });
    } else {
      // Re-insert: Map order is the eviction order, least recently used first.
      this.files.delete(ino);
    }
    this.files.set(ino, file);
    file.users++;
    try {
      return await fn(await file.ready);
    } finally {
      file.users--;
      this.evict();
    }
  }

  /** Creates the data file empty (an old one of a copy-up that crashed before its commit is cut off). */
  async create(ino: bigint): Promise<void> {
    await this.forget(ino);
    const fh = await fsp.open(this.pathOf(ino), 'w', 0o600);
    await fh.close();
  }

  async remove(ino: bigint): Promise<void> {
    await this.forget(ino);
    await fsp.unlink(this.pathOf(ino)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }

  async sync(ino: bigint): Promise<void> {
    await this.use(ino, (fh) => fh.sync());
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.files.keys()].map((ino) => this.forget(ino)));
  }

  private async forget(ino: bigint): Promise<void> {
    const file = this.files.get(ino);
    if (file === undefined) return;
    this.files.delete(ino);
    await closeQuietly(file);
  }

  private evict(): void {
    for (const [ino, file] of this.files) {
      if (this.files.size <= this.maxOpen) return;
      if (file.users > 0) continue;
      this.files.delete(ino);
      void closeQuietly(file);
    }
  }
}

async function closeQuietly(file: OpenFile): Promise<void> {
  const fh = await file.ready.catch(() => undefined);
  await fh?.close().catch(() => undefined);
}
