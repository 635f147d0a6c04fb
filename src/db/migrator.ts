import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import { ConflictError, InternalError } from '../errors.js';
import type { Db } from './connect.js';
import type { MigrationLockState } from './dialect/index.js';

// Our own small migrator rather than knex's: knex keeps its lock in a row that a killed run
// leaves behind, and has no checksums. Here every run holds the lock for exactly as long
// as its transaction — a PostgreSQL transaction-scoped advisory lock, an SQLite write
// transaction (BEGIN IMMEDIATE) — so a SIGKILL frees it with the connection, and a run
// applies all its migrations in one transaction, or none.

export const MIGRATIONS_TABLE = 'egovctl_migrations';
/** pg_advisory_xact_lock key: "egovctl" in ASCII, fits in a bigint. */
export const LOCK_KEY = '28542748461855340';

export interface MigrationFile {
  name: string;
  file: string;
  checksum: string;
}

export type MigrationState = 'applied' | 'pending' | 'modified' | 'missing';

export interface MigrationStatus {
  name: string;
  state: MigrationState;
  batch: number | null;
  applied_at: string | null;
}

export interface StatusReport {
  migrations: MigrationStatus[];
  applied: number;
  pending: number;
  modified: number;
  missing: number;
}

export interface RunResult {
  direction: 'up' | 'down';
  migrations: string[];
  batch: number | null;
  dryRun: boolean;
  sql: string[];
}

interface AppliedRow {
  name: string;
  batch: number;
  checksum: string;
  applied_at: string;
}

/**
 * The shipped migrations, always as compiled JavaScript (the checksums are of those
 * files): dist/migrations, whether this module runs from dist/src/db or, in tests, src/db.
 */
export function migrationsDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const root = path.resolve(here, '..', '..');
  return path.basename(root) === 'dist' ? path.join(root, 'migrations') : path.join(root, 'dist', 'migrations');
}

export function listMigrationFiles(dir = migrationsDir()): MigrationFile[] {
  if (!fs.existsSync(dir)) throw new InternalError(`internal error (this is a bug in egovctl): no migrations directory at ${dir}`);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .sort()
    .map((f) => {
      const file = path.join(dir, f);
      // The checksum ignores the source-map comment, which says nothing about the schema.
      const text = fs.readFileSync(file, 'utf8').replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
      return { name: f.replace(/\.js$/, ''), file, checksum: crypto.createHash('sha256').update(text).digest('hex') };
    });
}

async function ensureTable(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(MIGRATIONS_TABLE)) return;
  await knex.schema.createTable(MIGRATIONS_TABLE, (t) => {
    t.string('name', 255).primary();
    t.integer('batch').notNullable();
    t.string('checksum', 64).notNullable();
    t.string('applied_at', 30).notNullable();
  });
}

async function readApplied(knex: Knex): Promise<AppliedRow[]> {
  if (!(await knex.schema.hasTable(MIGRATIONS_TABLE))) return [];
  return knex(MIGRATIONS_TABLE).select('name', 'batch', 'checksum', 'applied_at').orderBy('name');
}

/**
 * Migration names (`<14-digit timestamp>_<name>`) in the order of their characters: the
 * order listMigrationFiles sorts them in. Not localeCompare, whose first call builds an ICU
 * collator (13 ms of every doctor and import, measured; issue 18).
 */
function codeUnitOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function statusOf(files: MigrationFile[], applied: AppliedRow[]): StatusReport {
  const byName = new Map(applied.map((r) => [r.name, r]));
  const out: MigrationStatus[] = files.map((f) => {
    const row = byName.get(f.name);
    if (!row) return { name: f.name, state: 'pending', batch: null, applied_at: null };
    return { name: f.name, state: row.checksum === f.checksum ? 'applied' : 'modified', batch: row.batch, applied_at: row.applied_at };
  });
  const known = new Set(files.map((f) => f.name));
  for (const r of applied) {
    if (!known.has(r.name)) out.push({ name: r.name, state: 'missing', batch: r.batch, applied_at: r.applied_at });
  }
  out.sort((a, b) => codeUnitOrder(a.name, b.name));
  const count = (s: MigrationState) => out.filter((m) => m.state === s).length;
  return { migrations: out, applied: count('applied'), pending: count('pending'), modified: count('modified'), missing: count('missing') };
}

export async function migrationStatus(db: Db, dir?: string): Promise<StatusReport> {
  return statusOf(listMigrationFiles(dir), await readApplied(db.knex));
}

/**
 * Whether another run holds the migration lock right now, and since when (PostgreSQL: an
 * advisory lock of this database; SQLite: a write transaction elsewhere).
 */
export async function lockState(db: Db): Promise<MigrationLockState> {
  return db.adapter.locks.migrationLockState(db.knex, LOCK_KEY);
}

/** Ends the session that holds the lock (PostgreSQL). SQLite's lock dies with its process. */
export async function unlock(db: Db): Promise<{ cleared: boolean; pid?: number }> {
  const state = await lockState(db);
  if (!state.locked) return { cleared: false };
  return db.adapter.locks.endMigrationLockHolder(db.knex, state);
}

type Plan = (applied: AppliedRow[], files: MigrationFile[]) => { direction: 'up' | 'down'; names: string[] };

export interface RunOptions {
  dryRun?: boolean;
  dir?: string;
  /** how long to wait for another run's lock before exit 6 */
  lockTimeoutMs?: number;
  onLog?: (line: string) => void;
  /**
   * runs in the migration's transaction, under its lock, once the plan is known and before
   * any migration runs (not in a dry run): a rollback backs up the rows it will drop here,
   * so that what is backed up is exactly what is then dropped
   */
  beforeRun?: (trx: Knex, plan: { direction: 'up' | 'down'; names: string[] }) => Promise<void>;
}

/**
 * Runs a plan under the lock and in one transaction. The plan is computed after the lock
 * is held, so a second run that waited sees the first one's work and has nothing to do.
 */
async function run(db: Db, plan: Plan, opts: RunOptions): Promise<RunResult> {
  const files = listMigrationFiles(opts.dir);
  const sql: string[] = [];
  const capture = (q: { sql: string; bindings?: unknown[] }) => {
    if (/egovctl_migrations|pg_advisory|pg_try_advisory/.test(q.sql) && !/create table/i.test(q.sql)) return;
    sql.push(q.bindings?.length ? `${q.sql} -- bindings: ${JSON.stringify(q.bindings)}` : q.sql);
  };
  const body = async (trx: Knex) => {
    await ensureTable(trx);
    const applied = await readApplied(trx);
    const status = statusOf(files, applied);
    if (status.modified) {
      const names = status.migrations.filter((m) => m.state === 'modified').map((m) => m.name);
      throw new ConflictError(`applied migration${names.length > 1 ? 's were' : ' was'} modified since: ${names.join(', ')}`, {
        details: ['- a migration must never change once applied: restore the file, or add a new migration'],
      });
    }
    const { direction, names } = plan(applied, files);
    const batch = direction === 'up' ? Math.max(0, ...applied.map((r) => r.batch)) + 1 : null;
    if (opts.beforeRun && !opts.dryRun && names.length) await opts.beforeRun(trx, { direction, names });
    trx.on('query', capture);
    try {
      for (const name of names) {
        const file = files.find((f) => f.name === name);
        if (!file) throw new ConflictError(`migration ${name} is applied but its file is missing; it cannot be undone`);
        opts.onLog?.(`${direction === 'up' ? 'applying' : 'undoing'} ${name}`);
        const mod = (await import(pathToFileURL(file.file).href)) as { up: (k: Knex) => Promise<void>; down: (k: Knex) => Promise<void> };
        await mod[direction](trx);
        if (direction === 'up') {
          await trx(MIGRATIONS_TABLE).insert({ name, batch, checksum: file.checksum, applied_at: new Date().toISOString() });
        } else {
          await trx(MIGRATIONS_TABLE).where({ name }).delete();
        }
      }
    } finally {
      trx.off('query', capture);
    }
    return { direction, migrations: names, batch: names.length && direction === 'up' ? batch : null, dryRun: !!opts.dryRun, sql };
  };

  const timeout = opts.lockTimeoutMs ?? 60_000;
  return db.adapter.locks.withMigrationLock(db.knex, { key: LOCK_KEY, timeoutMs: timeout, dryRun: !!opts.dryRun }, body);
}

const pendingNames = (applied: AppliedRow[], files: MigrationFile[]) => {
  const done = new Set(applied.map((r) => r.name));
  return files.filter((f) => !done.has(f.name)).map((f) => f.name);
};
const appliedDesc = (applied: AppliedRow[]) => [...applied].sort((a, b) => b.batch - a.batch || codeUnitOrder(b.name, a.name));

export function latest(db: Db, opts: RunOptions = {}): Promise<RunResult> {
  return run(db, (applied, files) => ({ direction: 'up', names: pendingNames(applied, files) }), opts);
}

/** The next pending migration, or every pending one up to and including `name`. */
export function up(db: Db, name: string | undefined, opts: RunOptions = {}): Promise<RunResult> {
  return run(db, (applied, files) => {
    const pending = pendingNames(applied, files);
    if (!name) return { direction: 'up', names: pending.slice(0, 1) };
    const i = pending.indexOf(name);
    if (i < 0) throw new ConflictError(files.some((f) => f.name === name) ? `migration ${name} is already applied` : `no migration named ${name}`);
    return { direction: 'up', names: pending.slice(0, i + 1) };
  }, opts);
}

/** Undoes the last applied migration, or every applied one down to and including `name`. */
export function down(db: Db, name: string | undefined, opts: RunOptions = {}): Promise<RunResult> {
  return run(db, (applied) => {
    const desc = appliedDesc(applied).map((r) => r.name);
    if (!name) return { direction: 'down', names: desc.slice(0, 1) };
    const i = desc.indexOf(name);
    if (i < 0) throw new ConflictError(`migration ${name} is not applied`);
    return { direction: 'down', names: desc.slice(0, i + 1) };
  }, opts);
}

/** Undoes the last batch, the last `steps` migrations, or all of them. */
export function rollback(db: Db, what: { steps?: number; all?: boolean }, opts: RunOptions = {}): Promise<RunResult> {
  return run(db, (applied) => ({ direction: 'down', names: planRollback(applied, what) }), opts);
}

function planRollback(applied: AppliedRow[], what: { steps?: number; all?: boolean }): string[] {
  const desc = appliedDesc(applied);
  if (what.all) return desc.map((r) => r.name);
  if (what.steps !== undefined) return desc.slice(0, what.steps).map((r) => r.name);
  const last = desc[0]?.batch;
  return desc.filter((r) => r.batch === last).map((r) => r.name);
}

/** What a down/rollback would undo, without the lock: for the confirmation text. */
export async function previewDown(db: Db, kind: { name?: string } | { steps?: number; all?: boolean }): Promise<string[]> {
  const applied = await readApplied(db.knex);
  if ('name' in kind) {
    const desc = appliedDesc(applied).map((r) => r.name);
    if (!kind.name) return desc.slice(0, 1);
    const i = desc.indexOf(kind.name);
    // as `migrate up <name>` does for a name it cannot apply: a conflict (exit 6), not "nothing to do"
    if (i < 0) throw new ConflictError(`migration ${kind.name} is not applied${listMigrationFiles().some((f) => f.name === kind.name) ? '' : ' (no migration has that name)'}`);
    return desc.slice(0, i + 1);
  }
  return planRollback(applied, kind as { steps?: number; all?: boolean });
}

/** Commands that read or write records need the schema at the latest migration (exit 6). */
export async function requireSchema(db: Db, dir?: string): Promise<void> {
  const st = await migrationStatus(db, dir);
  if (st.modified) throw new ConflictError(`applied migrations were modified: ${st.migrations.filter((m) => m.state === 'modified').map((m) => m.name).join(', ')}`);
  if (st.pending) {
    throw new ConflictError(`${st.pending} migration${st.pending > 1 ? 's are' : ' is'} pending on target ${db.target.name}`, {
      details: [`- run: egovctl migrate latest${db.target.embedded ? '' : ` (with the same --db/--target)`}`],
    });
  }
}
