import type { Knex } from 'knex';
import { UsageError } from '../errors.js';
import { parseList, parseTimestamp } from '../flag-values.js';
import { field, ITEM_SEPARATOR, type EntityName } from '../records/fields.js';

// The filters of `export` and `registry list` (SPEC §4): comma-separated lists that match
// any of their values, and a timestamp; the filters combine with AND. Values are checked
// where a wrong one is a typo (status, audience: exit 2) and otherwise passed on untouched;
// they only ever reach SQL as bound parameters.

export interface ExportFilters {
  status: string[] | null;
  /** services: agency_code; agencies: the agencies' own codes */
  agency: string[] | null;
  /** services only: records whose audience includes any of these */
  audience: string[] | null;
  /** ISO 8601 UTC with milliseconds: records with updated_at at or after it */
  changed_since: string | null;
}

export interface RawFilters {
  status?: string;
  agency?: string;
  audience?: string;
  changedSince?: string;
}

export const NO_FILTERS: ExportFilters = { status: null, agency: null, audience: null, changed_since: null };

export function parseFilters(entity: EntityName, raw: RawFilters): ExportFilters {
  const audienceField = field(entity, 'audience');
  if (raw.audience !== undefined && !audienceField) throw new UsageError(`--audience applies to services only, not ${entity}`);
  return {
    status: raw.status === undefined ? null : parseList('--status', raw.status, field(entity, 'status')!.values),
    agency: raw.agency === undefined ? null : parseList('--agency', raw.agency),
    audience: raw.audience === undefined ? null : parseList('--audience', raw.audience, audienceField!.values),
    changed_since: raw.changedSince === undefined ? null : parseTimestamp('--changed-since', raw.changedSince),
  };
}

/** The filters as knex conditions (SQLite export, registry list); every value bound. */
export function applyFilters(qb: Knex.QueryBuilder, entity: EntityName, f: ExportFilters): Knex.QueryBuilder {
  if (f.status) qb.whereIn('status', f.status);
  if (f.agency) qb.whereIn(entity === 'services' ? 'agency_code' : 'code', f.agency);
  if (f.audience) {
    const wanted = f.audience;
    // audience is stored as "G2C|G2B": match whole items (the separator is our constant)
    qb.where((w) => {
      for (const a of wanted) w.orWhereRaw(`('${ITEM_SEPARATOR}' || audience || '${ITEM_SEPARATOR}') like ?`, [`%${ITEM_SEPARATOR}${a}${ITEM_SEPARATOR}%`]);
    });
  }
  if (f.changed_since) qb.where('updated_at', '>=', f.changed_since);
  return qb;
}
