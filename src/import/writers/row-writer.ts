import type { Knex } from 'knex';
import type { SourceRecord } from '../../io/read-records.js';
import type { EntityName, RecordValues } from '../../records/fields.js';

// The row writer of an import: how a checked record becomes a row the database loads
// (SQLite: values for a prepared statement; PostgreSQL: COPY text or COPY binary) and how
// those rows get there — into the staging table, or straight into the entity's table (the
// direct load). Chosen once per run, by the dialect adapter (dialect.ts), from the database
// and the file; the read loop then calls add() once per record, with no branch of its own.

export interface WriterSpec {
  entity: EntityName;
  /** straight into the entity's table (the direct load), not the staging table */
  direct: boolean;
  /** the staging table keeps each record's original text (for the reject file) */
  withRaw: boolean;
  /** updated_at of the direct load */
  now: string;
  /** the source yields byte strings (text/utf8-bytes.ts) */
  bytes: boolean;
}

export interface RowWriter<B = unknown> {
  /** one checked record's row; `asBytes`: its values are byte strings */
  add(rec: SourceRecord, values: RecordValues, asBytes: boolean): void;
  /** rows added since the last take */
  readonly pending: number;
  /** the rows added since the last take, as one batch */
  take(): B;
  /** the next row starts a new COPY statement (after load's beforeSegment); a no-op elsewhere */
  segment(): void;
  /** Loads the batches; resolves once the database has them all. */
  load(trx: Knex.Transaction, batches: AsyncIterable<B>, signal: AbortSignal, beforeSegment?: () => Promise<void>): Promise<void>;
}
