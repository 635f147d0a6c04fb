import type { Db } from '../db/connect.js';
import { DataError } from '../errors.js';
import { fromRow, toJsonText } from '../records/db-row.js';
import { ENTITIES, type RecordValues } from '../records/fields.js';
import { applyServiceFilter, type ServiceFilter } from './filters.js';

// Reading the register: `registry list` and `registry show`.

export interface ServiceList {
  /** every service the filter matches */
  total: number;
  /** the first `limit` of them, ordered by code */
  services: RecordValues[];
}

/** Services matching the filter, ordered by code; limit 0 means all. */
export async function listServices(db: Db, filter: ServiceFilter, limit: number): Promise<ServiceList> {
  const table = ENTITIES.services.table;
  const [countRow] = await applyServiceFilter(db.knex(table).count({ n: '*' }), filter);
  const total = Number((countRow as { n: number | string }).n);
  const q = applyServiceFilter(db.knex(table).select('*'), filter).orderBy('code');
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
