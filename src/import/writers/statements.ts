import type { Knex } from 'knex';
import type BetterSqlite3 from 'better-sqlite3';
import type { SourceRecord } from '../../io/read-records.js';
import { ENTITIES, type RecordValues } from '../../records/fields.js';
import { STAGE, dataColumns, q, stageColumns, stageValues } from '../stage-columns.js';
import type { RowWriter, WriterSpec } from './row-writer.js';

// SQLite: one prepared statement run per row on the transaction's own connection
// (knex's multi-row inserts break past 500 rows and are slower).

export class StatementWriter implements RowWriter<unknown[][]> {
  private rows: unknown[][] = [];
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

  take(): unknown[][] {
    const batch = this.rows;
    this.rows = [];
    return batch;
  }

  segment(): void {}

  async load(trx: Knex.Transaction, batches: AsyncIterable<unknown[][]>, signal: AbortSignal): Promise<void> {
    const db = (await trx.client.acquireConnection()) as BetterSqlite3.Database;
    const insert = db.prepare(`insert into ${this.table} (${this.cols.map(q).join(', ')}) values (${this.cols.map(() => '?').join(', ')})`);
    for await (const batch of batches) {
      signal.throwIfAborted();
      for (const row of batch) insert.run(row);
    }
  }
}
