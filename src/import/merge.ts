import type { Knex } from 'knex';
import { ENTITIES, type EntityName } from '../records/fields.js';
import { STAGE, dataColumns, q } from './stage-columns.js';
import { selectRows } from './stage.js';

// The merge of the staging table into the entity's table: one statement per kind of
// change, never a query per record. A record whose values are all the same is not
// written at all, so its updated_at stays and it leaves no dead tuple behind.
// Not INSERT … ON CONFLICT DO UPDATE … WHERE: that locks (and so writes) every conflicting
// row even when its WHERE is false — 7 s against 3.5 s for a million unchanged records here.
// The statements are each dialect's own (dialects/pg.ts, dialects/sqlite.ts); what they
// share is here.

export interface MergeCounts {
  inserted: number;
  updated: number;
  unchanged: number;
  /** the codes inserted or updated: what the registry log appends (write-path.ts) */
  written: string[];
}

/** The names a merge of `entity` is written with (quoted). */
export interface MergeNames {
  table: string;
  cols: string[];
  /** the data columns, quoted and joined */
  list: string;
  keyName: 'code' | 'id';
  key: string;
  /** the columns other than the key */
  rest: string[];
}

export function mergeNames(entity: EntityName): MergeNames {
  const cols = dataColumns(entity);
  const keyName = ENTITIES[entity].key;
  return { table: q(ENTITIES[entity].table), cols, list: cols.map(q).join(', '), keyName, key: q(keyName), rest: cols.filter((c) => c !== keyName) };
}

/**
 * An empty table whose written keys nobody needs back (applications: no registry log; a
 * first load whose log was taken as it went: registry/log-tap.ts): every staged record is
 * new (keys are unique in the stage, checked), so one insert.
 */
export async function intoEmptyKeysless(trx: Knex.Transaction, entity: EntityName, keys: boolean): Promise<boolean> {
  return (!keys || !ENTITIES[entity].logged) && (await selectRows(trx, `select 1 from ${q(ENTITIES[entity].table)} limit 1`)).length === 0;
}

export const notInStage = (table: string) => `not exists (select 1 from ${STAGE} s where s.code = ${table}.code)`;

/** How many stored records a replace would delete. */
export async function countAbsent(trx: Knex.Transaction, entity: EntityName): Promise<number> {
  const table = q(ENTITIES[entity].table);
  const rows = await selectRows<{ n: number | string }>(trx, `select count(*) as n from ${table} where ${notInStage(table)}`);
  return Number(rows[0]?.n ?? 0);
}

/** The counts of a merge whose statements returned the keys they wrote. */
export function mergedCounts(staged: number, updated: string[], inserted: string[]): MergeCounts {
  return { inserted: inserted.length, updated: updated.length, unchanged: staged - inserted.length - updated.length, written: [...updated, ...inserted] };
}
