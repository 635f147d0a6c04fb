import { UsageError } from '../errors.js';
import { field, type EntityName } from '../records/fields.js';

// The filters of `export` (and `registry list`): comma-separated lists and a timestamp.
// Values are checked here where a wrong one is a typo (status, audience: exit 2) and are
// otherwise passed on untouched; they only ever reach SQL as bound parameters.

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

function list(flag: string, text: string | undefined): string[] | null {
  if (text === undefined) return null;
  const items = [...new Set(text.split(',').map((s) => s.trim()).filter((s) => s !== ''))];
  if (!items.length) throw new UsageError(`${flag} takes one or more comma-separated values`);
  return items;
}

function enumList(flag: string, text: string | undefined, allowed: readonly string[]): string[] | null {
  const items = list(flag, text);
  const bad = items?.filter((v) => !allowed.includes(v)) ?? [];
  if (bad.length) throw new UsageError(`${flag}: unknown value${bad.length > 1 ? 's' : ''} ${bad.map((b) => JSON.stringify(b)).join(', ')}; allowed: ${allowed.join(', ')}`);
  return items;
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * `2026-01-31`, `2026-01-31T08:00`, `2026-01-31T08:00:00.000Z`, `2026-01-31T13:00+05:00`.
 * Without an offset the time is UTC (the tool's timestamps all are). Returns the instant
 * as ISO 8601 UTC with milliseconds, the form updated_at is stored and compared in.
 */
export function parseTimestamp(flag: string, text: string): string {
  const m = TIMESTAMP.exec(text.trim());
  const fail = () => new UsageError(`${flag}: "${text}" is not a timestamp; use ISO 8601, e.g. 2026-01-31 or 2026-01-31T08:00:00.000Z`);
  if (!m) throw fail();
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const ms = Number((frac + '000').slice(0, 3));
  const local = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  const back = new Date(local);
  // Date.UTC rolls 2026-02-30 over into March: a date that does not exist is an error
  if (back.getUTCFullYear() !== Number(y) || back.getUTCMonth() !== Number(mo) - 1 || back.getUTCDate() !== Number(d)
    || back.getUTCHours() !== Number(h) || back.getUTCMinutes() !== Number(mi) || back.getUTCSeconds() !== Number(s)) throw fail();
  let offsetMin = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    if (Number(z[2]) > 14 || Number(z[3]) > 59) throw fail();
    offsetMin = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3]));
  }
  return new Date(local - offsetMin * 60_000).toISOString();
}

export function parseFilters(entity: EntityName, raw: RawFilters): ExportFilters {
  const status = enumList('--status', raw.status, field(entity, 'status')!.values!);
  const audienceField = field(entity, 'audience');
  if (raw.audience !== undefined && !audienceField) throw new UsageError(`--audience applies to services only, not ${entity}`);
  const audience = audienceField ? enumList('--audience', raw.audience, audienceField.values!) : null;
  return {
    status,
    agency: list('--agency', raw.agency),
    audience,
    changed_since: raw.changedSince === undefined ? null : parseTimestamp('--changed-since', raw.changedSince),
  };
}
