import type { Knex } from 'knex';
import type { Dialect } from '../../config/url.js';
import type { TimeZone } from '../../time/zone.js';

// What differs between the SQL dialects the tool runs on, one interface per concern; each
// dialect implements them all in one module (pg.ts, sqlite.ts), registered in index.ts and
// chosen once per database (Db.adapter, or adapterOf(knex) where only a knex is at hand).
// Code elsewhere asks the adapter — a fragment, a capability, an operation — instead of
// branching on the dialect's name (STYLE 13: kysely's DialectAdapter, knex's client classes).
//
// This directory imports nothing of the tool but errors, time, the URL's dialect name and
// db/timeouts.ts, db/unreachable.ts: config/resolve.ts reads the adapters, so they may
// not read config's Target (DialectTarget is what they need of it).

export type { Dialect };

/** What an adapter reads of a target (config/resolve.ts's Target has these and more). */
export interface DialectTarget {
  /** for connecting: the password filled in. Never print it. */
  url: string;
  displayUrl: string;
  /** sqlite: absolute path of the file */
  file?: string;
  /** pg: database name; sqlite: file name */
  database: string;
  source: string;
  embedded: boolean;
  passwordEnv?: string;
}

/** Connection set-up: the driver, its pool, what each new connection is told; URLs; driver errors. */
export interface ConnectionSetup {
  /** knex's configuration (without `log`: connect.ts quiets every dialect's the same way) */
  knexConfig(target: DialectTarget, opts: { readOnly?: boolean }): Knex.Config;
  /** the URL to connect with (`password` filled in, where the URL has one) and every secret in it */
  credentials(url: string, password: string | undefined): { url: string; secrets: Array<string | null | undefined> };
  /** "PostgreSQL 15.4", "SQLite 3.45.1" */
  serverVersion(knex: Knex): Promise<string>;
  /** what to check next when a connection failed; none when there is nothing useful to add */
  connectionHints(target: DialectTarget, err: unknown): string[];
  /** whether `err` comes from this driver or its server (network errors are every dialect's: connect.ts) */
  isDriverError(err: { code?: unknown; severity?: unknown }): boolean;
  /** the database's own short name: the default log origin is egovctl/<this> */
  databaseName(target: DialectTarget): string;
}

/** An interrupt while a statement runs (db/guarded-tx.ts has the rule). */
export interface Interrupts {
  /**
   * While `trx` is open, an abort cancels whatever statement it runs; the function returned
   * stops that (and waits for a cancel in flight). Null where a running statement cannot be
   * stopped from JavaScript: there the interrupt is seen between statements.
   */
  cancelOnAbort: ((url: string, trx: Knex.Transaction, signal: AbortSignal) => Promise<() => Promise<void>>) | null;
  /** TEST HOOK (db/test-pause.ts): a statement that waits `ms` on trx's connection; null: a timer waits instead */
  sleepStatement: ((trx: Knex.Transaction, ms: number) => Promise<void>) | null;
}

export interface MigrationLockState {
  locked: boolean;
  pid?: number;
  since?: string;
  application?: string;
}

/** Locks: who waits for whom, for how long, and what a wait that ran out says. */
export interface Locks {
  /** the driver's error for a lock waited for longer than the lock timeout */
  isLockTimeout(err: unknown): boolean;
  /**
   * What follows "waited … for a lock on target …": who holds it and what to do (connect.ts
   * makes the exit-6 error of it). Never throws: the conflict stands without the lookup.
   */
  lockHolder(knex: Knex, target: DialectTarget): Promise<{ text: string; details: string[] }>;
  /**
   * Runs `body` in one transaction that holds the migration lock for exactly as long (so a
   * killed run frees it with its connection), waiting for another run's at most timeoutMs
   * (then exit 6); commits, or rolls back when dryRun.
   */
  withMigrationLock<T>(knex: Knex, o: { key: string; timeoutMs: number; dryRun: boolean }, body: (trx: Knex) => Promise<T>): Promise<T>;
  /** whether another run holds the migration lock right now (in this database), asked without waiting */
  migrationLockState(knex: Knex, key: string): Promise<MigrationLockState>;
  /** ends the holder of a lock `state` found held; a dialect that cannot throws ConflictError */
  endMigrationLockHolder(knex: Knex, state: MigrationLockState): Promise<{ cleared: boolean; pid?: number }>;
  /**
   * Locks `table` against other writers to the end of the transaction, before the
   * transaction's first query; a table that does not exist is nothing to lock. A no-op where
   * a write transaction holds the whole database already.
   */
  lockTableForWrites(knex: Knex, table: string, savepoint: string): Promise<void>;
  /**
   * Keeps migration runs out until the end of the transaction `trx` without waiting for one
   * (false: a run holds the migration lock), and bounds every later lock wait of `trx` to
   * waitMs, where the dialect can (a write transaction on SQLite holds the database already).
   */
  excludeMigrations(trx: Knex.Transaction, o: { key: string; waitMs: number }): Promise<boolean>;
  /** the query's rows locked against other writers to the end of the transaction */
  forUpdate(q: Knex.QueryBuilder): Knex.QueryBuilder;
  /**
   * Appends the row `make` builds from the table's last row (by `id`, `columns` read),
   * appends serialised among all sessions (waiting at most waitMs), in a transaction of its
   * own; `lockKey` names the serialisation where the dialect needs a name. Returns the row.
   */
  appendAfterLast<R extends object>(
    knex: Knex,
    o: { table: string; id: string; columns: string[]; lockKey: string; waitMs: number },
    make: (last: Record<string, unknown> | undefined) => R,
  ): Promise<R>;
}

/** Snapshots: transactions that read one state of the database. */
export interface Snapshots {
  /** a read-only transaction that reads one snapshot throughout (the caller rolls it back) */
  readSnapshot(knex: Knex): Promise<Knex.Transaction>;
  /** knex's options for a write transaction at `isolation`, where the dialect has levels */
  transactionConfig(isolation: 'read committed' | 'repeatable read' | 'serializable' | undefined): Knex.TransactionConfig;
  /** nothing in the open transaction `trx` may write, where the dialect can say so */
  readOnly(trx: Knex.Transaction): Promise<void>;
}

/** Type mapping: how values come back from the driver. */
export interface TypeMapping {
  /** once per process, before the first connection: the driver's parsers for dates, timestamps, bigints */
  install(): void;
  /** the rows of a knex.raw result */
  rows(raw: unknown): Array<Record<string, unknown>>;
}

/** The planner: hints for a transaction's queries, statistics. */
export interface Planner {
  /** the transaction runs many small queries: compiling any of them would cost more than it saves */
  manySmallQueries(trx: Knex): Promise<void>;
  /** fresh statistics for tables just written in bulk */
  analyze(knex: Knex, tables: readonly string[]): Promise<void>;
}

/** The schema as the migrations build it on this dialect. */
export interface SchemaShape {
  /** tables with a partition column are partitioned by it (applications by submitted_at), so it is part of their primary key */
  partitioned: boolean;
  /** foreign keys of `trx` checked at its commit, not per statement (dropping parents before children) */
  deferForeignKeys(trx: Knex.Transaction): Promise<void>;
  /** drops the tool's own functions (trigger functions that outlive their tables), where the dialect has them */
  dropFunctions(trx: Knex.Transaction, signatures: readonly string[]): Promise<void>;
  /** how many partitions `table` has; null where it is not partitioned (or does not exist) */
  partitionCount(knex: Knex, table: string): Promise<number | null>;
}

/** SQL that is written differently, or exists only in some dialects. */
export interface SqlFragments {
  /**
   * Inserts `rows` (each in `columns` order, the names as written in the SQL); with
   * ignoreDuplicates, a row whose primary key is taken is skipped. `types` are the columns'
   * types where the dialect needs them to read the values.
   */
  insertRows(knex: Knex, into: { table: string; columns: readonly string[]; types: readonly string[]; ignoreDuplicates: boolean }, rows: readonly unknown[][]): Promise<void>;
  /** the text of the member `key` of the JSON text in column `col` (SQL null when absent) */
  jsonMember(col: string, key: string): string;
  /** a placeholder; `cast` is the value's type where the dialect needs it said */
  param(cast: string): string;
  /** SELECT DISTINCT ON (…): one row per group, the first in the query's order */
  distinctOn: boolean;
  /** ordered-set aggregates (percentile_disc … within group), grouping sets, aggregate FILTER and date subtraction, as PostgreSQL writes them */
  orderedSetAggregates: boolean;
  /**
   * The registry log's one-statement append of many puts (registry/log-store.ts sqlPuts,
   * registry/log/sql-item.ts) is PostgreSQL's SQL (sha256, to_json, writable CTEs): true
   * where it runs as written. Elsewhere the log builds items in JavaScript.
   */
  logItemsInSql: boolean;
  /** `COPY … FROM STDIN` (db/copy-in.ts) on the transaction's connection: PostgreSQL's bulk path */
  copyIn: boolean;
}

/** Bulk reads by the server's own writer. */
export interface BulkReads {
  /**
   * The bytes of a `COPY (…) TO STDOUT …` statement as the server writes them, streamed on
   * knex's connection (a transaction's own, so in its snapshot), with back-pressure. When the
   * consumer stops before the end, the connection (mid-COPY, its state unknown) is closed
   * rather than reused. Null where the dialect has no COPY: callers read pages instead.
   */
  copyOut: ((knex: Knex, copy: string) => AsyncGenerator<Buffer>) | null;
}

/** Date arithmetic (the discipline report, SPEC §10). */
export interface DateSql {
  /** the local date (YYYY-MM-DD) of a timestamp column in the registry's zone; zoneParam() binds the zone's name */
  localDate(col: string, zoneParam: () => string): string;
  /** whole days from the date `earlier` to the date `later` */
  dayDiff(later: string, earlier: string): string;
  /** YYYY-MM of a date */
  yearMonth(date: string): string;
  /** before localDate is used in trx: what the dialect needs to know the zone */
  prepareZone(trx: Knex.Transaction, zone: TimeZone): Promise<void>;
}

export interface DialectAdapter {
  readonly name: Dialect;
  /** the knex client names this adapter serves (knex.client.config.client) */
  readonly knexClients: readonly string[];
  readonly connection: ConnectionSetup;
  readonly interrupts: Interrupts;
  readonly locks: Locks;
  readonly snapshots: Snapshots;
  readonly types: TypeMapping;
  readonly planner: Planner;
  readonly schema: SchemaShape;
  readonly sql: SqlFragments;
  readonly bulk: BulkReads;
  readonly dates: DateSql;
}
