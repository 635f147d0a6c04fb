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
  /** the codes inserted or updated: what the registry log appends (write-path.ts) */
  written: string[];
}

const notInStage = (table: string) => `not exists (select 1 from ${STAGE} s where s.code = ${table}.code)`;

/** How many stored records a replace would delete. */
export async function countAbsent(trx: Knex.Transaction, entity: EntityName): Promise<number> {
  const table = q(ENTITIES[entity].table);
  const rows = await selectRows<{ n: number | string }>(trx, `select count(*) as n from ${table} where ${notInStage(table)}`);
  return Number(rows[0]?.n ?? 0);
}

/** Deletes the stored records absent from the file; returns their codes. */
export async function deleteAbsent(trx: Knex.Transaction, dialect: Dialect, entity: EntityName): Promise<string[]> {
  const table = q(ENTITIES[entity].table);
  const sql = `delete from ${table} where ${notInStage(table)} returning code`;
  if (dialect === 'pg') return ((await trx.raw(sql)) as { rows: Array<{ code: string }> }).rows.map((r) => r.code);
  const conn = (await trx.client.acquireConnection()) as BetterSqlite3.Database;
  return (conn.prepare(sql).all() as Array<{ code: string }>).map((r) => r.code);
}

/**
 * Update the stored records whose values differ and insert the new ones; the counts come
 * from the statements themselves. Not INSERT … ON CONFLICT DO UPDATE … WHERE: that locks
 * (and so writes) every conflicting row even when its WHERE is false — 7 s against 3.5 s
 * for a million unchanged records here.
 */
export async function mergeStage(trx: Knex.Transaction, dialect: Dialect, entity: EntityName, staged: number, now: string): Promise<MergeCounts> {
  const table = q(ENTITIES[entity].table);
  const cols = dataColumns(entity);
  const list = cols.map(q).join(', ');
  const keyName = ENTITIES[entity].key;
  const key = q(keyName);
  const rest = cols.filter((c) => c !== keyName);
  let updated: string[];
  let inserted: string[];
  if (!ENTITIES[entity].logged && (await selectRows(trx, `select 1 from ${table} limit 1`)).length === 0) {
    // An empty table of applications: every staged record is new (ids are unique in the
    // stage, checked), and nobody needs their keys back (no registry log): one insert.
    const sql = `insert into ${table} (${list}, updated_at) select ${list}, ? from ${dialect === 'pg' ? STAGE : `temp.${STAGE}`}`;
    if (dialect === 'pg') await timed('merge (into an empty table)', () => trx.raw(sql, [now]));
    else ((await trx.client.acquireConnection()) as BetterSqlite3.Database).prepare(sql).run(now);
    return { inserted: staged, updated: 0, unchanged: 0, written: [] };
  }
  if (dialect === 'pg') {
    // One pass over the staging table: each staged record looks its stored one up through
    // the primary key, and only the new and the changed ones go on (materialized, so few
    // when little changed). A hash join would have to carry every column of a million
    // stored rows (~760 MB, spilled to disk in batches) to compare them; the lookups are
    // cheaper. Unchanged re-import of 1M services: an update and an anti-join insert took
    // 2.7 s + 1.2 s, this 2.5 s.
    const changed = `(${rest.map((c) => `t.${q(c)}`).join(', ')}) is distinct from (${rest.map((c) => `s.${q(c)}`).join(', ')})`;
    const set = [...rest.map((c) => `${q(c)} = d.${q(c)}`), 'updated_at = ?::timestamptz'].join(', ');
    const sql = `with d as materialized (
        select ${cols.map((c) => `s.${q(c)}`).join(', ')}, t.${key} is null as fresh
        from ${STAGE} s left join ${table} t on t.${key} = s.${key}
        where t.${key} is null or ${changed}),
      u as (update ${table} set ${set} from d where not d.fresh and ${table}.${key} = d.${key} returning ${table}.${key} as code),
      i as (insert into ${table} (${list}, updated_at) select ${cols.map((c) => `d.${q(c)}`).join(', ')}, ?::timestamptz from d where d.fresh returning ${key} as code)
      ${ENTITIES[entity].logged ? 'select true as u, code from u union all select false as u, code from i' : 'select (select count(*) from u) as updated, (select count(*) from i) as inserted'}`;
    // The lookup through the primary key, whatever the statistics say: a table analyzed while
    // empty (the registry log's migration does) looks free to scan, and a sequential scan per
    // staged record then walks every row the insert below has added so far — quadratic: 130,000
    // agencies into an empty table took 152 s instead of 0.8 s.
    // (Applications: a probe per staged record would visit every monthly partition's index;
    // their empty table is handled above, so the planner chooses.)
    const probe = ENTITIES[entity].logged;
    if (probe) await trx.raw('set local enable_hashjoin = off; set local enable_mergejoin = off; set local enable_seqscan = off');
    if (!probe) {
      // Nobody needs the keys back (no registry log): counts only, not millions of rows.
      const [c] = await timed('merge', () => selectRows<{ updated: number | string; inserted: number | string }>(trx, sql, [now, now]));
      const u = Number(c!.updated);
      const n = Number(c!.inserted);
      return { inserted: n, updated: u, unchanged: staged - n - u, written: [] };
    }
    const rows = await timed('merge', () => selectRows<{ u: boolean; code: string }>(trx, sql, [now, now]));
    if (probe) await trx.raw('set local enable_hashjoin to default; set local enable_mergejoin to default; set local enable_seqscan to default');
    updated = rows.filter((r) => r.u).map((r) => r.code);
    inserted = rows.filter((r) => !r.u).map((r) => r.code);
  } else {
    // SQLite: two statements; its `is not` is null-safe per column.
    const stage = `temp.${STAGE}`;
    const changed = rest.map((c) => `${table}.${q(c)} is not s.${q(c)}`).join(' or ');
    const set = [...rest.map((c) => `${q(c)} = s.${q(c)}`), 'updated_at = ?'].join(', ');
    const conn = (await trx.client.acquireConnection()) as BetterSqlite3.Database;
    if (!ENTITIES[entity].logged) {
      const u = conn.prepare(`update ${table} set ${set} from ${stage} s where ${table}.${key} = s.${key} and (${changed})`).run(now).changes;
      const n = conn.prepare(`insert into ${table} (${list}, updated_at) select ${list}, ? from ${stage} s where not exists (select 1 from ${table} t where t.${key} = s.${key})`).run(now).changes;
      return { inserted: n, updated: u, unchanged: staged - n - u, written: [] };
    }
    const codes = (sql: string) => (conn.prepare(sql).all(now) as Array<{ code: string }>).map((r) => r.code);
    updated = codes(`update ${table} set ${set} from ${stage} s where ${table}.${key} = s.${key} and (${changed}) returning ${key} as code`);
    inserted = codes(`insert into ${table} (${list}, updated_at) select ${list}, ? from ${stage} s where not exists (select 1 from ${table} t where t.${key} = s.${key}) returning ${key} as code`);
  }
  return { inserted: inserted.length, updated: updated.length, unchanged: staged - inserted.length - updated.length, written: [...updated, ...inserted] };
}
