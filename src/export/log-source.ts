import { Readable } from 'node:stream';
import type { Knex } from 'knex';
import type { Db } from '../db/connect.js';
import { copyBinaryRows } from '../db/copy-binary-rows.js';
import { adapterOf, type BulkReads } from '../db/dialect/index.js';
import { pagesByKey, whereAfter } from '../db/keyset.js';
import { UsageError } from '../errors.js';
import { canonicalDecimal, toJsonText } from '../records/db-row.js';
import { ENTITIES, type EntityName, type RecordValues } from '../records/fields.js';
import { ENTRIES_TABLE, HEADS_TABLE, ITEMS_TABLE } from '../registry/log-store.js';
import { exportLine } from '../registry/log/export-item.js';
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

/** Whether any filter is set (none: every record of the snapshot is exported). */
function filtered(f: ExportFilters): boolean {
  return !!(f.status || f.agency || f.audience || f.changed_since);
}

/** The export filters, on canonical values (filters.ts applies them in SQL). */
function matches(entity: EntityName, v: RecordValues, f: ExportFilters): boolean {
  if (f.status && !f.status.includes(String(v.status))) return false;
  if (f.agency && !f.agency.includes(String(entity === 'services' ? v.agency_code : v.code))) return false;
  if (f.audience && !(Array.isArray(v.audience) && v.audience.some((a) => f.audience!.includes(a)))) return false;
  if (f.changed_since && !(String(v.updated_at) >= f.changed_since)) return false;
  return true;
}

/**
 * Where the dialect has COPY: the items of the snapshot in one statement — each key's
 * latest entry within the first `size` by DISTINCT ON over the (entity, key, number) index,
 * its item joined — ordered by code in byte order as the export orders its table (COLLATE
 * "C", pg-query.ts); the binary form carries the item's stored bytes as they are.
 */
async function* snapshotItemsCopy(knex: Knex, copyOut: NonNullable<BulkReads['copyOut']>, entity: EntityName, size: number): AsyncGenerator<Buffer[]> {
  if (!Number.isSafeInteger(size)) throw new Error(`as-of: size ${size} is not a whole number`);
  // COPY takes no bound values: the entity is one of the fixed names, the size a whole number.
  // Newest first within a key, keys descending: the order of a backward scan of the index,
  // so DISTINCT ON needs no sort; then the (key, item) pairs sorted in byte order, and each
  // item fetched in that order (LATERAL: a nested loop, which keeps it). Sorting the joined
  // rows instead meant sorting every item's bytes (an external sort: twice the time).
  const sql = `copy (select i.bytes from (
      select d.key, d.item from (
        select distinct on (e.key) e.key, e.op, e.item from ${ENTRIES_TABLE} e
         where e.entity = '${entity.replace(/'/g, "''")}' and e.number <= ${size}
         order by e.key desc, e.number desc
      ) d where d.op = 'put' order by d.key collate "C"
    ) l cross join lateral (select bytes from ${ITEMS_TABLE} where hash = l.item) i
    order by l.key collate "C") to stdout (format binary)`;
  for await (const rows of copyBinaryRows(copyOut(knex, sql))) yield rows.map((r) => r[0]!);
}

/** The items (their stored bytes) of one entity after the first `size` entries, ordered by code as the export orders them, a batch at a time. */
async function* snapshotItems(knex: Knex, entity: EntityName, size: number): AsyncGenerator<Buffer[]> {
  const copyOut = adapterOf(knex).bulk.copyOut;
  if (copyOut) {
    yield* snapshotItemsCopy(knex, copyOut, entity, size);
    return;
  }
  if (!adapterOf(knex).sql.distinctOn) {
    yield* snapshotItemsSqlite(knex, entity, size);
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
  for await (const r of rows) yield [Buffer.from(r.bytes, 'utf8')];
}

/** Without DISTINCT ON (SQLite): each key's latest entry by a subquery on the (entity, key, number) index. */
async function* snapshotItemsSqlite(knex: Knex, entity: EntityName, size: number): AsyncGenerator<Buffer[]> {
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
  for await (const r of rows) yield [Buffer.from(r.bytes, 'utf8')];
}

/** The record of an item, as canonical values. */
function itemValues(entity: EntityName, item: Buffer): RecordValues {
  return valuesOf(entity, JSON.parse(item.toString('utf8')) as Record<string, unknown>);
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
    for await (const batch of snapshotItems(trx, 'agencies', size)) for (const item of batch) agencies.push(itemValues('agencies', item));
    await prelude(async () => agencies);
  }
  // CPSV-AP is made from the NDJSON lines, as from the table
  const line = format === 'csv' ? (v: RecordValues) => csvLine(entity, v, raw) : (v: RecordValues) => `${toJsonText(entity, v)}\n`;
  // An NDJSON line straight from the item's bytes where nothing needs the values (export-item.ts)
  const direct = format !== 'csv' && !filtered(filters);
  let rows = 0;
  async function* chunks(): AsyncGenerator<Buffer> {
    let buf = '';
    let parts: Buffer[] = [];
    let bytes = 0;
    const flush = () => {
      if (buf) {
        parts.push(Buffer.from(buf, 'utf8'));
        buf = '';
      }
      const out = Buffer.concat(parts);
      parts = [];
      bytes = 0;
      return out;
    };
    for await (const batch of snapshotItems(trx, entity, size)) {
      for (const item of batch) {
        const fast = direct ? exportLine(entity, item, canonicalDecimal) : null;
        if (fast) {
          if (buf) {
            parts.push(Buffer.from(buf, 'utf8'));
            buf = '';
          }
          parts.push(fast);
          bytes += fast.length;
        } else {
          const v = itemValues(entity, item);
          if (!matches(entity, v, filters)) continue;
          const l = line(v);
          buf += l;
          bytes += l.length;
        }
        rows++;
        if (bytes >= CHUNK) yield flush();
      }
    }
    if (bytes || buf) yield flush();
  }
  await consume(Readable.from(chunks(), { objectMode: false }));
  return { rows };
}
