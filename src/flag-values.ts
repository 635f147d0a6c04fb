import { UsageError } from './errors.js';
import { DATE_PATTERN, IDENTIFIER_MAX, IDENTIFIER_MIN, IDENTIFIER_PATTERN } from './records/fields.js';

// Values typed on the command line (dates, timestamps, codes, lists). A bad one is a
// usage error (exit 2) that names the flag and shows the expected form.

/** A real calendar day as YYYY-MM-DD (2026-02-30 is refused). */
export function parseDate(flag: string, text: string): string {
  const v = text.trim();
  if (DATE_PATTERN.test(v)) {
    const d = new Date(`${v}T00:00:00.000Z`);
    if (!Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v) return v;
  }
  throw new UsageError(`${flag} takes a date as YYYY-MM-DD, not "${text}"`);
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

/** A service or agency code as typed: trimmed; must have the identifier's form. */
export function parseCode(what: string, text: string): string {
  const v = text.trim();
  if (v.length >= IDENTIFIER_MIN && v.length <= IDENTIFIER_MAX && IDENTIFIER_PATTERN.test(v)) return v;
  throw new UsageError(`"${text}" is not ${/^[aeiou]/.test(what) ? 'an' : 'a'} ${what} code: codes are ${IDENTIFIER_MIN}–${IDENTIFIER_MAX} characters of A–Z, 0–9 and single dashes, starting with a letter (e.g. ADL-0003)`);
}

/** A comma-separated list; each item must be one of `allowed` when given. */
export function parseList(flag: string, text: string, allowed?: readonly string[]): string[] {
  const items = [...new Set(text.split(',').map((s) => s.trim()).filter(Boolean))];
  if (!items.length) throw new UsageError(`${flag} needs at least one value`);
  if (allowed) {
    const bad = items.filter((i) => !allowed.includes(i));
    if (bad.length) throw new UsageError(`${flag}: ${bad.map((b) => `"${b}"`).join(', ')} ${bad.length > 1 ? 'are' : 'is'} not allowed; allowed values: ${allowed.join(', ')}`);
  }
  return items;
}

/** Today's date on this machine's calendar, YYYY-MM-DD: what an operator means by "today". */
export function today(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}`;
}
