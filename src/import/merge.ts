import type { Knex } from 'knex';
import type BetterSqlite3 from 'better-sqlite3';
import { ENTITIES, type EntityName } from '../records/fields.js';
import { STAGE, dataColumns, q } from './stage-columns.js';
import { selectRows, type Dialect } from './stage.js';
import { timed } from './timing.js';

// The merge of the staging table into the entity's table: one statement per kind of
// change, never a query per record. A record whose values are all the same is not
// written at all, so its updated_at stays and it leaves no dead tuple behind.

export interface MergeCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

const notInStage = (table: string) => `not exists (select 1 from ${STAGE} s where s.code = ${table}.code)`;

/** How many stored records a replace would delete. */
export async function countAbsent(trx: Knex.Transaction, entity: EntityName): Promise<number> {
  const table = q(ENTITIES[entity].table);
  const rows = await selectRows<{ n: number | string }>(trx, `select count(*) as n from ${table} where ${notInStage(table)}`);
  return Number(rows[0]?.n ?? 0);
}

/** Deletes the stored records absent from the file; returns how many. */
export async function deleteAbsent(trx: Knex.Transaction, dialect: Dialect, entity: EntityName): Promise<number> {
  const table = q(ENTITIES[entity].table);
  const sql = `delete from ${table} where ${notInStage(table)}`;
  if (dialect === 'pg') return ((await trx.raw(sql)) as { rowCount: number }).rowCount;
  const conn = (await trx.client.acquireConnection()) as BetterSqlite3.Database;
  return conn.prepare(sql).run().changes;
}

/**
 * Two statements, in both dialects: update the stored records whose values differ, then
 * insert the new ones. Not INSERT … ON CONFLICT DO UPDATE … WHERE: that locks (and so
 * writes) every conflicting row even when its WHERE is false — 7 s against 3.5 s for a
 * million unchanged records here. Counts come from the statements themselves.
 */
export async function mergeStage(trx: Knex.Transaction, dialect: Dialect, entity: EntityName, staged: number, now: string): Promise<MergeCounts> {
  const table = q(ENTITIES[entity].table);
  const cols = dataColumns(entity);
  const list = cols.map(q).join(', ');
  const rest = cols.filter((c) => c !== 'code');
  const stage = dialect === 'pg' ? STAGE : `temp.${STAGE}`;
  const stamp = dialect === 'pg' ? '?::timestamptz' : '?';
  // PostgreSQL compares the rows at once (null-safe); SQLite's `is not` is null-safe per column.
  const changed = dialect === 'pg'
    ? `(${rest.map((c) => `${table}.${q(c)}`).join(', ')}) is distinct from (${rest.map((c) => `s.${q(c)}`).join(', ')})`
    : rest.map((c) => `${table}.${q(c)} is not s.${q(c)}`).join(' or ');
  const set = [...rest.map((c) => `${q(c)} = s.${q(c)}`), `updated_at = ${stamp}`].join(', ');
  const update = `update ${table} set ${set} from ${stage} s where ${table}.code = s.code and (${changed})`;
  const insert = `insert into ${table} (${list}, updated_at) select ${list}, ${stamp} from ${stage} s where not exists (select 1 from ${table} t where t.code = s.code)`;
  let updated: number;
  let inserted: number;
  if (dialect === 'pg') {
    // The update probes the primary key for each staged code instead of hashing the stored
    // rows: the hash join has to carry every column of a million stored rows (~760 MB, spilled
    // to disk in batches) to compare them; looking each row up through the index is cheaper.
    // Unchanged re-import of 1M services: 3.5-3.6 s -> 2.3-2.4 s. Only for this statement.
    await trx.raw('set local enable_hashjoin = off; set local enable_mergejoin = off');
    updated = ((await timed('merge update', () => trx.raw(update, [now]))) as { rowCount: number }).rowCount;
    await trx.raw('set local enable_hashjoin to default; set local enable_mergejoin to default');
    inserted = ((await timed('merge insert', () => trx.raw(insert, [now]))) as { rowCount: number }).rowCount;
  } else {
    const conn = (await trx.client.acquireConnection()) as BetterSqlite3.Database;
    updated = conn.prepare(update).run(now).changes;
    inserted = conn.prepare(insert).run(now).changes;
  }
  return { inserted, updated, unchanged: staged - inserted - updated };
}
