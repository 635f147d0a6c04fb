import type { Knex } from 'knex';
import type BetterSqlite3 from 'better-sqlite3';
import type { SourceRecord } from '../../io/read-records.js';
import { ENTITIES, type RecordValues } from '../../records/fields.js';
import { RetryStaged } from '../run.js';
import { STAGE, dataColumns, q, stageColumns, stageValues } from '../stage-columns.js';
import type { RowWriter, WriterSpec } from './row-writer.js';

// SQLite: one prepared statement run per row on the transaction's own connection (knex's
// multi-row inserts break past 500 rows and are slower). Rows go into the staging table,
// or straight into the empty table (the direct load, dialects/sqlite.ts), where the load
// stops where the read loop asks (segment) for the registry log's items taken so far to be
// stored (beforeSegment).
// Not statements of many rows: each such statement opens a statement journal, a copy of
// every page it changes that was there before it began (in a temporary file), in case it
// fails part-way; 200,000 services went in with 1.3 s more CPU in statements of 32 or 500
// rows than one row at a time.

/** The rows added since the last take, each its values in column order. */
export interface StatementBatch {
  rows: unknown[][];
  /** the load stores what is pending (beforeSegment) before these rows */
  barrier: boolean;
}

/** A unique violation of the direct load: a code twice (the staged import then reports every line). */
const isUniqueViolation = (err: unknown) => {
  const code = (err as { code?: string }).code;
  return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
};

export class StatementWriter implements RowWriter<StatementBatch> {
  private rows: unknown[][] = [];
  private barrier = false;
  private readonly cols: readonly string[];
  private readonly table: string;

  constructor(private readonly spec: WriterSpec) {
    this.cols = spec.direct ? [...dataColumns(spec.entity), 'updated_at'] : stageColumns(spec.entity, spec.withRaw);
    this.table = spec.direct ? q(ENTITIES[spec.entity].table) : `temp.${STAGE}`;
  }

  add(rec: SourceRecord, values: RecordValues): void {
    const row = stageValues(this.spec.entity, this.cols, rec.line, this.spec.withRaw ? rec.raw : null, values);
    if (this.spec.direct) row[row.length - 1] = this.spec.now; // updated_at, the last column
    this.rows.push(row);
  }

  get pending(): number {
    return this.rows.length;
  }

  take(): StatementBatch {
    const batch = { rows: this.rows, barrier: this.barrier };
    this.rows = [];
    this.barrier = false;
    return batch;
  }

  segment(): void {
    this.barrier = true;
  }

  async load(trx: Knex.Transaction, batches: AsyncIterable<StatementBatch>, signal: AbortSignal, beforeSegment?: () => Promise<void>): Promise<void> {
    const db = (await trx.client.acquireConnection()) as BetterSqlite3.Database;
    const insert = db.prepare(`insert into ${this.table} (${this.cols.map(q).join(', ')}) values (${this.cols.map(() => '?').join(', ')})`);
    let first = true;
    try {
      for await (const batch of batches) {
        signal.throwIfAborted();
        if (beforeSegment && (first || batch.barrier)) await beforeSegment();
        first = false;
        for (const row of batch.rows) insert.run(row);
      }
    } catch (err) {
      // Direct: a code twice is a unique violation; start over, staged, to report every line.
      if (this.spec.direct && isUniqueViolation(err)) throw new RetryStaged();
      throw err;
    }
  }
}
