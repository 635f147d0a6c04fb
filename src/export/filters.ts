import type { Knex } from 'knex';
import { UsageError } from '../errors.js';
import { parseDate, parseList, parseTimestamp } from '../flag-values.js';
import { ENTITIES, ITEM_SEPARATOR, field, references, type EntityName } from '../records/fields.js';
import { addDays, DEFAULT_TIME_ZONE, TimeZone } from '../time/zone.js';

// The filters of `export` and `registry list` (SPEC §4): comma-separated lists that match
// any of their values, a timestamp, and for applications a range of local submission
// dates; the filters combine with AND. Values are checked where a wrong one is a typo
// (status, audience, dates: exit 2) and otherwise passed on untouched; they only ever
// reach SQL as bound parameters.

export interface ExportFilters {
  status: string[] | null;
  /**
   * services: agency_code; agencies: the agencies' own codes; applications: the handling
   * agency (handled_by, or when that is empty the service's agency)
   */
  agency: string[] | null;
  /** services: audience includes any of these; applications: audience is one of these */
  audience: string[] | null;
  /** ISO 8601 UTC with milliseconds: records with updated_at at or after it */
  changed_since: string | null;
  /** applications only: the local submission date (YYYY-MM-DD in time_zone) on or after */
  from?: string | null;
  /** applications only: the local submission date on or before */
  to?: string | null;
  /** applications only: the zone of from/to (the config file's timeZone) */
  time_zone?: string;
}

export interface RawFilters {
  status?: string;
  agency?: string;
  audience?: string;
  changedSince?: string;
  from?: string;
  to?: string;
}

export const NO_FILTERS: ExportFilters = { status: null, agency: null, audience: null, changed_since: null };

const FLAG_OF: Record<keyof RawFilters, string> = {
  status: '--status', agency: '--agency', audience: '--audience', changedSince: '--changed-since', from: '--from', to: '--to',
};

export function parseFilters(entity: EntityName, raw: RawFilters, opts: { timeZone?: string } = {}): ExportFilters {
  // the filters each entity takes, as flags (the message of a filter that does not apply)
  const takes = ENTITIES[entity].filters;
  for (const [key, flag] of Object.entries(FLAG_OF) as Array<[keyof RawFilters, string]>) {
    if (raw[key] !== undefined && !takes.includes(flag)) {
      throw new UsageError(`${flag} does not apply to ${entity}: the filters of ${entity} are ${takes.join(', ')}`);
    }
  }
  const audienceField = field(entity, 'audience');
  const out: ExportFilters = {
    status: raw.status === undefined ? null : parseList('--status', raw.status, field(entity, 'status')!.values),
    agency: raw.agency === undefined ? null : parseList('--agency', raw.agency),
    audience: raw.audience === undefined ? null : parseList('--audience', raw.audience, audienceField!.values),
    changed_since: raw.changedSince === undefined ? null : parseTimestamp('--changed-since', raw.changedSince),
  };
  if (ENTITIES[entity].periodFilter) {
    out.from = raw.from === undefined ? null : parseDate('--from', raw.from);
    out.to = raw.to === undefined ? null : parseDate('--to', raw.to);
    if (out.from && out.to && out.from > out.to) throw new UsageError(`--from ${out.from} is after --to ${out.to}: no day is in that period`);
    out.time_zone = opts.timeZone ?? DEFAULT_TIME_ZONE;
  }
  return out;
}

/**
 * The instants that bound --from/--to: submitted_at at or after `from` and before
 * `before` (ISO 8601 UTC). A local date begins at TimeZone.startOf; the end is the start
 * of the day after --to. Instants, not dates, so that PostgreSQL prunes the monthly
 * partitions (their bounds are instants).
 */
export function submittedBounds(f: ExportFilters): { from: string | null; before: string | null } {
  if (!f.from && !f.to) return { from: null, before: null };
  const zone = new TimeZone(f.time_zone ?? DEFAULT_TIME_ZONE);
  return {
    from: f.from ? new Date(zone.startOf(f.from)).toISOString() : null,
    before: f.to ? new Date(zone.startOf(addDays(f.to, 1))).toISOString() : null,
  };
}

/** The filters as knex conditions (SQLite export, registry list); every value bound. */
export function applyFilters(qb: Knex.QueryBuilder, entity: EntityName, f: ExportFilters): Knex.QueryBuilder {
  if (f.status) qb.whereIn('status', f.status);
  const by = ENTITIES[entity].agencyFilter;
  if (f.agency && by) {
    const wanted = f.agency;
    const otherwise = by.otherwise;
    if (otherwise) {
      // applications: the handling agency, handled_by, or when empty the service's agency
      const via = references(entity).find((r) => r.field === otherwise.via)!;
      const target = ENTITIES[via.entity].table;
      qb.where((w) => {
        w.whereIn(by.field, wanted).orWhere((w2) => {
          w2.whereNull(by.field).whereIn(via.field, function (this: Knex.QueryBuilder) {
            this.select(via.key).from(target).whereIn(otherwise.field, wanted);
          });
        });
      });
    } else qb.whereIn(by.field, wanted);
  }
  if (f.audience) {
    const wanted = f.audience;
    if (field(entity, 'audience')!.type === 'set') {
      // audience is stored as "G2C|G2B": match whole items (the separator is our constant)
      qb.where((w) => {
        for (const a of wanted) w.orWhereRaw(`('${ITEM_SEPARATOR}' || audience || '${ITEM_SEPARATOR}') like ?`, [`%${ITEM_SEPARATOR}${a}${ITEM_SEPARATOR}%`]);
      });
    } else qb.whereIn('audience', wanted);
  }
  if (f.changed_since) qb.where('updated_at', '>=', f.changed_since);
  const b = submittedBounds(f);
  const period = ENTITIES[entity].periodFilter;
  // SQLite keeps timestamps as ISO 8601 UTC text with milliseconds: text order is time order
  if (period && b.from) qb.where(period, '>=', b.from);
  if (period && b.before) qb.where(period, '<', b.before);
  return qb;
}
