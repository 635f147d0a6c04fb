import { Readable } from 'node:stream';
import type { Database } from 'better-sqlite3';
import type { Knex } from 'knex';
import type { Db } from '../db/connect.js';
import { DatabaseError } from '../errors.js';
import { fromRow, toJsonText } from '../records/db-row.js';
import { ENTITIES, type EntityName } from '../records/fields.js';
import { csvLine } from './csv-cell.js';
import { applyFilters, type ExportFilters } from './filters.js';
import type { ExportFormat } from './formats.js';
import type { SnapshotSelect, SourceRun } from './pg-source.js';
import { sqliteCsvLine } from './sqlite-csv.js';

// SQLite: knex's .stream() loads the whole result first (FIELD-NOTES), so rows come from
// better-sqlite3's own iterator on the connection knex holds, about 64 KB at a time, pulled
// as the destination asks (memory stays flat). CSV lines are made by SQLite itself and come
// back as their bytes (sqlite-csv.ts); a row it cannot vouch for, and NDJSON, are formatted here.

const CHUNK = 64 * 1024;

function selectSql(db: Db, entity: EntityName, filters: ExportFilters, columns: Array<string | Knex.Raw> = ['*']): { sql: string; bindings: unknown[] } {
  const qb = applyFilters(db.knex(ENTITIES[entity].table).select(...columns), entity, filters);
  const native = qb.orderBy(ENTITIES[entity].key).toSQL().toNative();
  return { sql: native.sql, bindings: [...native.bindings] };
}

/** The rows as lines: `line(row)` of each row of `sql`. */
function* formatted(conn: Database, sql: string, bindings: unknown[], line: (r: Record<string, unknown>) => string, counted: () => void, open: (it: Iterator<unknown>) => void): Generator<Buffer> {
  const it = conn.prepare(sql).iterate(...bindings) as IterableIterator<Record<string, unknown>>;
  open(it);
  let buf = '';
  for (const r of it) {
    counted();
    buf += line(r);
    if (buf.length >= CHUNK) {
      yield Buffer.from(buf, 'utf8');
      buf = '';
    }
  }
  if (buf) yield Buffer.from(buf, 'utf8');
}

/**
 * CSV: each row's line as SQLite made it, a blob (sqlite-csv.ts); a row it cannot vouch for
 * is passed to ROW_FUNCTION, `line` in JavaScript (better-sqlite3 runs no other statement on
 * the connection while one is being read, so the row cannot be read again here).
 */
function* sqlLines(conn: Database, sql: string, bindings: unknown[], counted: () => void, open: (it: Iterator<unknown>) => void): Generator<Buffer> {
  const it = conn.prepare(sql).pluck(true).iterate(...bindings) as IterableIterator<Buffer>;
  open(it);
  let parts: Buffer[] = [];
  let size = 0;
  for (const b of it) {
    counted();
    parts.push(b);
    size += b.length;
    if (size >= CHUNK) {
      yield Buffer.concat(parts, size);
      parts = [];
      size = 0;
    }
  }
  if (size) yield Buffer.concat(parts, size);
}

/** The SQL function that gives a row's CSV line from JavaScript (registered on the connection per export). */
const ROW_FUNCTION = 'egovctl_csv_row';

export async function withSqliteRows(
  db: Db,
  entity: EntityName,
  format: ExportFormat,
  filters: ExportFilters,
  raw: boolean,
  consume: (lines: Readable) => Promise<void>,
  onCount?: (n: number) => void,
  prelude?: (select: SnapshotSelect) => Promise<void>,
): Promise<SourceRun> {
  const client = db.knex.client as { acquireConnection(): Promise<Database>; releaseConnection(c: Database): Promise<void> };
  const conn = await client.acquireConnection();
  const { sql, bindings } = selectSql(db, entity, filters);
  let rows = 0;
  // Created inside the generator, so an export stopped before its first read never leaves
  // a statement open (better-sqlite3 then refuses every other query on the connection).
  let it: IterableIterator<Record<string, unknown>> | null = null;
  try {
    // one read transaction: the count and the rows see the same snapshot
    conn.exec('BEGIN');
    if (prelude) await prelude(async (q, b) => conn.prepare(q).all(...b) as Array<Record<string, unknown>>);
    if (onCount) {
      const c = conn.prepare(`select count(*) as n from (${sql})`).get(...bindings) as { n: number };
      onCount(c.n);
    }
    const format1 = format === 'csv'
      ? (r: Record<string, unknown>) => csvLine(entity, fromRow(entity, r), raw)
      : (r: Record<string, unknown>) => `${toJsonText(entity, fromRow(entity, r))}\n`;
    // a value the schema cannot rule out on SQLite (a list that is not JSON) is a database
    // problem, as the same row is on PostgreSQL (exit 5), not a bug of the tool
    const line = (r: Record<string, unknown>) => {
      try {
        return format1(r);
      } catch (err) {
        throw new DatabaseError(`cannot export ${ENTITIES[entity].noun} ${String(r[ENTITIES[entity].key])} of target ${db.target.name}: a stored value is malformed (${(err as Error).message})`, { cause: err });
      }
    };
    const counted = () => void rows++;
    const open = (i: Iterator<unknown>) => void (it = i as IterableIterator<Record<string, unknown>>);
    let chunks: Generator<Buffer>;
    if (format === 'csv') {
      const names = ENTITIES[entity].fields.map((f) => f.name);
      conn.function(ROW_FUNCTION, { varargs: true }, (...values: unknown[]) => {
        const r: Record<string, unknown> = {};
        names.forEach((n, i) => (r[n] = values[i]));
        return Buffer.from(line(r), 'utf8');
      });
      const table = ENTITIES[entity].table;
      const lines = selectSql(db, entity, filters, [db.knex.raw(`${sqliteCsvLine(entity, raw, ROW_FUNCTION, table)} as egovctl_line`)]);
      chunks = sqlLines(conn, lines.sql, lines.bindings, counted, open);
    } else chunks = formatted(conn, sql, bindings, line, counted, open);
    await consume(Readable.from(chunks, { objectMode: false }));
    return { rows };
  } finally {
    (it as IterableIterator<unknown> | null)?.return?.();
    try {
      if (conn.inTransaction) conn.exec('COMMIT');
    } catch {
      /* a read: nothing to keep or lose */
    }
    await client.releaseConnection(conn);
  }
}
