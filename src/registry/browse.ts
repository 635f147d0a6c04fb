import type { Db } from '../db/connect.js';
import { DataError } from '../errors.js';
import { fromRow, toJsonText } from '../records/db-row.js';
import { ENTITIES, type RecordValues } from '../records/fields.js';
import { applyFilters, type ExportFilters } from '../export/filters.js';
import { pagesByKey, whereAfter } from '../db/keyset.js';

// Reading the register: `registry list` and `registry show`.

export interface ServiceList {
  /** every service the filter matches */
  total: number;
  /** the first `limit` of them, ordered by code */
  services: RecordValues[];
}

/** How many services the filter matches. */
export async function countServices(db: Db, filter: ExportFilters): Promise<number> {
  const [countRow] = await applyFilters(db.knex(ENTITIES.services.table).count({ n: '*' }), 'services', filter);
  return Number((countRow as { n: number | string }).n);
}

/** Services matching the filter, ordered by code; limit 0 means all. */
export async function listServices(db: Db, filter: ExportFilters, limit: number): Promise<ServiceList> {
  const table = ENTITIES.services.table;
  const total = await countServices(db, filter);
  const q = applyFilters(db.knex(table).select('*'), 'services', filter).orderBy('code');
  if (limit > 0) q.limit(limit);
  const rows = (await q) as Array<Record<string, unknown>>;
  return { total, services: rows.map((r) => fromRow('services', r)) };
}

export interface ServiceDetail {
  service: RecordValues;
  /** the competent authority's Uzbek name; null if the agency row is missing */
  agency_name: string | null;
}

/** One service by code; an unknown code is exit 3 (the data holds no such service). */
export async function showService(db: Db, code: string): Promise<ServiceDetail> {
  const row = (await db.knex(ENTITIES.services.table).where({ code }).first()) as Record<string, unknown> | undefined;
  if (!row) throw notFound(db, code);
  const agency = (await db.knex(ENTITIES.agencies.table).select('name_uz').where({ code: row.agency_code }).first()) as { name_uz: string } | undefined;
  return { service: fromRow('services', row), agency_name: agency?.name_uz ?? null };
}

export function notFound(db: Db, code: string): DataError {
  return new DataError(`no service with code ${code} on target ${db.target.name}`, {
    details: ['- `egovctl registry list` shows the codes there are'],
  });
}

/**
 * A record as a plain JSON value: the export's JSON object (every field in SPEC order,
 * decimals as numbers in their shortest exact form). Doubles hold every allowed fee exactly.
 */
export function serviceJson(values: RecordValues): Record<string, unknown> {
  return JSON.parse(toJsonText('services', values)) as Record<string, unknown>;
}

/**
 * Services matching the filter, ordered by code, page by page from one snapshot (a
 * read-only repeatable-read transaction on PostgreSQL; one read transaction on SQLite),
 * so a long listing neither holds every record in memory nor mixes two states.
 */
export async function* iterateServices(db: Db, filter: ExportFilters, limit: number, signal?: AbortSignal, pageSize = 2000): AsyncGenerator<RecordValues> {
  const trx = await db.adapter.snapshots.readSnapshot(db.knex);
  try {
    const rows = pagesByKey<Record<string, unknown>, string>({
      pageSize,
      ...(limit > 0 ? { limit } : {}),
      ...(signal ? { signal } : {}),
      page: async (after, n) => (await whereAfter(applyFilters(trx(ENTITIES.services.table).select('*'), 'services', filter), ['code'], after === null ? null : [after]).orderBy('code').limit(n)) as Array<Record<string, unknown>>,
      key: (last) => String(last.code),
    });
    for await (const r of rows) yield fromRow('services', r);
  } finally {
    await trx.rollback().catch(() => {});
  }
}

/**
 * Writes the JSON array of `registry list --json`: one record per line, each exactly as
 * export's JSON object. Record values are data, not messages: they are written as they are.
 */
export async function writeServicesJson(records: AsyncIterable<RecordValues>, out: NodeJS.WritableStream): Promise<number> {
  let n = 0;
  const write = async (s: string) => {
    if (!out.write(s)) await new Promise<void>((resolve) => out.once('drain', resolve));
  };
  await write('[');
  for await (const r of records) {
    await write(`${n ? ',' : ''}\n${toJsonText('services', r)}`);
    n++;
  }
  await write(n ? '\n]\n' : ']\n');
  return n;
}
