import type { Knex } from 'knex';
import type { SourceRecord } from '../../io/read-records.js';
import { ENTITIES, type EntityName, type RecordValues } from '../../records/fields.js';
import type { Issue } from '../../records/issues.js';
import { checkSourceRecord, type CheckedRecord } from '../../records/validate.js';
import { testPause } from '../../db/test-pause.js';
import { RetryStaged, say, type ImportRun, type RecordRefs } from '../run.js';
import { timed } from '../timing.js';
import type { RowWriter } from '../writers/row-writer.js';

// Step 2: read and check each record into the row writer, and load its rows — into the
// staging table, or straight into the empty table (the direct load). Memory stays flat:
// records are only held a batch at a time.

const BATCH = 500;

/**
 * Checks one record as it is read: its fields, then its references (refs, in memory).
 * Synchronous, and one object for the run: no allocation or await per record of its own.
 */
class RecordReader {
  /** the record as checked: decoded when it did not check out as bytes */
  rec!: SourceRecord;
  /** its values are byte strings */
  asBytes = false;
  issues: Issue[] = [];
  private readonly entity: EntityName;
  private readonly bytes: boolean;
  private readonly opts: { now: string };
  private readonly accept: ((c: CheckedRecord, rec: SourceRecord) => boolean) | undefined;

  constructor(private readonly run: ImportRun, private readonly refs: RecordRefs | null) {
    this.entity = run.o.entity;
    this.bytes = run.source.bytes;
    this.opts = { now: run.now };
    // A record of byte strings goes as such only with its references stored (and, for an
    // application, no warning: due_on is set either way).
    this.accept = refs ? (c, rec) => refs.check(rec, c.values!) === null : undefined;
  }

  /** The record's values, or null when it has an error; its issues in `issues`. */
  read(rec: SourceRecord): RecordValues | null {
    // Byte strings (text/utf8-bytes.ts): a record that checks out as bytes is written as
    // its own bytes; any other is decoded and checked as text, as without them.
    const read = checkSourceRecord(this.entity, rec, this.bytes, this.opts, this.accept);
    this.rec = read.rec;
    this.asBytes = read.asBytes;
    if (read.asBytes) this.run.asBytes++;
    let values = read.checked.values;
    let issues = read.checked.issues;
    if (values !== null && this.refs && !read.asBytes) {
      const found = this.refs.check(read.rec, values);
      if (found) {
        issues = [...issues, ...found];
        if (found.some((i) => i.severity === 'error')) values = null;
      }
    }
    this.issues = issues;
    return values;
  }
}

/** Items the registry log's tap of a staged first load stores at a time (SQLite). */
const TAP_BATCH = 5000;
/**
 * Items the tap of a direct load holds before the load starts a new COPY statement, so that
 * they are stored (between the statements): what it holds is this and the records read ahead.
 */
const TAP_SEGMENT = 10_000;

async function* batches(run: ImportRun, reader: RecordReader, writer: RowWriter, trx: Knex.Transaction): AsyncGenerator<unknown> {
  const { hooks, log } = run;
  let paused = false;
  const directTap = run.direct ? run.logTap : null;
  let cutAt = -1;
  // A decoded chunk's records at a time: one await per few hundred records, not per record.
  for await (const recs of run.source.batches()) {
    if (!paused && run.read > 0) {
      paused = true;
      await testPause('read', say(run), run.env.signal);
    }
    for (const rec of recs) {
      run.read++;
      const values = reader.read(rec);
      if (values !== null && hooks.onRecord?.(values) && run.direct && run.bad === 0) {
        if (writer.pending) yield writer.take();
        writer.segment();
      }
      if (directTap && directTap.pending >= TAP_SEGMENT && cutAt !== directTap.flushes) {
        // once per flush: the tap's items go to the server before the next statement
        cutAt = directTap.flushes;
        if (writer.pending) yield writer.take();
        writer.segment();
      }
      if (reader.issues.length) log.addAll(reader.issues);
      if (values === null) {
        run.bad++;
        const r = reader.rec;
        await run.reject?.write({ line: r.line, record: r.record, raw: r.raw, errors: reader.issues.filter((i) => i.severity === 'error') });
      } else if (!run.direct || run.bad === 0) {
        // Direct: once a record is bad the import fails: stop sending, keep reading to report all.
        writer.add(reader.rec, values, reader.asBytes);
        if (run.logTap) {
          run.logTap.add(values, reader.asBytes);
          // (the direct load stores them between its COPY statements: readIntoWriter)
          if (!run.direct && run.logTap.pending >= TAP_BATCH) await run.logTap.flush(trx);
        }
        run.staged++;
      }
      if (writer.pending >= BATCH) yield writer.take();
      run.progress.update(run.read, run.source.bytesRead());
    }
  }
  if (writer.pending) yield writer.take();
  if (process.env.EGOVCTL_IMPORT_TIMING) process.stderr.write(`import timing: last record read at ${Date.now() - run.started} ms\n`);
}

/** Reads the whole source through the writer into the database. */
export async function readIntoWriter(run: ImportRun, trx: Knex.Transaction, writer: RowWriter, refs: RecordRefs | null): Promise<void> {
  const { env, hooks, source } = run;
  const rows = batches(run, new RecordReader(run, refs), writer, trx);
  const table = ENTITIES[run.o.entity].table;
  if (run.direct) {
    env.logger.debug(`import: reading ${source.sourceName} straight into the empty ${table} table`);
    // Between the COPY statements of the load: the entity's own step, and the registry log's
    // items of the records sent so far (the server stores them while the next are read).
    const tap = run.logTap;
    const beforeSegment = hooks.beforeSegment || tap
      ? async () => {
        await hooks.beforeSegment?.(run, trx);
        await tap?.flush(trx, env.signal);
      }
      : undefined;
    try {
      await timed('read+copy (direct)', () => writer.load(trx, rows, env.signal, beforeSegment));
    } catch (err) {
      // A duplicate code is a unique violation of the primary key: start over, staged, to report every line.
      if ((err as { code?: string }).code === '23505') throw new RetryStaged();
      throw err;
    }
  } else {
    await run.dialect.createStage(trx, run.o.entity, run.reject !== null);
    env.logger.debug(`import: reading ${source.sourceName} into the staging table`);
    await timed('read+copy (stage)', () => writer.load(trx, rows, env.signal));
  }
  run.progress.phase('checking');
  if (source.bytes) env.logger.debug(`import: ${run.asBytes} of ${run.read} records checked and sent as the bytes they were`);
  env.logger.debug(`import: ${run.staged} records staged, checking them against the database`);
}
