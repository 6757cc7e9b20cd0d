// A typed facade over better-sqlite3 (the package ships no type declarations; only what the overlay uses).

export type SqlValue = number | bigint | string | Buffer | null;
export type SqlRow = Record<string, SqlValue>;

export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

export interface Statement {
  run(...params: SqlValue[]): RunResult;
  get(...params: SqlValue[]): SqlRow | undefined;
  all(...params: SqlValue[]): SqlRow[];
  iterate(...params: SqlValue[]): IterableIterator<SqlRow>;
}

export interface Database {
  prepare(sql: string): Statement;
  exec(sql: string): void;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  defaultSafeIntegers(on?: boolean): Database;
  close(): void;
  readonly open: boolean;
  readonly inTransaction: boolean;
}

interface DatabaseConstructor {
  new (filename: string, options?: { timeout?: number }): Database;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const BetterSqlite3 = require('better-sqlite3') as DatabaseConstructor;

/** Opens (creating) a database file; every INTEGER comes back as a bigint, so 64-bit inode numbers survive. */
export function openDatabase(file: string): Database {
  const db = new BetterSqlite3(file, { timeout: 0 });
  db.defaultSafeIntegers(true);
  return db;
}

export function asNumber(v: SqlValue | undefined): number {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return v;
  throw new TypeError(`expected an integer column, got ${typeof v}`);
}

export function asBigint(v: SqlValue | undefined): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  throw new TypeError(`expected an integer column, got ${typeof v}`);
}

export function asBuffer(v: SqlValue | undefined): Buffer | null {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v;
  throw new TypeError(`expected a BLOB column, got ${typeof v}`);
}

/** True for SQLite's "database is locked/busy" failures (another daemon holds the staging dir). */
export function isBusyError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}
