import { Readable } from 'node:stream';
import type { Knex } from 'knex';
import type { Db } from '../db/connect.js';
import { adapterOf } from '../db/dialect/index.js';
import { pagesByKey, whereAfter } from '../db/keyset.js';
import { UsageError } from '../errors.js';
import { toJsonText } from '../records/db-row.js';
import { ENTITIES, type EntityName, type RecordValues } from '../records/fields.js';
import { ENTRIES_TABLE, HEADS_TABLE, ITEMS_TABLE } from '../registry/log-store.js';
import { csvLine } from './csv-cell.js';
import type { ExportFilters } from './filters.js';
import type { ExportFormat } from './formats.js';
import type { SnapshotSelect, SourceRun } from './pg-source.js';

// `export … --as-of <time>` / `--at-size N` (SPEC §9): the records as they stood after the
// first N entries — for each key its latest entry within them, if a put — ordered by code
// as the export orders its table (`order by code` in the database's own collation), and
// formatted into the same lines by the same functions, so that the bytes are the ones the
// export printed at that moment.

const PAGE = 5000;
const CHUNK = 64 * 1024;

export interface LogPoint {
  /** ISO 8601 UTC: after the last entry at or before it */
  asOf?: string;
  /** after the first N entries */
  atSize?: number;
}

/** The log size the point names. */
export async function sizeAt(knex: Knex, p: LogPoint): Promise<number> {
  if (p.atSize !== undefined) {
    const r = (await knex(ENTRIES_TABLE).max({ n: 'number' })) as Array<{ n: number | string | null }>;
    const last = Number(r[0]?.n ?? 0);
    if (p.atSize > last) throw new UsageError(`--at-size ${p.atSize}: the registry log holds ${last} entries`);
    return p.atSize;
  }
  // Every run that appends stores a head of its timestamp and its last number, so the last
  // entry at or before the moment is the largest head at or before it (the entries have no
  // index on their timestamp: migrations/20261202000002_log_entries_without_timestamp_index.ts).
  const r = (await knex(HEADS_TABLE).where('created_at', '<=', p.asOf!).max({ n: 'size' })) as Array<{ n: number | string | null }>;
  return Number(r[0]?.n ?? 0);
}

/** An item (canonical JSON) as the canonical values db-row.ts gives for a row. */
function valuesOf(entity: EntityName, item: Record<string, unknown>): RecordValues {
  const out: RecordValues = {};
  for (const f of ENTITIES[entity].fields) out[f.name] = (item[f.name] as RecordValues[string] | undefined) ?? null;
  return out;
}

/** The export filters, on canonical values (filters.ts applies them in SQL). */
function matches(entity: EntityName, v: RecordValues, f: ExportFilters): boolean {
  if (f.status && !f.status.includes(String(v.status))) return false;
  if (f.agency && !f.agency.includes(String(entity === 'services' ? v.agency_code : v.code))) return false;
  if (f.audience && !(Array.isArray(v.audience) && v.audience.some((a) => f.audience!.includes(a)))) return false;
  if (f.changed_since && !(String(v.updated_at) >= f.changed_since)) return false;
  return true;
}

/** The records of one entity after the first `size` entries, ordered by code as the export orders them. */
async function* snapshotValues(knex: Knex, entity: EntityName, size: number): AsyncGenerator<RecordValues> {
  if (!adapterOf(knex).sql.distinctOn) {
    yield* snapshotValuesSqlite(knex, entity, size);
    return;
  }
  const rows = pagesByKey<{ key: string; bytes: string }, string>({
    pageSize: PAGE,
    key: (last) => last.key,
    // Each key's latest entry within the first `size`: one pass in (entity, key, number)
    // index order (DISTINCT ON, newest first within a key), not a subquery per entry.
    page: async (after, limit) => ((await knex.raw(
      `select l.key, i.bytes from (
         select distinct on (e.key) e.key, e.op, e.item from ${ENTRIES_TABLE} e
          where e.entity = ? and e.number <= ?${after === null ? '' : ' and e.key > ?'}
          order by e.key, e.number desc
       ) l join ${ITEMS_TABLE} i on i.hash = l.item
       where l.op = 'put'
       order by l.key
       limit ${limit}`,
      after === null ? [entity, size] : [entity, size, after],
    )) as { rows: Array<{ key: string; bytes: string }> }).rows,
  });
  for await (const r of rows) yield valuesOf(entity, JSON.parse(r.bytes) as Record<string, unknown>);
}

/** Without DISTINCT ON (SQLite): each key's latest entry by a subquery on the (entity, key, number) index. */
async function* snapshotValuesSqlite(knex: Knex, entity: EntityName, size: number): AsyncGenerator<RecordValues> {
  const rows = pagesByKey<{ key: string; bytes: string }, string>({
    pageSize: PAGE,
    key: (last) => last.key,
    page: async (after, limit) => {
      const q = knex(`${ENTRIES_TABLE} as e`)
        .join(`${ITEMS_TABLE} as i`, 'i.hash', 'e.item')
        .select('e.key', 'i.bytes')
        .where('e.entity', entity)
        .andWhere('e.op', 'put')
        .andWhere('e.number', '<=', size)
        .andWhere('e.number', knex(`${ENTRIES_TABLE} as l`).max('l.number').where('l.entity', entity).andWhereRaw('l.key = e.key').andWhere('l.number', '<=', size));
      return (await whereAfter(q, ['e.key'], after === null ? null : [after]).orderBy('e.key').limit(limit)) as Array<{ key: string; bytes: string }>;
    },
  });
  for await (const r of rows) yield valuesOf(entity, JSON.parse(r.bytes) as Record<string, unknown>);
}

export async function withLogSnapshot(
  db: Db,
  entity: EntityName,
  format: ExportFormat,
  filters: ExportFilters,
  raw: boolean,
  point: LogPoint,
  consume: (lines: Readable) => Promise<void>,
  prelude?: (select: SnapshotSelect) => Promise<void>,
): Promise<SourceRun> {
  // One read-only snapshot for the size and every page. JIT compiling the page query cost
  // more than running it (PostgreSQL: 116 of 172 ms a page of 5,000).
  const trx = await db.adapter.snapshots.readSnapshot(db.knex);
  try {
    await db.adapter.planner.manySmallQueries(trx);
    return await snapshotRun(db, trx, entity, format, filters, raw, point, consume, prelude);
  } finally {
    await trx.rollback().catch(() => {});
  }
}

async function snapshotRun(
  db: Db,
  trx: Knex,
  entity: EntityName,
  format: ExportFormat,
  filters: ExportFilters,
  raw: boolean,
  point: LogPoint,
  consume: (lines: Readable) => Promise<void>,
  prelude?: (select: SnapshotSelect) => Promise<void>,
): Promise<SourceRun> {
  const size = await sizeAt(trx, point);
  // CPSV-AP's agencies as they stood at the same point. Agencies have scalar fields only,
  // so their canonical values are what a row of the table reads as.
  if (prelude) {
    const agencies: Array<Record<string, unknown>> = [];
    for await (const v of snapshotValues(trx, 'agencies', size)) agencies.push(v);
    await prelude(async () => agencies);
  }
  // CPSV-AP is made from the NDJSON lines, as from the table
  const line = format === 'csv' ? (v: RecordValues) => csvLine(entity, v, raw) : (v: RecordValues) => `${toJsonText(entity, v)}\n`;
  let rows = 0;
  async function* chunks(): AsyncGenerator<Buffer> {
    let buf = '';
    for await (const v of snapshotValues(trx, entity, size)) {
      if (!matches(entity, v, filters)) continue;
      rows++;
      buf += line(v);
      if (buf.length >= CHUNK) {
        yield Buffer.from(buf, 'utf8');
        buf = '';
      }
    }
    if (buf) yield Buffer.from(buf, 'utf8');
  }
  await consume(Readable.from(chunks(), { objectMode: false }));
  return { rows };
}
