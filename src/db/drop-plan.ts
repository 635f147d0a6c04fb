import type { Knex } from 'knex';
import type { Db } from './connect.js';
import { adapterOf } from './dialect/index.js';

// What an undo of migrations drops, found from the SQL its dry run captured (so a new
// migration's tables are counted without a list kept by hand), and how many rows each
// holds: for the confirmation of `migrate down` / `migrate rollback` (SPEC §6).

export interface DroppedTable {
  table: string;
  rows: number;
}

/** Table names of every `drop table` in the SQL, in order, once each. */
export function droppedTables(sql: readonly string[]): string[] {
  const out: string[] = [];
  for (const q of sql) {
    for (const m of q.matchAll(/\bdrop\s+table\s+(?:if\s+exists\s+)?((?:[`"]?[A-Za-z0-9_]+[`"]?\.)?[`"]?[A-Za-z0-9_]+[`"]?)/gi)) {
      const name = m[1]!.split('.').pop()!.replace(/[`"]/g, '');
      if (!out.includes(name)) out.push(name);
    }
  }
  return out;
}

/**
 * Row counts of those tables that exist, in their order: the one table counter (doctor,
 * db reset, migrate down/rollback); in a transaction, what it sees.
 */
export async function countTables(db: Db | { knex: Knex | Knex.Transaction }, tables: readonly string[]): Promise<DroppedTable[]> {
  const out: DroppedTable[] = [];
  for (const table of tables) {
    if (!(await db.knex.schema.hasTable(table))) continue;
    const [row] = await db.knex(table).count({ n: '*' });
    out.push({ table, rows: Number((row as { n: number | string }).n) });
  }
  return out;
}

/**
 * How many monthly partitions the applications table has (PostgreSQL; they go with it
 * when it is dropped); null on SQLite or before the applications migration.
 */
export async function applicationPartitions(db: Db | { knex: Knex }): Promise<number | null> {
  return adapterOf(db.knex).schema.partitionCount(db.knex, 'applications');
}
