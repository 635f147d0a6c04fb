import { Readable } from 'node:stream';
import type { Database } from 'better-sqlite3';
import type { Db } from '../db/connect.js';
import { fromRow, toJsonText } from '../records/db-row.js';
import { ENTITIES, type EntityName } from '../records/fields.js';
import { csvLine } from './csv-cell.js';
import type { ExportFilters } from './filters.js';
import type { ExportFormat } from './formats.js';
import type { SourceRun } from './pg-source.js';

// SQLite: knex's .stream() loads the whole result first (FIELD-NOTES), so rows come from
// better-sqlite3's own iterator on the connection knex holds, formatted here into lines,
// about 64 KB at a time, pulled as the destination asks (memory stays flat).

const CHUNK = 64 * 1024;

function selectSql(db: Db, entity: EntityName, filters: ExportFilters): { sql: string; bindings: unknown[] } {
  let qb = db.knex(ENTITIES[entity].table).select('*');
  if (filters.status) qb = qb.whereIn('status', filters.status);
  if (filters.agency) qb = qb.whereIn(entity === 'services' ? 'agency_code' : 'code', filters.agency);
  if (filters.audience) {
    const wanted = filters.audience;
    qb = qb.where((w) => {
      for (const a of wanted) w.orWhereRaw(`instr('|' || audience || '|', ?) > 0`, [`|${a}|`]);
    });
  }
  if (filters.changed_since) qb = qb.where('updated_at', '>=', filters.changed_since);
  const native = qb.orderBy('code').toSQL().toNative();
  return { sql: native.sql, bindings: [...native.bindings] };
}

export async function withSqliteRows(
  db: Db,
  entity: EntityName,
  format: ExportFormat,
  filters: ExportFilters,
  raw: boolean,
  consume: (lines: Readable) => Promise<void>,
  onCount?: (n: number) => void,
): Promise<SourceRun> {
  const client = db.knex.client as { acquireConnection(): Promise<Database>; releaseConnection(c: Database): Promise<void> };
  const conn = await client.acquireConnection();
  const { sql, bindings } = selectSql(db, entity, filters);
  let rows = 0;
  // one read transaction: the count and the rows see the same snapshot
  conn.exec('BEGIN');
  try {
    if (onCount) {
      const c = conn.prepare(`select count(*) as n from (${sql})`).get(...bindings) as { n: number };
      onCount(c.n);
    }
    const format1 = format === 'csv'
      ? (r: Record<string, unknown>) => csvLine(entity, fromRow(entity, r), raw)
      : (r: Record<string, unknown>) => `${toJsonText(entity, fromRow(entity, r))}\n`;
    const it = conn.prepare(sql).iterate(...bindings) as IterableIterator<Record<string, unknown>>;
    function* chunks(): Generator<Buffer> {
      try {
        let buf = '';
        for (const r of it) {
          rows++;
          buf += format1(r);
          if (buf.length >= CHUNK) {
            yield Buffer.from(buf, 'utf8');
            buf = '';
          }
        }
        if (buf) yield Buffer.from(buf, 'utf8');
      } finally {
        it.return?.();
      }
    }
    const gen = chunks();
    try {
      await consume(Readable.from(gen, { objectMode: false }));
    } finally {
      gen.return(undefined); // an abandoned export finalizes its statement before COMMIT
    }
    return { rows };
  } finally {
    try {
      conn.exec('COMMIT');
    } catch {
      /* nothing was written: a failed COMMIT of a read leaves nothing behind */
    }
    await client.releaseConnection(conn);
  }
}
