import { withLogSnapshot, type LogPoint } from './log-source.js';
import type { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { databaseError, isDriverError, isLockTimeout, type Db } from '../db/connect.js';
import type { Dialect } from '../db/dialect/index.js';
import { MIGRATIONS_TABLE } from '../db/migrator.js';
import { InterruptedError, UsageError } from '../errors.js';
import { openAtomicFile, outputError, prepareFileAtomic } from '../io/atomic-file.js';
import { DigestStream } from '../io/write-digest.js';
import { createGzipWriter } from '../io/write-gzip.js';
import { isReaderClosed, stdoutSink } from '../io/write-stdout.js';
import { ENTITIES, type EntityName } from '../records/fields.js';
import { csvHeader } from './csv-cell.js';
import { cpsvApPlan } from './cpsv-ap-source.js';
import { NO_FILTERS, type ExportFilters } from './filters.js';
import type { ExportFormat } from './formats.js';
import { JsonArrayStream, LineCounter, PrefixStream } from './framing.js';
import { buildManifest, manifestPath, type Manifest, type ManifestSource } from './manifest.js';
import { withPgCopy, type SourceRun } from './pg-source.js';
import { withSqliteRows } from './sqlite-source.js';
import { xlsxStage } from './xlsx-writer.js';

// The export pipeline: database → lines → framing (CSV header, JSON array) → gzip →
// digest (bytes, sha256 of what is written) → destination. Streams all the way; the
// destination's back-pressure paces the database.

export interface ExportProgress {
  /** how many records the export will write (asked only when a bar is shown) */
  total(n: number): void;
  /** records written so far (for CSV from PostgreSQL, an estimate until the end) */
  update(done: number): void;
}

export interface ExportOptions {
  format: ExportFormat;
  gzip?: boolean;
  /** CSV: write free text exactly, without the formula guard */
  raw?: boolean;
  filters?: ExportFilters;
  signal?: AbortSignal;
  progress?: ExportProgress;
  /** CPSV-AP: where node IRIs start (the config file's baseIri; default https://registry.invalid/) */
  baseIri?: string;
  /** the records as the registry log had them at this point (log-source.ts), not the table */
  point?: LogPoint;
}

/** What an export wrote: its manifest's source (manifest.ts) and whether the reader took it all. */
export interface ExportResult extends ManifestSource {
  entity: EntityName;
  format: ExportFormat;
  /** false when the reader of standard output went away before the end */
  complete: boolean;
}

/**
 * How each dialect streams a table out: its driver's own way (PostgreSQL: COPY, formatted
 * by the server; SQLite: better-sqlite3's row iterator). A new dialect registers its source here.
 */
const TABLE_SOURCES: Readonly<Record<Dialect, typeof withPgCopy>> = { pg: withPgCopy, sqlite: withSqliteRows };

export async function schemaVersion(db: Db): Promise<string | null> {
  if (!(await db.knex.schema.hasTable(MIGRATIONS_TABLE))) return null;
  const r = (await db.knex(MIGRATIONS_TABLE).max({ v: 'name' })) as Array<{ v: string | null }>;
  return r[0]?.v ?? null;
}

/** Streams the records of one entity, in one snapshot and ordered by its key (code; id for applications), into `dest`. */
export async function exportRecords(db: Db, entity: EntityName, opts: ExportOptions, dest: Writable): Promise<ExportResult> {
  // the registry log holds agencies and services only (SPEC §9)
  if (opts.point && !ENTITIES[entity].logged) throw new UsageError(`--as-of and --at-size do not apply to ${entity}: ${entity} are not in the registry log (only agencies and services are)`);
  const filters = opts.filters ?? NO_FILTERS;
  const raw = !!opts.raw;
  const gzip = !!opts.gzip;
  const digest = new DigestStream();
  const schema_version = await schemaVersion(db);
  const exported_at = new Date().toISOString();
  const progress = opts.progress;
  // CPSV-AP is made from the records' NDJSON lines, with the agencies read first
  const cpsv = opts.format === 'cpsv-ap' ? cpsvApPlan(db, entity, opts.baseIri) : null;
  // CPSV-AP and XLSX are written from the NDJSON records (typed values, no CSV escaping)
  const sourceFormat: ExportFormat = cpsv || opts.format === 'xlsx' ? 'ndjson' : opts.format;
  const consume = async (lines: Readable) => {
    const stages: Array<Readable | Transform | Writable> = [lines];
    if (progress) stages.push(new LineCounter((n) => progress.update(n)));
    if (opts.format === 'csv') stages.push(new PrefixStream(Buffer.from(csvHeader(entity))));
    if (opts.format === 'json') stages.push(new JsonArrayStream());
    if (cpsv) stages.push(cpsv.stage());
    if (opts.format === 'xlsx') stages.push(xlsxStage(entity));
    if (gzip) stages.push(createGzipWriter());
    stages.push(digest, dest);
    await pipeline(stages, opts.signal ? { signal: opts.signal } : {});
  };
  const onCount = progress ? (n: number) => progress.total(n) : undefined;
  let run: SourceRun;
  try {
    run = opts.point
      ? await withLogSnapshot(db, entity, sourceFormat, filters, raw, opts.point, consume, cpsv?.prelude)
      : await TABLE_SOURCES[db.adapter.name](db, entity, sourceFormat, filters, raw, consume, onCount, cpsv?.prelude);
  } catch (err) {
    // an abort shows up as AbortError from the pipeline: say which signal it was
    if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : new InterruptedError();
    // said here, so that the audit row records exit 5 as the user sees it
    if (isDriverError(err) && !isLockTimeout(err)) throw databaseError(db.target, err, 'export failed on');
    throw err;
  }
  progress?.update(run.rows);
  return { entity, format: opts.format, gzip, raw, rows: run.rows, bytes: digest.bytes, sha256: digest.sha256(), filters, exported_at, schema_version, complete: true };
}

export interface FileExportResult extends ExportResult {
  out: string;
  /** the manifest's path, when one was written */
  manifest: string | null;
}

/**
 * Writes the records of one entity to `file` atomically (temporary file beside it,
 * flushed, renamed; nothing left behind on failure) and, with `manifest`, the manifest of
 * SPEC §7 beside it. Reusable: backups and other commands call this.
 */
export async function writeRecordsFile(
  db: Db,
  entity: EntityName,
  file: string,
  opts: ExportOptions & { manifest?: boolean; toolVersion?: string },
): Promise<FileExportResult> {
  const f = await openAtomicFile(file);
  let result: ExportResult;
  try {
    result = await exportRecords(db, entity, opts, f.stream);
  } catch (err) {
    await f.abort();
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code && /^E[A-Z]+$/.test(code) && (err as { syscall?: string }).syscall) throw outputError(file, err);
    throw err;
  }
  let manifestFile: string | null = null;
  if (opts.manifest) {
    const doc: Manifest = buildManifest(result, opts.toolVersion ?? 'unknown');
    manifestFile = manifestPath(f.path);
    // written before the data is renamed, put in place just after it
    const m = await prepareFileAtomic(manifestFile, `${JSON.stringify(doc, null, 2)}\n`).catch(async (err) => {
      await f.abort();
      throw err;
    });
    await f.commit().catch(async (err) => {
      await m.abort();
      throw err;
    });
    await m.commit();
  } else {
    await f.commit();
  }
  return { ...result, out: f.path, manifest: manifestFile };
}

/** Exports to standard output. A reader that closes early (`| head`) is a quiet stop. */
export async function writeRecordsStdout(db: Db, entity: EntityName, out: NodeJS.WritableStream, opts: ExportOptions): Promise<ExportResult> {
  try {
    return await exportRecords(db, entity, opts, stdoutSink(out));
  } catch (err) {
    if (!isReaderClosed(err)) {
      const code = (err as NodeJS.ErrnoException)?.code;
      if (code && /^E[A-Z]+$/.test(code) && (err as { syscall?: string }).syscall) throw outputError('standard output', err);
      throw err;
    }
    return {
      entity, format: opts.format, gzip: !!opts.gzip, raw: !!opts.raw, rows: 0, bytes: 0, sha256: '',
      filters: opts.filters ?? NO_FILTERS, exported_at: new Date().toISOString(), schema_version: null, complete: false,
    };
  }
}
