import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Knex } from 'knex';
import type { Target } from '../config/resolve.js';
import { connectionHints } from './unreachable.js';
import { redact } from '../config/redact.js';
import { ConflictError, DatabaseError, EgovError, isConnectionLoss } from '../errors.js';

const require = createRequire(import.meta.url);

export interface Db {
  knex: Knex;
  target: Target;
  dialect: 'pg' | 'sqlite';
}

let pgTypesSet = false;

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

// knex writes its own warnings ("Acquire connection error…") to the console; the tool
// reports failures itself, once, with the target named and secrets redacted.
const quietLog = { warn() {}, error() {}, deprecate() {}, debug() {} };

/** "central (postgres://egov:***@db1/registry)", or just the URL when it is the name. */
export function describeTarget(target: Target): string {
  return target.name === target.displayUrl ? target.displayUrl : `${target.name} (${target.displayUrl})`;
}

function setPgTypes(): void {
  if (pgTypesSet) return;
  pgTypesSet = true;
  const pg = require('pg') as typeof import('pg');
  // node-postgres turns DATE into a JS Date at local midnight, which can shift it by a
  // day (FIELD-NOTES): keep the text. Timestamps come back as ISO 8601 UTC text, the
  // form every export and report uses.
  pg.types.setTypeParser(1082, (v: string) => v);
  pg.types.setTypeParser(1184, (v: string) => new Date(v).toISOString());
  pg.types.setTypeParser(1114, (v: string) => new Date(`${v}Z`).toISOString());
  pg.types.setTypeParser(20, (v: string) => Number(v));
}

/**
 * Nothing waits forever (README, "Timeouts"). Seconds; 0 turns a limit off.
 * - lock: how long a statement waits for another session's lock (PostgreSQL lock_timeout,
 *   SQLite busy_timeout), then exit 6 naming the holder;
 * - statement: PostgreSQL statement_timeout (off by default: an import of millions of rows
 *   may rightly take long);
 * - idle: a statement that sends no byte to the server and gets none back for this long is
 *   taken for a dead link (unless the server's bytes wait unread in our buffer: then it is
 *   our reader that is slow — `export | less` — not the link) (a frozen network path answers TCP keepalive probes from some
 *   middlebox, or has unacknowledged data, which keepalive never probes): the connection
 *   is closed and the command exits 5. Also the server's
 *   idle_in_transaction_session_timeout, so that a session of ours left behind by a dead
 *   link does not hold its locks for ever.
 */
export interface DbTimeouts {
  lock: number;
  statement: number;
  idle: number;
}

export const DEFAULT_TIMEOUTS: Readonly<DbTimeouts> = { lock: 60, statement: 0, idle: 600 };
let timeouts: DbTimeouts = { ...DEFAULT_TIMEOUTS };

export function setDbTimeouts(t: Partial<DbTimeouts>): void {
  timeouts = { ...timeouts, ...Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined)) };
}

export function dbTimeouts(): Readonly<DbTimeouts> {
  return timeouts;
}

/** A socket with no traffic while a statement runs: close it, so the statement fails (exit 5) instead of hanging. */
function watchLink(conn: { connection?: { stream?: import('node:net').Socket }; _activeQuery?: unknown; _queryQueue?: unknown[] }): void {
  const sock = conn.connection?.stream;
  if (!sock || typeof sock.setTimeout !== 'function') return;
  sock.setKeepAlive(true, 10_000);
  if (!timeouts.idle) return;
  sock.setTimeout(timeouts.idle * 1000);
  sock.on('timeout', () => {
    if (!conn._activeQuery && !conn._queryQueue?.length) return; // idle in the pool: fine (the underscored fields: pg 8.23 warns on stderr for activeQuery)
    // Bytes from the server wait unread in our buffer: the link is alive and the reader
    // downstream is slow (`export | less` left on a page). Not a dead link; look again later.
    if (sock.readableLength > 0) {
      sock.setTimeout(timeouts.idle * 1000);
      return;
    }
    sock.destroy(Object.assign(new Error(`Connection terminated: no byte to or from the server for ${timeouts.idle} s while a statement ran (--idle-timeout); the link is taken for dead`), { code: 'ETIMEDOUT' }));
  });
}

/** Open instances, so that an interrupt can close them (which rolls back what is open). */
const open = new Set<Knex>();

export function openDatabases(): ReadonlySet<Knex> {
  return open;
}

export function createKnex(target: Target, opts: { readOnly?: boolean } = {}): Knex {
  const knexFactory = require('knex') as typeof import('knex').knex;
  let k: Knex;
  if (target.dialect === 'pg') {
    setPgTypes();
    k = knexFactory({
      client: 'pg',
      connection: {
        connectionString: target.url,
        connectionTimeoutMillis: 10_000,
        application_name: 'egovctl',
        keepAlive: true,
        keepAliveInitialDelayMillis: 10_000,
        ...(timeouts.lock ? { lock_timeout: timeouts.lock * 1000 } : {}),
        ...(timeouts.statement ? { statement_timeout: timeouts.statement * 1000 } : {}),
        ...(timeouts.idle ? { idle_in_transaction_session_timeout: timeouts.idle * 1000 } : {}),
      },
      pool: {
        min: 0,
        max: 4,
        afterCreate: (conn: Parameters<typeof watchLink>[0], done: (err: Error | null, conn: unknown) => void) => {
          watchLink(conn);
          done(null, conn);
        },
      },
      acquireConnectionTimeout: 15_000,
      log: quietLog,
    });
  } else {
    const file = target.file!;
    if (target.embedded) privateDataFile(file);
    k = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: file, options: { readonly: opts.readOnly ?? false } },
      useNullAsDefault: true,
      log: quietLog,
      pool: {
        min: 1,
        max: 1,
        afterCreate: (conn: import('better-sqlite3').Database, done: (err: Error | null, conn: unknown) => void) => {
          try {
            conn.pragma('foreign_keys = ON');
            conn.pragma(`busy_timeout = ${Math.round((timeouts.lock || 24 * 3600) * 1000)}`);
            if (!opts.readOnly) conn.pragma('journal_mode = WAL');
            done(null, conn);
          } catch (err) {
            done(err as Error, conn);
          }
        },
      },
    });
  }
  open.add(k);
  return k;
}

export async function closeKnex(k: Knex): Promise<void> {
  open.delete(k);
  await k.destroy();
}

/** Turns a driver error into exit 5 with the target named and no secret shown. */
export function databaseError(target: Target, err: unknown, doing = 'cannot connect to'): EgovError {
  if (err instanceof EgovError) return err;
  const e = err as { code?: string; message?: string; errors?: Array<{ message?: string }> };
  let cause = e?.message || (e?.errors?.map((x) => x.message).join('; ') ?? '') || e?.code || String(err);
  if (!cause && e?.code) cause = e.code;
  return new DatabaseError(redact(`${doing} target ${describeTarget(target)}: ${cause}`), { cause: err, details: doing === 'cannot connect to' ? connectionHints(target, err).map(redact) : [] });
}

/** Connects and checks the connection, so that an unreachable server is exit 5 at once. */
export async function connect(target: Target, opts: { readOnly?: boolean } = {}): Promise<Db> {
  let knex: Knex;
  try {
    knex = createKnex(target, opts);
  } catch (err) {
    throw databaseError(target, err);
  }
  try {
    await knex.raw('select 1');
  } catch (err) {
    await closeKnex(knex).catch(() => {});
    throw databaseError(target, err);
  }
  return { knex, target, dialect: target.dialect };
}

/** Scoped use of a database: the pool is destroyed in finally (STYLE 7). */
export async function withDb<T>(target: Target, fn: (db: Db) => Promise<T>, opts: { readOnly?: boolean } = {}): Promise<T> {
  const db = await connect(target, opts);
  try {
    return await fn(db);
  } catch (err) {
    throw await classifyDbError(db, err);
  } finally {
    await closeKnex(db.knex).catch(() => {});
  }
}

/**
 * The error a user sees (and the audit row records) for what a command on `db` threw: a
 * lock waited for too long is a conflict (6) naming its holder, a driver error or a lost
 * connection is 5; our own errors stay as they are.
 */
export async function classifyDbError(db: Db, err: unknown): Promise<unknown> {
  if (err instanceof EgovError) return err;
  if (isLockTimeout(err)) return lockConflict(db, err);
  if (isDriverError(err)) return databaseError(db.target, err, 'database error on');
  return err;
}

export function isLockTimeout(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === '55P03' || code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT';
}

/**
 * Waited --lock-timeout for another session's lock: exit 6, naming who holds the tool's
 * tables (PostgreSQL: pid, application_name, user, since when, lock mode, from pg_locks and
 * pg_stat_activity) so that the operator can ask them, or end them.
 */
async function lockConflict(db: Db, err: unknown): Promise<EgovError> {
  const waited = `waited ${timeouts.lock} s (--lock-timeout) for a lock on target ${describeTarget(db.target)}`;
  if (db.dialect === 'sqlite') {
    return new ConflictError(`${waited}: another process is writing to the database file ${db.target.file}; try again when it is done`, { cause: err });
  }
  const details: string[] = [];
  let holder = 'another session';
  try {
    const r = await db.knex.raw(`
      select a.pid, coalesce(a.application_name, '') as app, coalesce(a.usename::text, '') as usr,
             coalesce(a.state, '') as state, a.xact_start, l.mode, c.relname as rel
        from pg_locks l join pg_stat_activity a on a.pid = l.pid join pg_class c on c.oid = l.relation
       where l.granted and l.pid <> pg_backend_pid() and c.relnamespace = current_schema()::regnamespace
         and c.relname in ('agencies', 'services', 'applications', 'audit_log', 'registry_log', 'knex_migrations', 'knex_migrations_lock')
         and l.mode in ('AccessExclusiveLock', 'ExclusiveLock', 'ShareRowExclusiveLock', 'ShareLock', 'ShareUpdateExclusiveLock', 'RowExclusiveLock')
       order by case l.mode when 'AccessExclusiveLock' then 0 when 'ExclusiveLock' then 1 when 'ShareRowExclusiveLock' then 2 when 'ShareLock' then 3 else 4 end, a.pid
       limit 5`);
    const rows = r.rows as Array<{ pid: number; app: string; usr: string; state: string; xact_start: unknown; mode: string; rel: string }>;
    if (rows[0]) holder = `pid ${rows[0].pid} (application_name "${rows[0].app}", user ${rows[0].usr})`;
    for (const h of rows) {
      details.push(`- held by pid ${h.pid} (application_name "${h.app}", user ${h.usr}, ${h.state}${h.xact_start ? `, in a transaction since ${String(h.xact_start)}` : ''}): ${h.mode} on ${h.rel}`);
    }
  } catch {
    // the lookup is a courtesy: the conflict stands without it
  }
  if (details.length) details.push(`- wait longer with --lock-timeout <seconds>, or end the holder: select pg_terminate_backend(<pid>)`);
  return new ConflictError(redact(`${waited}; it is held by ${holder}`), { cause: err, details: details.map((d) => redact(d)) });
}

/** Errors that come from the database or its driver rather than from our own code. */
export function isDriverError(err: unknown): boolean {
  const e = err as { code?: unknown; severity?: unknown; name?: string };
  if (!e || typeof e !== 'object') return false;
  if (typeof e.severity === 'string' && typeof e.code === 'string') return true; // pg DatabaseError
  if (typeof e.code === 'string' && /^(SQLITE_|ECONN|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|EAI_)/.test(e.code)) return true;
  return isConnectionLoss(err);
}

export async function serverVersion(db: Db): Promise<string> {
  if (db.dialect === 'pg') {
    const r = await db.knex.raw('show server_version');
    return `PostgreSQL ${r.rows[0].server_version}`;
  }
  const r = (await db.knex.raw('select sqlite_version() as v')) as Array<{ v: string }>;
  return `SQLite ${r[0]!.v}`;
}
