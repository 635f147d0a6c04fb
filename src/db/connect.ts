import { createRequire } from 'node:module';
import type { Knex } from 'knex';
import type { Target } from '../config/resolve.js';
import { redact } from '../config/redact.js';
import { ConflictError, DatabaseError, EgovError, isConnectionLoss } from '../errors.js';
import { adapters, dialectNamed, type Dialect, type DialectAdapter } from './dialect/index.js';
import { dbTimeouts } from './timeouts.js';

export { DEFAULT_TIMEOUTS, dbTimeouts, setDbTimeouts, type DbTimeouts } from './timeouts.js';

const require = createRequire(import.meta.url);

export interface Db {
  knex: Knex;
  target: Target;
  dialect: Dialect;
  /** what differs between the dialects (db/dialect/), chosen once from the target */
  adapter: DialectAdapter;
}

// knex writes its own warnings ("Acquire connection error…") to the console; the tool
// reports failures itself, once, with the target named and secrets redacted.
const quietLog = { warn() {}, error() {}, deprecate() {}, debug() {} };

/** "central (postgres://egov:***@db1/registry)", or just the URL when it is the name. */
export function describeTarget(target: Target): string {
  return target.name === target.displayUrl ? target.displayUrl : `${target.name} (${target.displayUrl})`;
}

/** Open instances, so that an interrupt can close them (which rolls back what is open). */
const open = new Set<Knex>();

export function openDatabases(): ReadonlySet<Knex> {
  return open;
}

export function createKnex(target: Target, opts: { readOnly?: boolean } = {}): Knex {
  const knexFactory = require('knex') as typeof import('knex').knex;
  const adapter = dialectNamed(target.dialect);
  adapter.types.install();
  const k = knexFactory({ ...adapter.connection.knexConfig(target, opts), log: quietLog });
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
  return new DatabaseError(redact(`${doing} target ${describeTarget(target)}: ${cause}`), { cause: err, details: doing === 'cannot connect to' ? dialectNamed(target.dialect).connection.connectionHints(target, err).map(redact) : [] });
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
  return { knex, target, dialect: target.dialect, adapter: dialectNamed(target.dialect) };
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
  return adapters().some((a) => a.locks.isLockTimeout(err));
}

/**
 * Waited --lock-timeout for another session's lock: exit 6, naming who holds the tool's
 * tables (as far as the dialect can tell) so that the operator can ask them, or end them.
 */
async function lockConflict(db: Db, err: unknown): Promise<EgovError> {
  const waited = `waited ${dbTimeouts().lock} s (--lock-timeout) for a lock on target ${describeTarget(db.target)}`;
  const held = await db.adapter.locks.lockHolder(db.knex, db.target);
  return new ConflictError(redact(`${waited}${held.text}`), { cause: err, details: held.details.map((d) => redact(d)) });
}

/** Errors that come from the database or its driver rather than from our own code. */
export function isDriverError(err: unknown): boolean {
  const e = err as { code?: unknown; severity?: unknown; name?: string };
  if (!e || typeof e !== 'object') return false;
  if (adapters().some((a) => a.connection.isDriverError(e))) return true;
  if (typeof e.code === 'string' && /^(ECONN|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|EAI_)/.test(e.code)) return true;
  return isConnectionLoss(err);
}

export async function serverVersion(db: Db): Promise<string> {
  return db.adapter.connection.serverVersion(db.knex);
}
