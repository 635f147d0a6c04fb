import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Knex } from 'knex';
import type { Target } from '../config/resolve.js';
import { redact } from '../config/redact.js';
import { DatabaseError, EgovError, isConnectionLoss } from '../errors.js';

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
      },
      pool: { min: 0, max: 4 },
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
            conn.pragma('busy_timeout = 15000');
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
  return new DatabaseError(redact(`${doing} target ${describeTarget(target)}: ${cause}`), { cause: err });
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
    if (err instanceof EgovError) throw err;
    if (isDriverError(err)) throw databaseError(target, err, 'database error on');
    throw err;
  } finally {
    await closeKnex(db.knex).catch(() => {});
  }
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
