import type { Db } from '../db/connect.js';
import { DataError, EgovError, UsageError } from '../errors.js';
import { openRecordSource, type SourceRecord } from '../io/read-records.js';
import { ENTITIES, type EntityName, type RecordValues } from '../records/fields.js';
import type { Knex } from 'knex';
import type { Issue } from '../records/issues.js';
import { checkSourceRecord, type CheckedRecord } from '../records/validate.js';
import { toBytes } from '../io/utf8-bytes.js';
import type { Logger } from '../output/logger.js';
import type { Prompter } from '../prompts/prompter.js';
import { checkAgency, storedAgencies } from './agency-refs.js';
import { prepareDirectTable } from './bulk.js';
import { binaryEncoder, binaryTypes, valuesAsBytes, type BinaryEncoder } from './copy-binary.js';
import { crossErrors, referencedDeletions } from './checks.js';
import { IssueLog } from './issue-log.js';
import { mergeStage } from './merge.js';
import { noProgress, type Progress } from '../output/progress.js';
import { RejectFile } from './reject-file.js';
import { replaceAbsent } from './replace.js';
import { CopyRows, STAGE, copyEncoder, dataColumns, plainSource, q, stageColumns, stageValues, type CopyBatch } from './stage-columns.js';
import { createStage, indexStage, loadStage, selectRows, stagedRaw, unstage } from './stage.js';
import { timed } from './timing.js';
import { guardedTransaction } from '../db/guarded-tx.js';
import { testPause } from '../db/test-pause.js';
import type { ImportOptions, ImportReport } from './types.js';
import { recordChanges } from '../registry/write-path.js';
import { ApplicationRefs } from '../applications/refs.js';
import { StoredServices } from '../applications/service-versions.js';
import { ensureMonthPartitions } from '../applications/partitions.js';
import { DEFAULT_TIME_ZONE, TimeZone } from '../time/zone.js';

// One import: read → check each record → stage (COPY / prepared inserts) → set-based checks
// against file and database together → (replace: confirm, back up, delete) → merge.
// All of it inside one transaction: any error, an interrupt, or a kill, and nothing is
// written. Memory stays flat: records are only held a batch at a time.

export interface ImportEnv {
  logger: Logger;
  prompter: Prompter;
  signal: AbortSignal;
  yes: boolean;
  dataDir: string;
  stdin?: NodeJS.ReadableStream;
  progress?: Progress;
  /** for tests: the clock of updated_at */
  now?: () => Date;
}

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

const BATCH = 500;
/** work_mem of the staged checks and merge (PostgreSQL). */
const STAGED_WORK_MEM = '128MB';
/** Rejection rounds: rejecting a record can orphan others (a parent agency); a few rounds settle it. */
const MAX_ROUNDS = 10;

class DryRunDone extends Error {}

/**
 * Why the columns of `table` cannot take COPY's binary rows (a type other than the one the
 * field's binary form is made for, as after a hand-made change of the schema), or null.
 * The staging table is made LIKE the table, with line integer and raw text.
 */
async function binaryMismatch(trx: Knex.Transaction, entity: EntityName, table: string, cols: readonly string[]): Promise<string | null> {
  const rows = await selectRows<{ name: string; type: string }>(trx,
    `select attname as name, atttypid::regtype::text as type from pg_attribute where attrelid = ?::regclass and attnum > 0 and not attisdropped`, [q(table)]);
  const types = new Map(rows.map((r) => [r.name, r.type]));
  for (const c of cols) {
    const type = types.get(c);
    if (type === undefined || !(binaryTypes(entity, c) as readonly string[]).includes(type)) return `column ${c} is ${type ?? 'missing'}`;
  }
  return null;
}

/** Raised inside the direct load when the file holds a code twice: start over, staged. */
class RetryStaged extends Error {}

export async function importFile(db: Db, o: ImportOptions, env: ImportEnv): Promise<ImportReport> {
  const started = Date.now();
  const def = ENTITIES[o.entity];
  if (!def.modes.includes(o.mode)) {
    throw new UsageError(`import ${o.entity} takes --mode ${def.modes.join(' or ')}, not ${o.mode}: ${o.entity} are never deleted by an import`);
  }
  // The direct load re-reads the file when it has to fall back, so not for standard input.
  if (db.dialect === 'pg' && (o.entity === 'services' || o.entity === 'applications') && o.maxErrors === 0 && o.path !== '-') {
    try {
      return await runImport(db, o, env, started, true);
    } catch (err) {
      if (!(err instanceof RetryStaged)) throw err;
      env.logger.debug('import: the file holds a code twice; reading it again through the staging table to report every line');
    }
  }
  return runImport(db, o, env, started, false);
}

/**
 * direct (PostgreSQL, services, no --max-errors, an empty table): COPY straight into the
 * services table, with references checked in memory against the stored agencies (a few
 * thousand). The server then builds the table and its indexes while this process is still
 * parsing, instead of afterwards, and checks its foreign keys once at the end (bulk.ts).
 * A duplicate code is a unique violation of the primary key: then start over, staged, to
 * report every line.
 */
async function runImport(db: Db, o: ImportOptions, env: ImportEnv, started: number, tryDirect: boolean): Promise<ImportReport> {
  const { entity } = o;
  const source = await openRecordSource({
    entity, path: o.path, format: o.format, encoding: o.encoding, delimiter: o.delimiter, stdin: env.stdin, signal: env.signal, sheet: o.sheet,
    // COPY takes bytes: a CSV file's records can go there as the bytes they were.
    utf8Bytes: db.dialect === 'pg',
  });
  const log = new IssueLog(entity, source.sourceName, o.maxIssues, source.cellOf);
  const reject = o.rejectFile ? new RejectFile(o.rejectFile) : null;
  const withRaw = reject !== null;
  const cols = stageColumns(entity, withRaw);
  const progress = env.progress ?? noProgress;
  progress.total(source.bytesTotal, 'bytes');
  const report: ImportReport = {
    entity, source: source.sourceName, mode: o.mode, dry_run: o.dryRun, records: 0, inserted: 0, updated: 0, unchanged: 0,
    deleted: 0, rejected: 0, errors: 0, warnings: 0, issues: [], duration_ms: 0, truncated: false,
    target: db.target.name, backup: null, reject_file: o.rejectFile ?? null,
  };
  let yielded = 0;
  let staged = 0;
  let sentAsBytes = 0;
  let direct = false;
  let agencies: Map<string, string> | null = null;
  /** applications: their services and handling agencies, and the deadlines (SPEC §10) */
  let appRefs: ApplicationRefs | null = null;
  /** applications: the UTC months of submitted_at (the PostgreSQL partitions the rows need) */
  const months = new Set<string>();
  const now = (env.now?.() ?? new Date()).toISOString();
  const checkOpts = { now };
  const logged = ENTITIES[entity].logged;
  const table = ENTITIES[entity].table;
  const directCols = dataColumns(entity);
  let bad = 0; // records with an error: skipped with --max-errors, fatal without
  const finish = (): ImportReport => {
    report.records = yielded + source.skipped;
    Object.assign(report, log.result());
    report.duration_ms = Date.now() - started;
    return report;
  };
  const fail = async (message: string): Promise<never> => {
    await reject?.close();
    Object.assign(report, { inserted: 0, updated: 0, unchanged: 0, deleted: 0, rejected: 0, backup: null });
    throw new ImportFailed(finish(), message);
  };

  // PostgreSQL gets COPY text rows (as bytes), SQLite rows of values for its prepared statement.
  const pgLine = copyEncoder(entity, cols);
  const directLine = copyEncoder(entity, [...directCols, 'updated_at']);
  // Byte strings go to PostgreSQL in COPY's binary format when the table's columns have the
  // types it is made for (copy-binary.ts); decoded records are turned back into bytes. Made
  // in the transaction, for the columns of the path taken (direct or staged).
  let binaryRow: BinaryEncoder | null = null;
  const copyRows = db.dialect === 'pg' ? new CopyRows() : null;
  let rows: unknown[][] = [];
  const batchSize = () => (copyRows ? copyRows.rows : rows.length);
  /** the next batch starts a new COPY statement: it holds the first record of a month (direct load of applications) */
  let barrier = false;
  const takeBatch = (): CopyBatch | unknown[][] => {
    if (copyRows) {
      const b = copyRows.take();
      if (barrier) {
        b.barrier = true;
        barrier = false;
      }
      return b;
    }
    const batch = rows;
    rows = [];
    return batch;
  };

  // A record of byte strings goes as such only with its agency stored and in force.
  const agencyOk = (c: CheckedRecord, rec: SourceRecord) => !(agencies && checkAgency(agencies, rec, c.values!));
  // An application likewise, with its service and handling agency stored and no warning (due_on is set either way).
  const applicationOk = (c: CheckedRecord, rec: SourceRecord) => appRefs!.check(rec, c.values!) === null;

  const say = (s: string) => env.logger.warn(s);
  let paused = false;
  async function* batches(): AsyncGenerator<CopyBatch | unknown[][]> {
    // A decoded chunk's records at a time: one await per few hundred records, not per record.
    for await (const recs of source.batches()) {
      if (!paused && yielded > 0) {
        paused = true;
        await testPause('read', say, env.signal);
      }
      for (let rec of recs) {
        yielded++;
        // Byte strings (io/utf8-bytes.ts): a record that checks out as bytes is written as
        // its own bytes; any other is decoded and checked as text, as without them.
        const read = checkSourceRecord(entity, rec, source.bytes, checkOpts, appRefs ? applicationOk : agencyOk);
        const { checked, asBytes } = read;
        rec = read.rec;
        if (asBytes) sentAsBytes++;
        let values = checked.values;
        let issues = checked.issues;
        if (values !== null && agencies && !asBytes) {
          const found = checkAgency(agencies, rec, values);
          if (found) {
            issues = [...issues, found];
            if (found.severity === 'error') values = null;
          }
        }
        if (values !== null && appRefs && !asBytes) {
          const found = appRefs.check(rec, values);
          if (found) {
            issues = [...issues, ...found];
            if (found.some((i) => i.severity === 'error')) values = null;
          }
        }
        if (values !== null && appRefs) {
          const month = (values.submitted_at as string).slice(0, 7);
          if (!months.has(month)) {
            months.add(month);
            // Loading straight into the partitioned table: the rows of a month not seen yet
            // go in a COPY statement of their own, before which its partition is made.
            if (direct && bad === 0) {
              if (batchSize()) yield takeBatch();
              barrier = true;
            }
          }
        }
        if (issues.length) log.addAll(issues);
        if (values === null) {
          bad++;
          await reject?.write({ line: rec.line, record: rec.record, raw: rec.raw, errors: issues.filter((i) => i.severity === 'error') });
        } else if (direct) {
          // Once a record is bad the import fails: stop sending, keep reading to report all.
          if (bad === 0) {
            if (binaryRow) copyRows!.add(binaryRow(rec.line, null, asBytes ? values : valuesAsBytes(values)), true);
            else copyRows!.add(directLine(rec.line, null, values, now, plainSource(rec.raw)), asBytes);
            staged++;
          }
        } else {
          const raw = withRaw ? rec.raw : null;
          if (binaryRow) copyRows!.add(binaryRow(rec.line, raw === null || asBytes ? raw : toBytes(raw), asBytes ? values : valuesAsBytes(values)), true);
          else if (copyRows) copyRows.add(pgLine(rec.line, raw, values, now, plainSource(rec.raw)), asBytes);
          else rows.push(stageValues(entity, cols, rec.line, raw, values));
          staged++;
        }
        if (batchSize() >= BATCH) yield takeBatch();
        progress.update(yielded, source.bytesRead());
      }
    }
    if (batchSize()) yield takeBatch();
    if (process.env.EGOVCTL_IMPORT_TIMING) process.stderr.write(`import timing: last record read at ${Date.now() - started} ms\n`);
  }

  try {
    const committed = await guardedTransaction(db, env.signal, async (trx) => {
      if (db.dialect === 'sqlite') await trx.raw('PRAGMA defer_foreign_keys = ON');
      // ids of applications are unique by the import's check, not by a constraint (the primary
      // key holds submitted_at too): two imports of them at once take turns, readers do not wait.
      if (entity === 'applications' && db.dialect === 'pg') await trx.raw(`lock table ${q(table)} in share row exclusive mode`);
      let restore: (() => Promise<void>) | null = null;
      if (tryDirect) {
        ({ empty: direct, restore } = await prepareDirectTable(trx, table));
        if (restore) env.logger.debug(`import: ${table} is empty and this import's alone: its foreign keys are checked once, after the load`);
      }
      // A service's agency is looked up in memory as the record is read (the stored agencies:
      // a few thousand), rather than by a query over the staged records afterwards.
      if (entity === 'services') agencies = await storedAgencies(trx);
      if (entity === 'applications') {
        appRefs = new ApplicationRefs(await StoredServices.load(trx), await storedAgencies(trx), new TimeZone(o.timeZone ?? DEFAULT_TIME_ZONE));
      }
      if (source.bytes && db.dialect === 'pg') {
        const mismatch = await binaryMismatch(trx, entity, table, [...directCols, 'updated_at']);
        if (mismatch === null) binaryRow = binaryEncoder(entity, direct ? [...directCols, 'updated_at'] : cols, now);
        env.logger.debug(binaryRow ? 'import: rows go to COPY in its binary format' : `import: rows go to COPY as text: ${mismatch}`);
      }
      if (direct) {
        env.logger.debug(`import: reading ${source.sourceName} straight into the empty ${table} table`);
        try {
          const partitions = entity === 'applications' ? async () => {
            const made = await ensureMonthPartitions(trx, months);
            if (made.length) env.logger.debug(`import: made the partitions ${made.join(', ')}`);
          } : undefined;
          await timed('read+copy (direct)', () => loadStage(trx, db.dialect, [...directCols, 'updated_at'], batches(), env.signal, table, binaryRow !== null, partitions));
        } catch (err) {
          if ((err as { code?: string }).code === '23505') throw new RetryStaged();
          throw err;
        }
      } else {
        await createStage(trx, db.dialect, entity, withRaw);
        env.logger.debug(`import: reading ${source.sourceName} into the staging table`);
        await timed('read+copy (stage)', () => loadStage(trx, db.dialect, cols, batches(), env.signal, STAGE, binaryRow !== null));
      }
      progress.phase('checking');
      if (source.bytes) env.logger.debug(`import: ${sentAsBytes} of ${yielded} records checked and sent as the bytes they were`);
      env.logger.debug(`import: ${staged} records staged, checking them against the database`);

      // Problems the reader found outside any record it yielded.
      let fatal = false;
      const byLine = new Map<number, Issue[]>();
      for (const i of source.issues) {
        log.add(i);
        if (i.severity !== 'error') continue;
        if (i.line === null || i.code.startsWith('header-')) fatal = true;
        else byLine.set(i.line, [...(byLine.get(i.line) ?? []), i]);
      }
      for (const [line, errors] of byLine) {
        bad++;
        await reject?.write({ line, record: errors[0]!.record, raw: null, errors });
      }
      if (fatal) return await fail(`${source.sourceName} cannot be imported: ${log.describe()}; nothing was written`);
      if (direct) {
        // Applications: the records after the first bad one were not sent, so ids they repeat
        // were not seen; validate would report them. Start over, staged, to report every issue.
        if (bad > 0 && entity === 'applications') throw new RetryStaged();
        if (bad > 0) return await fail(`${bad} record${bad === 1 ? '' : 's'} of ${source.sourceName} ${bad === 1 ? 'has' : 'have'} errors: ${log.describe()}; nothing was written`);
        env.signal.throwIfAborted();
        // The primary key of applications is (id, submitted_at) (partitioning): an id twice
        // with different times is no unique violation. Start over, staged, to report every line.
        if (entity === 'applications') {
          const twice = await timed('duplicate ids (direct)', () => selectRows(trx, `select id from ${q(table)} group by id having count(*) > 1 limit 1`));
          if (twice.length) throw new RetryStaged();
        }
        if (restore) {
          await testPause('fk', say, env.signal, trx, db.dialect);
          await timed('foreign keys added back', restore);
        }
        Object.assign(report, { inserted: staged, updated: 0, unchanged: 0 });
        report.rejected = 0;
        // The table was empty (and locked for this run): every row in it is this run's.
        if (!o.dryRun && logged) await timed('registry log', () => recordChanges(trx, [{ entity, deletes: [], puts: { all: true, updatedAt: now } }], { timestamp: now }));
        await reject?.close();
        progress.done();
        if (o.dryRun) throw new DryRunDone();
        await testPause('commit', say, env.signal, trx, db.dialect);
        return finish();
      }

      // The checks hash a million codes: at the default work_mem (4 MB) such a hash spilled
      // to disk in 8 batches (1.5 s, 0.8 s in memory). Only for this transaction; a hash
      // may then use up to twice this (hash_mem_multiplier).
      // JIT compiling: the merge's comparison of 17 columns cost more to compile than it
      // saved (1M unchanged services: 2.58 s with, 2.42 s without, medians of 3).
      if (db.dialect === 'pg') await trx.raw(`set local work_mem = '${STAGED_WORK_MEM}'; set local jit = off`);
      await timed('index/analyze stage', () => indexStage(trx, db.dialect, o.maxErrors > 0, ENTITIES[entity].key));
      // Set-based checks. With --max-errors the records they name are taken out of the
      // staging table and checked again, since their absence can orphan others.
      await testPause('checks', say, env.signal, trx, db.dialect);
      for (let round = 0; round < MAX_ROUNDS; round++) {
        env.signal.throwIfAborted();
        const found = await timed('cross errors', () => crossErrors(trx, entity, o.mode));
        if (!found.length) break;
        log.addAll(found);
        const lines = [...new Set(found.map((i) => i.line!))];
        bad += lines.length;
        if (reject) {
          const raw = await stagedRaw(trx, lines);
          for (const line of lines) await reject.write({ line, raw: raw.get(line) ?? null, errors: found.filter((i) => i.line === line) });
        }
        if (bad > o.maxErrors) break;
        await unstage(trx, lines);
        staged -= lines.length;
      }
      if (o.mode === 'replace') {
        const blocked = await referencedDeletions(trx, entity);
        if (blocked.length) {
          log.addAll(blocked);
          return await fail(`replace would leave stored services without their agency: ${log.describe()}; nothing was written`);
        }
      }
      if (bad > o.maxErrors) {
        const allowed = o.maxErrors ? ` (--max-errors ${o.maxErrors} allows ${o.maxErrors})` : '';
        return await fail(`${bad} record${bad === 1 ? '' : 's'} of ${source.sourceName} ${bad === 1 ? 'has' : 'have'} errors${allowed}: ${log.describe()}; nothing was written`);
      }
      report.rejected = bad;

      env.signal.throwIfAborted();
      const deleted = o.mode === 'replace' ? await replaceAbsent(trx, db, o, env, report, source.sourceName) : [];

      env.signal.throwIfAborted();
      await testPause('merge', say, env.signal, trx, db.dialect);
      progress.phase('merging');
      env.logger.debug(`import: merging ${staged} records into ${ENTITIES[entity].table}`);
      // The partitions of the months the rows fall in, in this transaction: a rollback leaves none.
      if (entity === 'applications' && db.dialect === 'pg') {
        const made = await ensureMonthPartitions(trx, months);
        if (made.length) env.logger.debug(`import: made the partitions ${made.join(', ')}`);
      }
      const { written, ...counts } = await mergeStage(trx, db.dialect, entity, staged, now);
      Object.assign(report, counts);
      if (db.dialect === 'sqlite') await trx.raw(`drop table temp.${q(STAGE)}`);
      // Before the commit decision, in the transaction: a run that does not commit appends nothing.
      // Applications are not in the registry log (SPEC §1, §9): their imports are in the audit trail only.
      if (!o.dryRun && logged) await timed('registry log', () => recordChanges(trx, [{ entity, deletes: deleted, puts: written }], { timestamp: now }));
      await reject?.close();
      progress.done();
      if (o.dryRun) throw new DryRunDone();
      await testPause('commit', say, env.signal, trx, db.dialect);
      return finish();
    });
    await testPause('after-commit', say, env.signal);
    return committed;
  } catch (err) {
    progress.done();
    if (err instanceof DryRunDone) return finish();
    if (err instanceof RetryStaged) reject?.discard();
    if (!(err instanceof ImportFailed)) reject?.discard();
    if (env.signal.aborted && !(err instanceof EgovError)) throw env.signal.reason;
    throw err;
  }
}
