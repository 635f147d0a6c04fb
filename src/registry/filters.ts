import type { Knex } from 'knex';
import { field, ITEM_SEPARATOR } from '../records/fields.js';
import { parseCode, parseList, parseTimestamp } from './values.js';

// The service filters shared by `registry list` and the export (SPEC §4): each is a
// comma-separated list that matches any of its values; the filters combine with AND.
// Every value reaches SQL as a bound parameter.

export interface ServiceFilter {
  status?: string[];
  agency?: string[];
  /** a service matches when its audience holds any of these */
  audience?: string[];
  /** updated_at at or after this instant (ISO 8601 UTC) */
  changedSince?: string;
}

export interface ServiceFilterFlags {
  status?: string;
  agency?: string;
  audience?: string;
  changedSince?: string;
}

/** Parses the flags as typed; a bad value is a usage error naming the flag (exit 2). */
export function parseServiceFilter(flags: ServiceFilterFlags): ServiceFilter {
  const f: ServiceFilter = {};
  if (flags.status !== undefined) f.status = parseList('--status', flags.status, field('services', 'status')!.values);
  if (flags.agency !== undefined) f.agency = parseList('--agency', flags.agency).map((c) => parseCode('agency', c));
  if (flags.audience !== undefined) f.audience = parseList('--audience', flags.audience, field('services', 'audience')!.values);
  if (flags.changedSince !== undefined) f.changedSince = parseTimestamp('--changed-since', flags.changedSince);
  return f;
}

export function applyServiceFilter(qb: Knex.QueryBuilder, f: ServiceFilter, column = (c: string) => c): Knex.QueryBuilder {
  if (f.status?.length) qb.whereIn(column('status'), f.status);
  if (f.agency?.length) qb.whereIn(column('agency_code'), f.agency);
  if (f.audience?.length) {
    // audience is stored as "G2C|G2B": match whole items, in either dialect
    const col = column('audience');
    qb.where((w) => {
      // (the separator is our own constant, so it may sit in the SQL text; the value is bound)
      for (const a of f.audience!) w.orWhereRaw(`('${ITEM_SEPARATOR}' || ?? || '${ITEM_SEPARATOR}') like ?`, [col, `%${ITEM_SEPARATOR}${a}${ITEM_SEPARATOR}%`]);
    });
  }
  if (f.changedSince) qb.where(column('updated_at'), '>=', f.changedSince);
  return qb;
}

/** The filter as given, for reports and manifests ({} when none). */
export function describeFilter(f: ServiceFilter): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (f.status) out.status = f.status;
  if (f.agency) out.agency = f.agency;
  if (f.audience) out.audience = f.audience;
  if (f.changedSince) out.changed_since = f.changedSince;
  return out;
}
