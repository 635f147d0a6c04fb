import type { Knex } from 'knex';
import type { Dialect } from '../config/url.js';
import type { EntityName } from '../records/fields.js';
import type { Logger } from '../output/logger.js';
import type { DirectTable } from './bulk.js';
import type { MergeCounts } from './merge.js';
import type { RowWriter, WriterSpec } from './writers/row-writer.js';

// What the import asks of the database that PostgreSQL and SQLite do differently, the way
// kysely's Migrator asks its DialectAdapter: the pipeline (import.ts, steps/) calls these
// and never branches on the dialect's name. A third SQL dialect is a third adapter
// (dialects/index.ts chooses one from db.dialect).

export interface ImportDialect {
  readonly name: Dialect;
  /** the bulk load takes bytes: a CSV file's records may be read as byte strings (text/utf8-bytes.ts) */
  readonly byteStrings: boolean;
  /** an empty table may be loaded straight, without the staging table (bulk.ts) */
  readonly directLoad: boolean;
  /** the applications table is partitioned by month: partitions are made as the rows need them */
  readonly monthPartitions: boolean;
  /** First thing in the import's transaction. */
  begin(trx: Knex.Transaction): Promise<void>;
  /** Lets readers on but makes a second writer of `table` wait for this run's commit. */
  lockWriters(trx: Knex.Transaction, table: string): Promise<void>;
  /** The direct load: decides it (`empty`) and prepares the table (only where directLoad). */
  prepareDirect(trx: Knex.Transaction, table: string): Promise<DirectTable>;
  /** The row writer of this run, chosen once (the database's column types may decide it). */
  rowWriter(trx: Knex.Transaction, spec: WriterSpec, logger: Logger): Promise<RowWriter>;
  createStage(trx: Knex.Transaction, entity: EntityName, withRaw: boolean): Promise<void>;
  /** After loading: what the checks and the merge need to be quick. */
  indexStage(trx: Knex.Transaction, byLine: boolean, key: 'code' | 'id'): Promise<void>;
  /** Settings of the set-based checks and the merge, for this transaction only. */
  tuneChecks(trx: Knex.Transaction): Promise<void>;
  /** Deletes the stored records absent from the staging table; returns their codes. */
  deleteAbsent(trx: Knex.Transaction, entity: EntityName): Promise<string[]>;
  /** `keys`: the codes written are wanted back (MergeCounts.written) */
  mergeStage(trx: Knex.Transaction, entity: EntityName, staged: number, now: string, keys: boolean): Promise<MergeCounts>;
  /** After the merge: the staging table goes (where the commit does not drop it). */
  dropStage(trx: Knex.Transaction): Promise<void>;
}
