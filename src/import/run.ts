import type { Knex } from 'knex';
import type { Db } from '../db/connect.js';
import { DataError } from '../errors.js';
import type { RecordSource } from '../io/read-records.js';
import type { RecordValues } from '../records/fields.js';
import type { Issue } from '../records/issues.js';
import type { Progress } from '../output/progress.js';
import type { LogItemTap } from '../registry/write-path.js';
import type { ImportDialect } from './dialect.js';
import type { IssueLog } from './issue-log.js';
import type { RejectFile } from './reject-file.js';
import type { ImportEnv, ImportOptions, ImportReport } from './types.js';

// The state of one import run, passed from step to step (import.ts, steps/), and what an
// entity may add to the steps (entity-hooks.ts).

export interface ImportRun {
  readonly db: Db;
  readonly o: ImportOptions;
  readonly env: ImportEnv;
  readonly dialect: ImportDialect;
  readonly hooks: EntityImport;
  readonly source: RecordSource;
  readonly log: IssueLog;
  readonly reject: RejectFile | null;
  readonly report: ImportReport;
  readonly progress: Progress;
  /** updated_at of what this run writes (ISO 8601) */
  readonly now: string;
  /** Date.now() when the import began (its first run, when it started over) */
  readonly started: number;
  /** loading straight into the empty table (bulk.ts), not the staging table */
  direct: boolean;
  /** records the source yielded */
  read: number;
  /** records handed to the row writer (less those unstaged by the error rounds) */
  staged: number;
  /** records checked and sent as the bytes they were */
  asBytes: number;
  /** records with an error: skipped with --max-errors, fatal without */
  bad: number;
  /** the direct load's registry log, taken as the records go by (registry/log-tap.ts) */
  logTap: LogItemTap | null;
}

/** One checked record's references, checked in memory as it is read (the stored records they name are few). */
export interface RecordRefs {
  /** its issues (an error makes the record bad), or null; may complete `values` (a deadline) */
  check(rec: { line: number; record?: number }, values: RecordValues): Issue[] | null;
}

/**
 * What is particular to one entity's import (entity-hooks.ts). Every hook is optional: an
 * entity with none imports through the generic staged path.
 */
export interface EntityImport {
  /** may be loaded straight into its empty table, where the dialect allows it (bulk.ts) */
  readonly direct?: boolean;
  /** first in the transaction, after the dialect's own begin */
  begin?(run: ImportRun, trx: Knex.Transaction): Promise<void>;
  /** what each record's references are checked against as it is read */
  refs?(run: ImportRun, trx: Knex.Transaction): Promise<RecordRefs>;
  /** a record that checked out; true: the direct load starts a new COPY statement before it */
  onRecord?(values: RecordValues): boolean;
  /** before each COPY statement of the direct load */
  beforeSegment?(run: ImportRun, trx: Knex.Transaction): Promise<void>;
  /** after the direct load, before its report; may throw RetryStaged */
  afterDirect?(run: ImportRun, trx: Knex.Transaction): Promise<void>;
  /** after the checks (and the replace's deletes), before the merge */
  beforeMerge?(run: ImportRun, trx: Knex.Transaction): Promise<void>;
}

/** Raised inside the direct load when it cannot report every line (a code twice): start over, staged. */
export class RetryStaged extends Error {}

/** A dry run reached its end: roll back, report. */
export class DryRunDone extends Error {}

/** An import that wrote nothing because of invalid data (exit 3); carries its report. */
export class ImportFailed extends DataError {
  readonly counts: Record<string, unknown>;
  constructor(readonly report: ImportReport, message: string) {
    super(message);
    this.counts = countsOf(report);
  }
}

export function countsOf(r: ImportReport): Record<string, unknown> {
  return {
    entity: r.entity, mode: r.mode, dry_run: r.dry_run, records: r.records, inserted: r.inserted, updated: r.updated,
    unchanged: r.unchanged, deleted: r.deleted, rejected: r.rejected, errors: r.errors, warnings: r.warnings,
  };
}

/** The run's report as it stands. */
export function finish(run: ImportRun): ImportReport {
  const { report } = run;
  report.records = run.read + run.source.skipped;
  Object.assign(report, run.log.result());
  report.duration_ms = Date.now() - run.started;
  return report;
}

/** Ends the run as failed for its data: nothing written, the reject file kept. */
export async function fail(run: ImportRun, message: string): Promise<never> {
  await run.reject?.close();
  Object.assign(run.report, { inserted: 0, updated: 0, unchanged: 0, deleted: 0, rejected: 0, backup: null });
  throw new ImportFailed(finish(run), message);
}

/** "3 records of x.csv have errors" */
export function badRecords(run: ImportRun): string {
  const n = run.bad;
  return `${n} record${n === 1 ? '' : 's'} of ${run.source.sourceName} ${n === 1 ? 'has' : 'have'} errors`;
}

/** A test pause of the import (db/test-pause.ts), said as a warning. */
export const say = (run: ImportRun) => (s: string) => run.env.logger.warn(s);
