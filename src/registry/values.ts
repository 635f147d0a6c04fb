import { DATE_PATTERN, IDENTIFIER_MAX, IDENTIFIER_MIN, IDENTIFIER_PATTERN } from '../records/fields.js';
import { UsageError } from '../errors.js';

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

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * An ISO 8601 timestamp, in the one form the database holds (2026-01-31T08:00:00.000Z), so
 * that comparing it with stored text on SQLite orders correctly. A bare date is midnight
 * UTC; a time without a zone is taken as UTC, as every timestamp the tool writes is.
 */
export function parseTimestamp(flag: string, text: string): string {
  const v = text.trim();
  const m = TIMESTAMP.exec(v);
  if (m) {
    let iso = v.replace(' ', 'T');
    if (!m[1]) iso += 'T00:00:00Z';
    else if (!m[4]) iso += 'Z';
    const d = new Date(iso);
    // the date part must be a real day (Date would roll 02-30 over into March)
    if (!Number.isNaN(d.getTime()) && new Date(`${v.slice(0, 10)}T00:00:00Z`).toISOString().slice(0, 10) === v.slice(0, 10)) {
      return d.toISOString();
    }
  }
  throw new UsageError(`${flag} takes an ISO 8601 timestamp such as 2026-01-31T08:00:00Z or 2026-01-31, not "${text}"`);
}

/** A service or agency code as typed: trimmed; must have the identifier's form. */
export function parseCode(what: string, text: string): string {
  const v = text.trim();
  if (v.length >= IDENTIFIER_MIN && v.length <= IDENTIFIER_MAX && IDENTIFIER_PATTERN.test(v)) return v;
  throw new UsageError(`"${text}" is not a ${what} code: codes are ${IDENTIFIER_MIN}–${IDENTIFIER_MAX} characters of A–Z, 0–9 and single dashes, starting with a letter (e.g. ADL-0003)`);
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
