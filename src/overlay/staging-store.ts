// The staging directory: overlay.db (nodes, directory entries, whiteouts, chunk maps) and data/<ino> content files.

import fs from 'node:fs';
import path from 'node:path';
import { DiscfsError } from '../util/errors';
import { NODE_COLUMNS, recordToRow, rowToRecord, type NodeRecord } from './node-record';
import { asBigint, asNumber, asBuffer, isBusyError, openDatabase, type Database, type Statement } from './sqlite';

const SCHEMA_VERSION = '1';
/** Inode numbers of nodes made in the overlay start here, far above what a reader derives from the medium. */
export const FIRST_NEW_INO = 1n << 62n;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value);
CREATE TABLE IF NOT EXISTS nodes(
  ino INTEGER PRIMARY KEY, kind TEXT NOT NULL, mode INTEGER NOT NULL, uid INTEGER NOT NULL, gid INTEGER NOT NULL,
  rdev INTEGER NOT NULL, nlink INTEGER NOT NULL, size INTEGER NOT NULL,
  atime_s INTEGER NOT NULL, atime_ns INTEGER NOT NULL, mtime_s INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
  ctime_s INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,
  lower_path BLOB, content TEXT NOT NULL, lower_limit INTEGER NOT NULL, symlink BLOB);
CREATE TABLE IF NOT EXISTS entries(parent INTEGER NOT NULL, name BLOB NOT NULL, ino INTEGER,
  PRIMARY KEY(parent, name)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entries_by_ino ON entries(ino);
CREATE TABLE IF NOT EXISTS chunks(ino INTEGER NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY(ino, idx)) WITHOUT ROWID;
`;

/** One row of a directory's overlay entries: `ino` null is a whiteout (the lower entry of that name is deleted). */
export interface EntryRow {
  name: Buffer;
  ino: bigint | null;
}

export interface StagingOpenOptions {
  /** Identifies the medium (newest session) the staged changes were made for. */
  identity: string;
}

export class StagingStore {
  readonly dataDir: string;
  private readonly st: Record<string, Statement>;
  /**
   * Subdirectory entries per directory, kept up to date by the entry writes below (or dropped when a write cannot
   * tell), so a directory's getattr costs O(1) even with 10k children. Dropped entirely when a transaction fails.
   */
  private readonly subdirCounts = new Map<bigint, number>();

  private constructor(
    readonly dir: string,
    private readonly db: Database,
  ) {
    this.dataDir = path.join(dir, 'data');
    this.st = prepareStatements(db);
  }

  /** Opens or creates the staging dir; refuses one made for another medium or held by another daemon. */
  static open(dir: string, options: StagingOpenOptions): StagingStore {
    fs.mkdirSync(path.join(dir, 'data'), { recursive: true, mode: 0o700 });
    const db = openDatabase(path.join(dir, 'overlay.db'));
    try {
      lockDatabase(db, dir);
      db.exec(SCHEMA);
      checkIdentity(db, dir, options.identity);
    } catch (e) {
      db.close();
      throw e;
    }
    return new StagingStore(dir, db);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Runs `fn` as one SQLite transaction: the operation is on disk entirely or not at all. */
  transaction<R>(fn: () => R): R {
    try {
      return this.db.transaction(fn)();
    } catch (e) {
      this.subdirCounts.clear(); // the rollback may have undone counted entry writes
      throw e;
    }
  }

  dataPath(ino: bigint): string {
    return path.join(this.dataDir, ino.toString(10));
  }

  getNode(ino: bigint): NodeRecord | undefined {
    const row = this.st.getNode.get(ino);
    return row === undefined ? undefined : rowToRecord(row);
  }

  putNode(rec: NodeRecord): void {
    this.st.putNode.run(...recordToRow(rec));
  }

  deleteNode(ino: bigint): void {
    this.st.deleteNode.run(ino);
    this.st.deleteChunks.run(ino);
  }

  allocateIno(): bigint {
    const row = this.st.getMeta.get('next_ino');
    const next = row === undefined ? FIRST_NEW_INO : asBigint(row.value);
    this.st.putMeta.run('next_ino', next + 1n);
    return next;
  }

  getEntry(parent: bigint, name: Buffer): EntryRow | undefined {
    const row = this.st.getEntry.get(parent, name);
    if (row === undefined) return undefined;
    return { name, ino: row.ino === null ? null : asBigint(row.ino) };
  }

  listEntries(parent: bigint): EntryRow[] {
    return this.st.listEntries.all(parent).map((row) => ({
      name: asBuffer(row.name) ?? Buffer.alloc(0),
      ino: row.ino === null ? null : asBigint(row.ino),
    }));
  }

  hasEntries(parent: bigint): boolean {
    return this.st.hasEntries.get(parent) !== undefined;
  }

  /** Points `name` in `parent` at `ino`, or makes it a whiteout (null). */
  setEntry(parent: bigint, name: Buffer, ino: bigint | null): void {
    const delta = this.countedDelta(parent, name, ino);
    this.st.putEntry.run(parent, name, ino);
    this.adjustSubdirs(parent, delta);
  }

  deleteEntry(parent: bigint, name: Buffer): void {
    const delta = this.countedDelta(parent, name, null);
    this.st.deleteEntry.run(parent, name);
    this.adjustSubdirs(parent, delta);
  }

  /** Drops the overlay entries (whiteouts) a removed directory still had. */
  deleteEntriesOf(parent: bigint): void {
    this.st.deleteEntriesOf.run(parent);
    this.subdirCounts.delete(parent);
  }

  chunkIndexes(ino: bigint): Set<number> {
    return new Set(this.st.listChunks.all(ino).map((r) => asNumber(r.idx)));
  }

  addChunk(ino: bigint, idx: number): void {
    this.st.putChunk.run(ino, idx);
  }

  deleteChunksFrom(ino: bigint, firstIdx: number): void {
    this.st.deleteChunksFrom.run(ino, firstIdx);
  }

  allNodes(): NodeRecord[] {
    return this.st.allNodes.all().map(rowToRecord);
  }

  chunkCount(ino: bigint): number {
    return asNumber(this.st.countChunks.get(ino)?.n ?? 0n);
  }

  /** How many of a directory's overlay entries name directories (for its link count, without listing it). */
  subdirEntryCount(parent: bigint): number {
    const cached = this.subdirCounts.get(parent);
    if (cached !== undefined) return cached;
    const n = asNumber(this.st.countSubdirEntries.get(parent)?.n ?? 0n);
    this.subdirCounts.set(parent, n);
    return n;
  }

  /** +1/-1/0: how an entry write changes the parent's subdirectory count; undefined when it cannot tell. */
  private countedDelta(parent: bigint, name: Buffer, ino: bigint | null): number | undefined {
    if (!this.subdirCounts.has(parent)) return 0;
    const was = this.namesDirectory(this.getEntry(parent, name)?.ino ?? null);
    const now = this.namesDirectory(ino);
    return was === undefined || now === undefined ? undefined : Number(now) - Number(was);
  }

  /** Whether an entry's target is a directory; undefined for a target without a record (not known here). */
  private namesDirectory(ino: bigint | null): boolean | undefined {
    if (ino === null) return false;
    const rec = this.getNode(ino);
    return rec === undefined ? undefined : rec.kind === 'dir';
  }

  private adjustSubdirs(parent: bigint, delta: number | undefined): void {
    const n = this.subdirCounts.get(parent);
    if (n === undefined) return;
    if (delta === undefined) this.subdirCounts.delete(parent);
    else this.subdirCounts.set(parent, n + delta);
  }

  /** Number of live overlay entries (not whiteouts): feeds the directory tree size estimate. */
  liveEntryCount(): number {
    return asNumber(this.st.countLiveEntries.get()?.n ?? 0n);
  }

  /** Forgets every staged change (nodes, entries, chunk maps); the identity stays. */
  clear(): void {
    this.transaction(() => {
      this.db.exec('DELETE FROM nodes; DELETE FROM entries; DELETE FROM chunks;');
    });
    this.subdirCounts.clear();
  }

  /** Makes committed transactions durable against power loss (WAL mode with synchronous=NORMAL defers that). */
  checkpoint(): void {
    this.db.pragma('wal_checkpoint(PASSIVE)');
  }
}

function prepareStatements(db: Database): Record<string, Statement> {
  const placeholders = NODE_COLUMNS.split(',').map(() => '?').join(', ');
  return {
    getNode: db.prepare(`SELECT ${NODE_COLUMNS} FROM nodes WHERE ino = ?`),
    putNode: db.prepare(`INSERT OR REPLACE INTO nodes(${NODE_COLUMNS}) VALUES (${placeholders})`),
    deleteNode: db.prepare('DELETE FROM nodes WHERE ino = ?'),
    allNodes: db.prepare(`SELECT ${NODE_COLUMNS} FROM nodes`),
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
    putMeta: db.prepare('INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)'),
    getEntry: db.prepare('SELECT ino FROM entries WHERE parent = ? AND name = ?'),
    listEntries: db.prepare('SELECT name, ino FROM entries WHERE parent = ? ORDER BY name'),
    hasEntries: db.prepare('SELECT 1 AS x FROM entries WHERE parent = ? LIMIT 1'),
    putEntry: db.prepare('INSERT OR REPLACE INTO entries(parent, name, ino) VALUES (?, ?, ?)'),
    deleteEntry: db.prepare('DELETE FROM entries WHERE parent = ? AND name = ?'),
    deleteEntriesOf: db.prepare('DELETE FROM entries WHERE parent = ?'),
    countSubdirEntries: db.prepare(
      "SELECT count(*) AS n FROM entries e JOIN nodes n ON n.ino = e.ino WHERE e.parent = ? AND n.kind = 'dir'",
    ),
    countLiveEntries: db.prepare('SELECT count(*) AS n FROM entries WHERE ino IS NOT NULL'),
    listChunks: db.prepare('SELECT idx FROM chunks WHERE ino = ?'),
    countChunks: db.prepare('SELECT count(*) AS n FROM chunks WHERE ino = ?'),
    putChunk: db.prepare('INSERT OR IGNORE INTO chunks(ino, idx) VALUES (?, ?)'),
    deleteChunks: db.prepare('DELETE FROM chunks WHERE ino = ?'),
    deleteChunksFrom: db.prepare('DELETE FROM chunks WHERE ino = ? AND idx >= ?'),
  };
}

/**
 * WAL with an exclusive locking mode: the first write takes a lock that lives as long as the connection (and dies
 * with the process, so kill -9 frees it); a second daemon on the same staging dir fails right away.
 */
function lockDatabase(db: Database, dir: string): void {
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('BEGIN EXCLUSIVE; COMMIT;');
  } catch (e) {
    if (isBusyError(e)) {
      throw new DiscfsError('STAGING_LOCKED', `staging dir ${dir} is in use by another discfs daemon`, { dir }, { cause: e });
    }
    throw e;
  }
}

function checkIdentity(db: Database, dir: string, identity: string): void {
  const get = db.prepare('SELECT value FROM meta WHERE key = ?');
  const put = db.prepare('INSERT INTO meta(key, value) VALUES (?, ?)');
  const version = get.get('schema_version');
  if (version === undefined) {
    db.transaction(() => {
      put.run('schema_version', SCHEMA_VERSION);
      put.run('identity', identity);
    })();
    return;
  }
  if (version.value !== SCHEMA_VERSION) {
    throw new DiscfsError('STAGING_VERSION', `staging dir ${dir} has schema ${String(version.value)}`, { dir });
  }
  const recorded = get.get('identity')?.value;
  if (recorded !== identity) {
    throw new DiscfsError(
      'STAGING_MISMATCH',
      `staging dir ${dir} holds changes for another medium`,
      { dir, recorded: String(recorded), identity },
    );
  }
}
