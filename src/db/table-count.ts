import type { Knex } from 'knex';

// How many rows tables hold, for doctor, the confirmation of db reset and migrate
// down/rollback, and what db reset reports it dropped: one counter, so each says the same.

export interface TableCount {
  table: string;
  rows: number;
}

/** Row counts of those of `tables` that exist, in their order (a transaction counts what it sees). */
export async function countTables(db: { knex: Knex | Knex.Transaction }, tables: readonly string[]): Promise<TableCount[]> {
  const out: TableCount[] = [];
  for (const table of tables) {
    if (!(await db.knex.schema.hasTable(table))) continue;
    const [row] = await db.knex(table).count({ n: '*' });
    out.push({ table, rows: Number((row as { n: number | string }).n) });
  }
  return out;
}
