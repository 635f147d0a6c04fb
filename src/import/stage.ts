import type { Knex } from 'knex';
import { STAGE } from './stage-columns.js';

// The staging table: the file's valid records land here first, inside the import's
// transaction, so that every check against the database and the merge are set-based SQL
// rather than a query per record. PostgreSQL gets them through COPY (the speed of psql
// \copy); SQLite through one prepared statement run per row on the transaction's own
// connection (writers/). How each database makes, indexes and drops it: dialects/.

/** Removes rejected records from the staging table. */
export async function unstage(trx: Knex.Transaction, lines: readonly number[]): Promise<void> {
  for (let i = 0; i < lines.length; i += 500) {
    const part = lines.slice(i, i + 500);
    await trx.raw(`delete from ${STAGE} where line in (${part.map(() => '?').join(', ')})`, part);
  }
}

/** The original text of staged records, by line (for the reject file). */
export async function stagedRaw(trx: Knex.Transaction, lines: readonly number[]): Promise<Map<number, string | null>> {
  const out = new Map<number, string | null>();
  for (let i = 0; i < lines.length; i += 500) {
    const part = lines.slice(i, i + 500);
    const rows = await selectRows<{ line: number; raw: string | null }>(trx, `select line, raw from ${STAGE} where line in (${part.map(() => '?').join(', ')})`, part);
    for (const r of rows) out.set(Number(r.line), r.raw);
  }
  return out;
}

/** Rows of a select through knex.raw, in either dialect. */
export async function selectRows<T>(trx: Knex | Knex.Transaction, sql: string, bindings: readonly unknown[] = []): Promise<T[]> {
  const r = (await trx.raw(sql, bindings as Knex.RawBinding[])) as { rows?: T[] } | T[];
  return Array.isArray(r) ? r : (r.rows ?? []);
}
