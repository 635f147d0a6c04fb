import type { Knex } from 'knex';
import { copyIn } from '../../db/copy-in.js';
import type { SourceRecord } from '../../io/read-records.js';
import { toBytes } from '../../text/utf8-bytes.js';
import { ENTITIES, type RecordValues } from '../../records/fields.js';
import { BINARY_HEADER, BINARY_TRAILER, binaryEncoder, valuesAsBytes, type BinaryEncoder } from '../copy-binary.js';
import { readAhead, type ReadAhead } from '../read-ahead.js';
import { CopyRows, STAGE, copyEncoder, dataColumns, plainSource, q, stageColumns, type CopyBatch, type CopyEncoder } from '../stage-columns.js';
import type { RowWriter, WriterSpec } from './row-writer.js';

/** Rows per COPY statement (see CopyWriter.load). */
const COPY_SEGMENT = 25_000;
/** Batches (of 500 records) read ahead while a COPY statement finishes. */
const READ_AHEAD_BATCHES = 32;

// PostgreSQL: rows go through COPY (the speed of psql \copy), as text lines or, for
// records read as byte strings when the table's columns have the types it is made for,
// in COPY's binary format (copy-binary.ts). Either way written as bytes straight into
// shared buffers (CopyRows) and sent a batch at a time.

/** The columns of the rows: the staging table's, or the table's own (the direct load). */
export function writerColumns(spec: WriterSpec): string[] {
  return spec.direct ? [...dataColumns(spec.entity), 'updated_at'] : stageColumns(spec.entity, spec.withRaw);
}

abstract class CopyWriter implements RowWriter<CopyBatch> {
  protected readonly rows = new CopyRows();
  protected readonly cols: readonly string[];
  protected readonly withRaw: boolean;
  /** the next batch starts a new COPY statement: it holds the first record of a month (direct load of applications) */
  private barrier = false;

  constructor(protected readonly spec: WriterSpec, private readonly binary: boolean) {
    this.cols = writerColumns(spec);
    // The direct load has no raw column.
    this.withRaw = spec.withRaw && !spec.direct;
  }

  abstract add(rec: SourceRecord, values: RecordValues, asBytes: boolean): void;

  get pending(): number {
    return this.rows.rows;
  }

  take(): CopyBatch {
    const b = this.rows.take();
    if (this.barrier) {
      b.barrier = true;
      this.barrier = false;
    }
    return b;
  }

  segment(): void {
    this.barrier = true;
  }

  async load(trx: Knex.Transaction, batches: AsyncIterable<CopyBatch>, signal: AbortSignal, beforeSegment?: () => Promise<void>): Promise<void> {
    const table = this.spec.direct ? q(ENTITIES[this.spec.entity].table) : STAGE;
    const sql = `copy ${table} (${this.cols.map(q).join(', ')}) from stdin${this.binary ? ' (format binary)' : ''}`;
    // Several COPY statements of COPY_SEGMENT rows each, not one: PostgreSQL checks a foreign
    // key (the direct load into services) with a row trigger that fires only at the end of
    // the statement, so one COPY of a million rows ended with ~3 s of checks while this
    // process sat idle. Now each segment's checks run while the records of the next one
    // are read ahead (readAhead), and the two overlap. Same transaction, same rows.
    const rows = readAhead(batches, READ_AHEAD_BATCHES);
    try {
      let first = await rows.next();
      while (!first.done) {
        signal.throwIfAborted();
        const sent: CopyBatch[] = [];
        const segment = this.statementBytes(first.value, rows, sent, (next) => (first = next));
        // A deep buffer lets this process parse ahead while the server works, rather than the
        // two taking turns at every socket-sized chunk (16 MB: ~28,000 records of services).
        if (beforeSegment) await beforeSegment();
        // The file is read only as fast as the server takes the rows (back-pressure), and an
        // error or an interrupt on either side ends both (COPY is then failed, and the
        // transaction rolls back).
        await copyIn(trx, sql, segment, signal, 16 * 1024 * 1024);
        // The statement is complete: the server has every byte of it.
        for (const b of sent) b.release?.();
      }
    } finally {
      await rows.close();
    }
  }

  /** The bytes of one COPY statement: from `head` up to COPY_SEGMENT rows or a barrier; `next` gets the batch after. */
  private async *statementBytes(head: CopyBatch, rows: ReadAhead<CopyBatch>, sent: CopyBatch[],
    next: (r: IteratorResult<CopyBatch, undefined>) => void): AsyncGenerator<Buffer> {
    let n = head.rows;
    sent.push(head);
    if (this.binary) yield BINARY_HEADER;
    yield head.bytes;
    let after: IteratorResult<CopyBatch, undefined> | null = null;
    while (n < COPY_SEGMENT) {
      const r = await rows.next();
      if (r.done || r.value.barrier) {
        after = r;
        break;
      }
      n += r.value.rows;
      sent.push(r.value);
      yield r.value.bytes;
    }
    if (this.binary) yield BINARY_TRAILER;
    next(after ?? (await rows.next()));
  }
}

/** COPY text rows: PostgreSQL gets COPY text lines (as bytes). */
export class CopyTextWriter extends CopyWriter {
  private readonly encode: CopyEncoder;

  constructor(spec: WriterSpec) {
    super(spec, false);
    this.encode = copyEncoder(spec.entity, this.cols);
  }

  add(rec: SourceRecord, values: RecordValues, asBytes: boolean): void {
    this.rows.add(this.encode(rec.line, this.withRaw ? rec.raw : null, values, this.spec.now, plainSource(rec.raw)), asBytes);
  }
}

/** COPY binary rows: byte strings as they are; decoded records are turned back into bytes. */
export class CopyBinaryWriter extends CopyWriter {
  private readonly encode: BinaryEncoder;

  constructor(spec: WriterSpec) {
    super(spec, true);
    this.encode = binaryEncoder(spec.entity, this.cols, spec.now);
  }

  add(rec: SourceRecord, values: RecordValues, asBytes: boolean): void {
    const raw = this.withRaw ? rec.raw : null;
    this.rows.add(this.encode(rec.line, raw === null || asBytes ? raw : toBytes(raw), asBytes ? values : valuesAsBytes(values)), true);
  }
}
