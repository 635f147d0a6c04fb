import fs from 'node:fs';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { Knex } from 'knex';
import { ConflictError } from '../../errors.js';
import { dbTimeouts } from '../timeouts.js';
import { localDateFunction } from './sqlite-local-date.js';
import type { DialectAdapter, Locks, MigrationLockState } from './types.js';

// SQLite, through better-sqlite3 (knex client 'better-sqlite3'): one connection, on this
// very thread; a write transaction holds the whole database.

/** The name of the SQLite function that gives the local date of an ISO 8601 timestamp. */
export const SQLITE_LOCAL_DATE = 'egov_local_date';

type Client = { acquireConnection(): Promise<BetterSqlite3.Database>; releaseConnection(c: BetterSqlite3.Database): Promise<void> };

/**
 * The embedded database holds the registry and its audit trail: its directory is the
 * user's alone (0700) and the file 0600, whatever the umask (SQLite gives its -wal and
 * -shm files the mode of the database file).
 */
function privateDataFile(file: string): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  fs.chmodSync(file, 0o600);
}

function knexConfig(target: { file?: string; embedded: boolean }, opts: { readOnly?: boolean }): Knex.Config {
  const file = target.file!;
  if (target.embedded) privateDataFile(file);
  return {
    client: 'better-sqlite3',
    connection: { filename: file, options: { readonly: opts.readOnly ?? false } },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate: (conn: BetterSqlite3.Database, done: (err: Error | null, conn: unknown) => void) => {
        try {
          conn.pragma('foreign_keys = ON');
          conn.pragma(`busy_timeout = ${Math.round((dbTimeouts().lock || 24 * 3600) * 1000)}`);
          if (!opts.readOnly) conn.pragma('journal_mode = WAL');
          done(null, conn);
        } catch (err) {
          done(err as Error, conn);
        }
      },
    },
  };
}

const isBusy = (err: unknown) => !!(err as { code?: string }).code?.startsWith('SQLITE_BUSY');

/** A write transaction elsewhere shows as a busy database. Ask without waiting. */
async function migrationLockState(knex: Knex): Promise<MigrationLockState> {
  const conn = (await knex.client.acquireConnection()) as BetterSqlite3.Database;
  try {
    const prev = conn.pragma('busy_timeout', { simple: true }) as number;
    conn.pragma('busy_timeout = 0');
    try {
      conn.exec('BEGIN IMMEDIATE');
      conn.exec('ROLLBACK');
      return { locked: false };
    } catch (err) {
      if (isBusy(err)) return { locked: true };
      throw err;
    } finally {
      conn.pragma(`busy_timeout = ${prev}`);
    }
  } finally {
    await knex.client.releaseConnection(conn);
  }
}

/** One connection; BEGIN IMMEDIATE takes the write lock (waiting busy_timeout). */
async function withMigrationLock<T>(k: Knex, o: { timeoutMs: number; dryRun: boolean }, body: (trx: Knex) => Promise<T>): Promise<T> {
  await k.raw(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(o.timeoutMs))}`);
  try {
    await k.raw('BEGIN IMMEDIATE');
  } catch (err) {
    if (isBusy(err)) {
      throw new ConflictError(`another process is writing this SQLite database (a migration run?); waited ${Math.round(o.timeoutMs / 1000)} s`, {
        details: ['- try again when it ends; its lock ends with that process'],
      });
    }
    throw err;
  }
  // Foreign keys cannot be switched inside a transaction; defer their checks instead,
  // so that a migration may rebuild a table others refer to.
  await k.raw('PRAGMA defer_foreign_keys = ON');
  let result: T;
  try {
    result = await body(k);
  } catch (err) {
    await k.raw('ROLLBACK').catch(() => {});
    throw err;
  }
  await k.raw(o.dryRun ? 'ROLLBACK' : 'COMMIT');
  return result;
}

/** Serialised by BEGIN IMMEDIATE; better-sqlite3 is synchronous: read, build and insert run inside it. */
const appendAfterLast: Locks['appendAfterLast'] = async (knex, o, make) => {
  const client = knex.client as Client;
  const conn = await client.acquireConnection();
  const busy = conn.pragma('busy_timeout', { simple: true }) as number;
  try {
    conn.pragma(`busy_timeout = ${o.waitMs}`);
    const append = conn.transaction(() => {
      const last = conn.prepare(`select ${o.columns.join(', ')} from ${o.table} order by ${o.id} desc limit 1`).get() as Record<string, unknown> | undefined;
      const out = make(last);
      const cols = Object.keys(out);
      conn.prepare(`insert into ${o.table} (${cols.join(', ')}) values (${cols.map((c) => `@${c}`).join(', ')})`).run(out);
      return out;
    });
    return append.immediate();
  } finally {
    conn.pragma(`busy_timeout = ${busy}`);
    await client.releaseConnection(conn);
  }
};

const locks: Locks = {
  isLockTimeout: (err) => {
    const code = (err as { code?: unknown })?.code;
    return code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT';
  },
  lockHolder: async (_knex, target) => ({ text: `: another process is writing to the database file ${target.file}; try again when it is done`, details: [] }),
  withMigrationLock,
  migrationLockState,
  async endMigrationLockHolder() {
    // SQLite's lock dies with its process
    throw new ConflictError('the SQLite database is being written by another process; its lock ends with that process (stop it first)');
  },
  // the write transaction holds the whole database already
  lockTableForWrites: async () => {},
  // the write transaction holds the whole database: a migration run waits for it
  excludeMigrations: async () => true,
  forUpdate: (q) => q,
  appendAfterLast,
};

/** Prepared statements of insertRows, per connection: preparing one per call cost more than running it. */
const prepared = new WeakMap<object, Map<string, { run(...params: unknown[]): unknown }>>();

/** Rows of placeholders, at most 800 values a statement (400 rows of two, 100 of eight). */
async function insertRows(knex: Knex, into: { table: string; columns: readonly string[]; ignoreDuplicates: boolean }, rows: readonly unknown[][]): Promise<void> {
  const per = Math.floor(800 / into.columns.length);
  const row = `(${into.columns.map(() => '?').join(', ')})`;
  const sql = (n: number) => `insert${into.ignoreDuplicates ? ' or ignore' : ''} into ${into.table} (${into.columns.join(', ')}) values ${Array.from({ length: n }, () => row).join(', ')}`;
  // Inside a transaction (every append is), straight on its connection with statements
  // prepared once: 200,000 items of a first load took 2 s less so than through knex.raw.
  if (knex.isTransaction) {
    const conn = (await knex.client.acquireConnection()) as { prepare(sql: string): { run(...params: unknown[]): unknown } };
    let cache = prepared.get(conn);
    if (!cache) prepared.set(conn, (cache = new Map()));
    for (let i = 0; i < rows.length; i += per) {
      const part = rows.slice(i, i + per);
      const text = sql(part.length);
      let st = cache.get(text);
      if (!st) cache.set(text, (st = conn.prepare(text)));
      st.run(...part.flat());
    }
    return;
  }
  for (let i = 0; i < rows.length; i += per) {
    const part = rows.slice(i, i + per);
    await knex.raw(sql(part.length), part.flat() as Knex.RawBinding[]);
  }
}

export const sqliteAdapter: DialectAdapter = {
  name: 'sqlite',
  knexClients: ['better-sqlite3'],
  connection: {
    knexConfig,
    // a file: no password
    credentials: (url) => ({ url, secrets: [] }),
    async serverVersion(knex) {
      const r = (await knex.raw('select sqlite_version() as v')) as Array<{ v: string }>;
      return `SQLite ${r[0]!.v}`;
    },
    connectionHints: () => [],
    isDriverError: (e) => typeof e.code === 'string' && e.code.startsWith('SQLITE_'),
    // the file's name without its extension
    databaseName: (target) => path.parse(target.database).name,
  },
  // better-sqlite3 runs a statement on this very thread: nothing can stop it from JavaScript
  interrupts: { cancelOnAbort: null, sleepStatement: null },
  locks,
  snapshots: {
    // SQLite's transactions are serializable: a plain one reads one snapshot
    readSnapshot: (knex) => knex.transaction(),
    transactionConfig: () => ({}),
    readOnly: async () => {},
  },
  types: {
    install() {},
    rows: (raw) => raw as Array<Record<string, unknown>>,
  },
  planner: {
    manySmallQueries: async () => {},
    analyze: async () => {},
  },
  schema: {
    partitioned: false,
    async deferForeignKeys(trx) {
      await trx.raw('PRAGMA defer_foreign_keys = ON');
    },
    // triggers, not trigger functions: they go with their tables
    dropFunctions: async () => {},
    partitionCount: async () => null,
  },
  sql: {
    jsonMember: (col, key) => `json_extract(${col}, '$.${key}')`,
    insertRows,
    param: () => '?',
    distinctOn: false,
    orderedSetAggregates: false,
    logItemsInSql: false,
    copyIn: false,
  },
  // better-sqlite3's row iterator is the fast path here (export/sqlite-source.ts)
  bulk: { copyOut: null },
  dates: {
    // SQLite has no time zones: egov_local_date, registered on the connection by prepareZone
    localDate: (col) => `${SQLITE_LOCAL_DATE}(${col})`,
    dayDiff: (later, earlier) => `cast(julianday(${later}) - julianday(${earlier}) as integer)`,
    yearMonth: (date) => `substr(${date}, 1, 7)`,
    async prepareZone(trx, zone) {
      // the transaction's own connection (knex hands it back inside the transaction); the
      // local date comes from the same zone rules the import uses
      const conn = (await trx.client.acquireConnection()) as BetterSqlite3.Database;
      conn.function(SQLITE_LOCAL_DATE, { deterministic: true }, localDateFunction(zone));
    },
  },
};
