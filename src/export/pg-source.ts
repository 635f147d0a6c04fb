import type { Readable } from 'node:stream';
import type { Db } from '../db/connect.js';
import type { EntityName } from '../records/fields.js';
import type { ExportFilters } from './filters.js';
import type { ExportFormat } from './formats.js';
import { copyTo } from '../db/copy-out.js';
import { pgExportQuery } from './pg-query.js';

type PgClient = import('pg').Client & { __knex__disposed?: unknown };

export interface SourceRun {
  rows: number;
}

/** Runs a query in the export's snapshot, before its records are read (bindings as knex's toNative gives them). */
export type SnapshotSelect = (sql: string, bindings: readonly unknown[]) => Promise<Array<Record<string, unknown>>>;

/**
 * Runs `consume` on the COPY output of one export, inside a read-only, repeatable-read
 * transaction (SPEC §7: one consistent snapshot). `count` (for a progress bar) and `prelude`
 * (what a format needs besides the records) run in the same snapshot first. When
 * consuming fails, the connection is thrown away rather than returned to the pool mid-COPY.
 */
export async function withPgCopy(
  db: Db,
  entity: EntityName,
  format: ExportFormat,
  filters: ExportFilters,
  raw: boolean,
  consume: (lines: Readable) => Promise<void>,
  onCount?: (n: number) => void,
  prelude?: (select: SnapshotSelect) => Promise<void>,
): Promise<SourceRun> {
  const query = pgExportQuery(entity, format, filters, raw);
  const client = db.knex.client as { acquireConnection(): Promise<PgClient>; releaseConnection(c: PgClient): Promise<void> };
  const conn = await client.acquireConnection();
  let broken = false;
  try {
    await conn.query('begin isolation level repeatable read read only');
    // JIT compiling these expressions costs more than it saves on an export
    await conn.query("select set_config('jit', 'off', true)");
    // dates print as YYYY-MM-DD with a plain ::text, cheaper than to_char
    await conn.query("select set_config('datestyle', 'ISO, YMD', true)");
    for (const [name, value] of query.settings) await conn.query('select set_config($1, $2, true)', [name, value]);
    if (prelude) await prelude(async (sql, bindings) => (await conn.query(sql, [...bindings])).rows as Array<Record<string, unknown>>);
    if (onCount) onCount(Number((await conn.query(query.count)).rows[0].n));
    const stream = conn.query(copyTo(query.copy));
    try {
      await consume(stream);
    } catch (err) {
      broken = true;
      stream.destroy();
      throw err;
    }
    await conn.query('commit');
    return { rows: stream.rowCount };
  } catch (err) {
    broken = true;
    throw err;
  } finally {
    if (broken) {
      // mid-COPY the protocol state is unknown: end the session (which rolls back) and let
      // knex's pool drop it instead of handing it out again
      conn.__knex__disposed = 'export failed';
      await conn.end().catch(() => {});
    }
    await client.releaseConnection(conn).catch(() => {});
  }
}
