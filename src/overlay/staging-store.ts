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
  /**
   * Write-through caches of the node and entry tables (every FUSE call resolves its path: a SQL read per name was
   * most of a stat). `null` marks a known-absent node, `false` a known-absent entry. Dropped when a transaction fails.
   */
  private readonly nodeCache = new Map<bigint, NodeRecord | null>();
  private readonly entryCache = new Map<bigint, Map<string, bigint | null | false>>();
  /** Nodes whose newest record is only in nodeCache (putNodeLazy); written by flushLazy or the next transaction. */
  private readonly lazy = new Set<bigint>();
  private nextIno: bigint | undefined;
  /** Directories whose every entry is in entryCache (listed once, or made empty here): listed without SQL. */
  private readonly completeDirs = new Set<bigint>();

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
    if (!this.db.open) return;
    this.flushLazy();
    this.db.close();
  }

  /** Runs `fn` as one SQLite transaction: the operation is on disk entirely or not at all. */
  transaction<R>(fn: () => R): R {
    this.flushLazy();
    try {
      return this.db.transaction(fn)();
    } catch (e) {
      this.dropCaches(); // the rollback may have undone cached or counted writes
      throw e;
    }
  }

  /**
   * Records a node change in memory only, to be written by the next transaction or flushLazy: for what recovery
   * can derive after a kill -9 (the size and times of a 'whole' file grown by a write: its data file's length).
   */
  putNodeLazy(rec: NodeRecord): void {
    this.nodeCache.set(rec.ino, cloneRecord(rec));
    this.lazy.add(rec.ino);
  }

  /** Writes the lazily recorded node changes (one transaction). */
  flushLazy(): void {
    if (this.lazy.size === 0) return;
    const recs: NodeRecord[] = [];
    for (const ino of this.lazy) {
      const rec = this.nodeCache.get(ino);
      if (rec) recs.push(rec);
    }
    this.db.transaction(() => {
      for (const rec of recs) this.st.putNode.run(...recordToRow(rec));
    })();
    this.lazy.clear();
  }

  private dropCaches(): void {
    this.subdirCounts.clear();
    this.entryCache.clear();
    this.completeDirs.clear();
    this.nextIno = undefined;
    this.nodeCache.clear();
  }

  dataPath(ino: bigint): string {
    return path.join(this.dataDir, ino.toString(10));
  }

  /** The node's record: a copy, so callers may change it before they put it. */
  getNode(ino: bigint): NodeRecord | undefined {
    let rec = this.nodeCache.get(ino);
    if (rec === undefined) {
      const row = this.st.getNode.get(ino);
      rec = row === undefined ? null : rowToRecord(row);
      this.nodeCache.set(ino, rec);
    }
    return rec === null ? undefined : cloneRecord(rec);
  }

  /** The node's kind without copying its record (listings). */
  kindOf(ino: bigint): NodeRecord['kind'] | undefined {
    if (!this.nodeCache.has(ino)) this.getNode(ino);
    return this.nodeCache.get(ino)?.kind;
  }

  putNode(rec: NodeRecord): void {
    this.st.putNode.run(...recordToRow(rec));
    this.nodeCache.set(rec.ino, cloneRecord(rec));
    this.lazy.delete(rec.ino);
  }

  deleteNode(ino: bigint): void {
    this.st.deleteNode.run(ino);
    this.st.deleteChunks.run(ino);
    this.nodeCache.set(ino, null);
    this.lazy.delete(ino);
  }

  allocateIno(): bigint {
    if (this.nextIno === undefined) {
      const row = this.st.getMeta.get('next_ino');
      this.nextIno = row === undefined ? FIRST_NEW_INO : asBigint(row.value);
    }
    const next = this.nextIno;
    this.st.putMeta.run('next_ino', next + 1n);
    this.nextIno = next + 1n;
    return next;
  }

  getEntry(parent: bigint, name: Buffer): EntryRow | undefined {
    const key = name.toString('latin1');
    let names = this.entryCache.get(parent);
    let ino = names?.get(key);
    if (ino === undefined) {
      const row = this.st.getEntry.get(parent, name);
      ino = row === undefined ? false : row.ino === null ? null : asBigint(row.ino);
      if (names === undefined) this.entryCache.set(parent, (names = new Map()));
      names.set(key, ino);
    }
    return ino === false ? undefined : { name, ino };
  }

  private cacheEntry(parent: bigint, name: Buffer, ino: bigint | null | false): void {
    let names = this.entryCache.get(parent);
    if (names === undefined) this.entryCache.set(parent, (names = new Map()));
    names.set(name.toString('latin1'), ino);
  }

  /** Marks a directory just made in the overlay: it has no entries, so its listing needs no query. */
  noteNewDir(ino: bigint): void {
    this.entryCache.set(ino, new Map());
    this.completeDirs.add(ino);
  }

  listEntries(parent: bigint): EntryRow[] {
    const cached = this.entryCache.get(parent);
    if (cached !== undefined && this.completeDirs.has(parent)) {
      const out: EntryRow[] = [];
      // latin1 keys compare like the BLOBs' memcmp order of the SQL listing.
      for (const key of [...cached.keys()].sort()) {
        const ino = cached.get(key);
        if (ino !== false && ino !== undefined) out.push({ name: Buffer.from(key, 'latin1'), ino });
      }
      return out;
    }
    const rows = this.queryEntries(parent);
    const names = new Map<string, bigint | null | false>();
    for (const r of rows) names.set(r.name.toString('latin1'), r.ino);
    this.entryCache.set(parent, names);
    this.completeDirs.add(parent);
    return rows;
  }

  private queryEntries(parent: bigint): EntryRow[] {
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
    this.cacheEntry(parent, name, ino);
    this.adjustSubdirs(parent, delta);
  }

  deleteEntry(parent: bigint, name: Buffer): void {
    const delta = this.countedDelta(parent, name, null);
    this.st.deleteEntry.run(parent, name);
    this.cacheEntry(parent, name, false);
    this.adjustSubdirs(parent, delta);
  }

  /** Drops the overlay entries (whiteouts) a removed directory still had. */
  deleteEntriesOf(parent: bigint): void {
    this.st.deleteEntriesOf.run(parent);
    this.entryCache.delete(parent);
    this.completeDirs.delete(parent);
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
    this.flushLazy();
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
    this.lazy.clear();
    this.dropCaches();
  }

  /** Makes committed transactions durable against power loss (WAL mode with synchronous=NORMAL defers that). */
  checkpoint(): void {
    this.flushLazy();
    this.db.pragma('wal_checkpoint(PASSIVE)');
  }
}

function cloneRecord(r: NodeRecord): NodeRecord {
  return { ...r, atime: { ...r.atime }, mtime: { ...r.mtime }, ctime: { ...r.ctime } };
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
    // A checkpoint fsyncs: at the default 1000 pages one came every ~200 metadata operations; 64 MiB of WAL instead.
    db.pragma('wal_autocheckpoint = 16384');
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
