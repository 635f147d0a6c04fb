import type { Knex } from 'knex';
import { ENTITIES, type EntityName } from '../records/fields.js';
import { adapterOf } from './dialect/index.js';
import { pagesByKey, whereAfter } from './keyset.js';

// The rows of an entity's table in key order, a page at a time: what a backup writes
// (registry/backup.ts) and what `validate db` checks (records/validate-db.ts).

/**
 * The key columns of keyset pagination: the code, or the id. On PostgreSQL applications
 * page by id and then submitted_at, their primary key there (a partitioned table cannot
 * enforce a unique id alone, so two rows with one id must still both be read); on SQLite
 * the id is the primary key by itself, and a pair would not use its index.
 */
function keysetColumns(knex: Knex | Knex.Transaction, entity: EntityName): string[] {
  const { key, monthlyPartitions } = ENTITIES[entity];
  return monthlyPartitions && adapterOf(knex).schema.partitioned ? [key, monthlyPartitions] : [key];
}

/** Every row that `where` selects, ordered by key, `pageSize` rows a query. */
export async function* keysetRows(
  knex: Knex | Knex.Transaction,
  entity: EntityName,
  where: (qb: Knex.QueryBuilder) => Knex.QueryBuilder,
  pageSize = 5000,
): AsyncGenerator<Record<string, unknown>> {
  const cols = keysetColumns(knex, entity);
  yield* pagesByKey<Record<string, unknown>, unknown[]>({
    pageSize,
    page: async (after, limit) => (await whereAfter(where(knex(ENTITIES[entity].table).select('*')), cols, after).orderBy(cols).limit(limit)) as Array<Record<string, unknown>>,
    key: (last) => cols.map((c) => last[c]),
  });
}
