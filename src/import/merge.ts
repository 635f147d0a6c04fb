import type { Knex } from 'knex';
import type BetterSqlite3 from 'better-sqlite3';
import { ENTITIES, type EntityName } from '../records/fields.js';
import { STAGE, dataColumns, q } from './stage-columns.js';
import { selectRows, type Dialect } from './stage.js';

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

export async function mergeStage(trx: Knex.Transaction, dialect: Dialect, entity: EntityName, staged: number, now: string): Promise<MergeCounts> {
  const table = q(ENTITIES[entity].table);
  const cols = dataColumns(entity);
  const list = cols.map(q).join(', ');
  if (dialect === 'pg') {
    const changed = `(${cols.map((c) => `${table}.${q(c)}`).join(', ')}) is distinct from (${cols.map((c) => `excluded.${q(c)}`).join(', ')})`;
    const set = [...cols.filter((c) => c !== 'code').map((c) => `${q(c)} = excluded.${q(c)}`), 'updated_at = excluded.updated_at'].join(', ');
    // xmax = 0 on a returned row means it was inserted; an update sets it. Rows whose
    // WHERE fails are not returned at all: they are the unchanged ones.
    const sql = `with m as (
        insert into ${table} (${list}, updated_at)
        select ${list}, ?::timestamptz from ${STAGE}
        on conflict (code) do update set ${set} where ${changed}
        returning (xmax = 0) as ins
      ) select count(*) filter (where ins) as inserted, count(*) filter (where not ins) as updated from m`;
    const rows = await selectRows<{ inserted: number | string; updated: number | string }>(trx, sql, [now]);
    const inserted = Number(rows[0]!.inserted);
    const updated = Number(rows[0]!.updated);
    return { inserted, updated, unchanged: staged - inserted - updated };
  }
  const conn = (await trx.client.acquireConnection()) as BetterSqlite3.Database;
  const changed = cols.filter((c) => c !== 'code').map((c) => `${table}.${q(c)} is not s.${q(c)}`).join(' or ');
  const set = [...cols.filter((c) => c !== 'code').map((c) => `${q(c)} = s.${q(c)}`), 'updated_at = ?'].join(', ');
  const updated = conn.prepare(`update ${table} set ${set} from temp.${STAGE} s where ${table}.code = s.code and (${changed})`).run(now).changes;
  const inserted = conn.prepare(`insert into ${table} (${list}, updated_at) select ${list}, ? from temp.${STAGE} s where not exists (select 1 from ${table} t where t.code = s.code)`).run(now).changes;
  return { inserted, updated, unchanged: staged - inserted - updated };
}
