import type { Knex } from 'knex';
import type BetterSqlite3 from 'better-sqlite3';
import { ENTITIES, type EntityName } from '../../records/fields.js';
import type { ImportDialect } from '../dialect.js';
import { intoEmptyKeysless, mergeNames, mergedCounts, notInStage, type MergeCounts } from '../merge.js';
import { STAGE, dataColumns, q } from '../stage-columns.js';
import { StatementWriter } from '../writers/statements.js';

// SQLite: prepared statements on the transaction's own connection (better-sqlite3 is
// synchronous: a statement's rows come back without a round trip), a temporary staging
// table without declared types, and no direct load.

const STAGED = `temp.${STAGE}`;

const connection = async (trx: Knex.Transaction) => (await trx.client.acquireConnection()) as BetterSqlite3.Database;

async function createStage(trx: Knex.Transaction, entity: EntityName, withRaw: boolean): Promise<void> {
  await trx.raw(`drop table if exists ${STAGED}`);
  // No declared types: SQLite keeps each value's own type (text decimals stay text).
  const cols = ['line integer not null', ...(withRaw ? ['raw'] : []), ...dataColumns(entity).map(q)];
  await trx.raw(`create temporary table ${STAGE} (${cols.join(', ')})`);
}

async function indexStage(trx: Knex.Transaction, _byLine: boolean, key: 'code' | 'id'): Promise<void> {
  await trx.raw(`create index ${STAGED}_code on ${STAGE} (${q(key)})`);
  await trx.raw(`create index ${STAGED}_line on ${STAGE} (line)`);
}

async function deleteAbsent(trx: Knex.Transaction, entity: EntityName): Promise<string[]> {
  const { table } = mergeNames(entity);
  return ((await connection(trx)).prepare(`delete from ${table} where ${notInStage(table)} returning code`).all() as Array<{ code: string }>).map((r) => r.code);
}

/** Two statements; SQLite's `is not` is null-safe per column. */
async function mergeStage(trx: Knex.Transaction, entity: EntityName, staged: number, now: string, keys: boolean): Promise<MergeCounts> {
  const { table, list, key, rest } = mergeNames(entity);
  const conn = await connection(trx);
  if (await intoEmptyKeysless(trx, entity, keys)) {
    conn.prepare(`insert into ${table} (${list}, updated_at) select ${list}, ? from ${STAGED}`).run(now);
    return { inserted: staged, updated: 0, unchanged: 0, written: [] };
  }
  const changed = rest.map((c) => `${table}.${q(c)} is not s.${q(c)}`).join(' or ');
  const set = [...rest.map((c) => `${q(c)} = s.${q(c)}`), 'updated_at = ?'].join(', ');
  const update = `update ${table} set ${set} from ${STAGED} s where ${table}.${key} = s.${key} and (${changed})`;
  const insert = `insert into ${table} (${list}, updated_at) select ${list}, ? from ${STAGED} s where not exists (select 1 from ${table} t where t.${key} = s.${key})`;
  if (!ENTITIES[entity].logged) {
    const u = conn.prepare(update).run(now).changes;
    const n = conn.prepare(insert).run(now).changes;
    return { inserted: n, updated: u, unchanged: staged - n - u, written: [] };
  }
  const codes = (sql: string) => (conn.prepare(`${sql} returning ${key} as code`).all(now) as Array<{ code: string }>).map((r) => r.code);
  const updated = codes(update);
  return mergedCounts(staged, updated, codes(insert));
}

export const sqliteImport: ImportDialect = {
  name: 'sqlite',
  byteStrings: false,
  directLoad: false,
  monthPartitions: false,
  async begin(trx) {
    // Foreign keys checked at the commit, not per statement: the merge may write an agency
    // before the parent it names.
    await trx.raw('PRAGMA defer_foreign_keys = ON');
  },
  // One writer at a time is SQLite's own rule (its database lock).
  async lockWriters() {},
  async prepareDirect() {
    return { empty: false, restore: null };
  },
  async rowWriter(_trx, spec) {
    return new StatementWriter(spec);
  },
  createStage,
  indexStage,
  async tuneChecks() {},
  deleteAbsent,
  mergeStage,
  async dropStage(trx) {
    await trx.raw(`drop table temp.${q(STAGE)}`);
  },
};
