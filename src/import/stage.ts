import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Knex } from 'knex';
import type BetterSqlite3 from 'better-sqlite3';
import { ENTITIES, type EntityName } from '../records/fields.js';
import { readAhead } from './read-ahead.js';
import { STAGE, dataColumns, q, type CopyBatch } from './stage-columns.js';
import { BINARY_HEADER, BINARY_TRAILER } from './copy-binary.js';

const require = createRequire(import.meta.url);

/** Rows per COPY statement (see loadStage). */
const COPY_SEGMENT = 25_000;
/** Batches (of 500 records) read ahead while a COPY statement finishes. */
const READ_AHEAD_BATCHES = 32;

// The staging table: the file's valid records land here first, inside the import's
// transaction, so that every check against the database and the merge are set-based SQL
// rather than a query per record. PostgreSQL gets them through COPY (the speed of psql
// \copy); SQLite through one prepared statement run per row on the transaction's own
// connection (knex's multi-row inserts break past 500 rows and are slower).

export type Dialect = 'pg' | 'sqlite';

export async function createStage(trx: Knex.Transaction, dialect: Dialect, entity: EntityName, withRaw: boolean): Promise<void> {
  const table = ENTITIES[entity].table;
  if (dialect === 'pg') {
    // LIKE gives the target's column types, so COPY parses numbers and dates exactly as
    // the merge will store them; a temporary table writes no WAL.
    await trx.raw(`create temporary table ${STAGE} (like ${q(table)}) on commit drop`);
    await trx.raw(`alter table ${STAGE} drop column updated_at, add column line integer not null${withRaw ? ', add column raw text' : ''}`);
  } else {
    await trx.raw(`drop table if exists temp.${STAGE}`);
    // No declared types: SQLite keeps each value's own type (text decimals stay text).
    const cols = ['line integer not null', ...(withRaw ? ['raw'] : []), ...dataColumns(entity).map(q)];
    await trx.raw(`create temporary table ${STAGE} (${cols.join(', ')})`);
  }
}

/** Loads batches of rows into `table` (the staging table by default); resolves once the database has them all. */
export async function loadStage(
  trx: Knex.Transaction,
  dialect: Dialect,
  cols: readonly string[],
  /** PostgreSQL: COPY text rows; SQLite: rows of values in `cols` order */
  batches: AsyncIterable<CopyBatch | unknown[][]>,
  signal: AbortSignal,
  table = STAGE,
  /** PostgreSQL: the rows are in COPY's binary format (copy-binary.ts), not text */
  binary = false,
  /** PostgreSQL: run before each COPY statement (a batch with `barrier` starts a new one) */
  beforeSegment?: () => Promise<void>,
): Promise<void> {
  const conn: unknown = await trx.client.acquireConnection();
  if (dialect === 'pg') {
    const { from: copyFrom } = require('pg-copy-streams') as typeof import('pg-copy-streams');
    const sql = `copy ${table === STAGE ? STAGE : q(table)} (${cols.map(q).join(', ')}) from stdin${binary ? ' (format binary)' : ''}`;
    // Several COPY statements of COPY_SEGMENT rows each, not one: PostgreSQL checks a foreign
    // key (the direct load into services) with a row trigger that fires only at the end of
    // the statement, so one COPY of a million rows ended with ~3 s of checks while this
    // process sat idle. Now each segment's checks run while the records of the next one
    // are read ahead (readAhead), and the two overlap. Same transaction, same rows.
    const rows = readAhead(batches as AsyncIterable<CopyBatch>, READ_AHEAD_BATCHES);
    try {
      let first = await rows.next();
      while (!first.done) {
        signal.throwIfAborted();
        const head = first.value;
        const sent: CopyBatch[] = [];
        async function* segment(): AsyncGenerator<Buffer> {
          let n = head.rows;
          sent.push(head);
          if (binary) yield BINARY_HEADER;
          yield head.bytes;
          while (n < COPY_SEGMENT) {
            const r = await rows.next();
            if (r.done || r.value.barrier) {
              first = r;
              break;
            }
            n += r.value.rows;
            sent.push(r.value);
            yield r.value.bytes;
          }
          if (binary) yield BINARY_TRAILER;
          if (n >= COPY_SEGMENT) first = await rows.next();
        }
        // A deep buffer lets this process parse ahead while the server works, rather than the
        // two taking turns at every socket-sized chunk (16 MB: ~28,000 records of services).
        if (beforeSegment) await beforeSegment();
        const copy = (conn as import('pg').Client).query(copyFrom(sql, { highWaterMark: 16 * 1024 * 1024 }));
        // pipeline: the file is read only as fast as the server takes the rows (back-pressure),
        // and an error or an interrupt on either side ends both (COPY is then failed, and the
        // transaction rolls back).
        await pipeline(Readable.from(segment(), { objectMode: false }), copy, { signal });
        // The statement is complete: the server has every byte of it.
        for (const b of sent) b.release?.();
      }
    } finally {
      await rows.close();
    }
    return;
  }
  const db = conn as BetterSqlite3.Database;
  const insert = db.prepare(`insert into ${table === STAGE ? `temp.${STAGE}` : q(table)} (${cols.map(q).join(', ')}) values (${cols.map(() => '?').join(', ')})`);
  for await (const batch of batches) {
    signal.throwIfAborted();
    for (const row of batch as unknown[][]) insert.run(row);
  }
}

/** After loading: what the checks and the merge need to be quick. */
export async function indexStage(trx: Knex.Transaction, dialect: Dialect, byLine: boolean, key: 'code' | 'id' = 'code'): Promise<void> {
  if (dialect === 'pg') {
    // Temporary tables are never analysed automatically: without this the planner
    // guesses a tiny table and picks nested loops over a million rows. With the
    // statistics every check and the merge are hash joins, which need no index on code;
    // lines are looked up only to reject records (--max-errors).
    if (byLine) await trx.raw(`create index on ${STAGE} (line)`);
    await trx.raw(`analyze ${STAGE}`);
  } else {
    await trx.raw(`create index temp.${STAGE}_code on ${STAGE} (${q(key)})`);
    await trx.raw(`create index temp.${STAGE}_line on ${STAGE} (line)`);
  }
}

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
