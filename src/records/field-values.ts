// One raw value (a CSV cell, a JSON value) → its canonical typed form, or the rule it
// breaks. Everything a rule needs to know about a field comes from its FieldDef.
import {
  DATE_PATTERN, IDENTIFIER_MAX, APPLICATION_ID_MAX, APPLICATION_ID_PATTERN, IDENTIFIER_MIN, IDENTIFIER_PATTERN, ITEM_SEPARATOR, PHONE_PATTERN, TIN_PATTERN,
  type FieldDef, type FieldValue,
} from './fields.js';
import { compareDecimal, decimalFromNumber, formatDecimal, parseDecimal, type Decimal } from './decimal.js';
import type { RuleCode } from './issues.js';
import { trimBytes } from '../text/utf8-bytes.js';

export interface Broken {
  broken: true;
  code: RuleCode;
  message: string;
}

export type Parsed = FieldValue | Broken;

export function isBroken(p: Parsed): p is Broken {
  return p !== null && typeof p === 'object' && !Array.isArray(p);
}

function broken(code: RuleCode, message: string): Broken {
  return { broken: true, code, message };
}

/** The value as the file gave it, as text, for the issue's `value`. */
export function valueText(raw: unknown): string | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'string') return raw.trim();
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  return JSON.stringify(raw);
}

/** Leading and trailing white space removed; an empty value is no value. */
export function normalize(raw: unknown): unknown {
  if (raw === undefined || raw === null) return null;
  if (typeof raw === 'string') {
    const t = raw.trim();
    return t === '' ? null : t;
  }
  return raw;
}

/** Characters as a person counts them (code points), not UTF-16 units. */
function charCount(s: string, limit: number): number {
  // A string no longer than the limit in units cannot be longer in code points.
  if (s.length <= limit) return s.length;
  let n = 0;
  for (const _ of s) n++;
  return n;
}

const URL_PATTERN = /^https?:\/\/[^\s/?#@]+(:[0-9]+)?([/?#]\S*)?$/i;
const EMAIL_PATTERN = /^[^\s@"<>(),;:]+@[^\s@"<>(),;:]+\.[^\s@"<>(),;:.]+$/;
const INTEGER_TEXT = /^([+-]?[0-9]+)(\.0*)?$/;

function asText(f: FieldDef, v: unknown): string | Broken {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return broken('type-error', `${f.name} must be text, not ${Array.isArray(v) ? 'a list' : typeof v}`);
}

const CANONICAL_INSTANT = /^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{3}Z$/;
/** days in months 1–12, February's 28 (the 29th goes the long way) */
const MONTH_DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * YYYY-MM-DDTHH:MM:SS.sssZ with a year from 1000 and a day its month has: then
 * new Date(Date.parse(v)).toISOString() is v itself (checked against it in the tests).
 */
export function isCanonicalInstant(v: string): boolean {
  if (v.length !== 24 || v.charCodeAt(0) === 48 || !CANONICAL_INSTANT.test(v)) return false;
  const month = (v.charCodeAt(5) - 48) * 10 + v.charCodeAt(6) - 48;
  const day = (v.charCodeAt(8) - 48) * 10 + v.charCodeAt(9) - 48;
  return day <= MONTH_DAYS[month]!;
}

function realDate(s: string): boolean {
  if (!DATE_PATTERN.test(s)) return false;
  const y = Number(s.slice(0, 4));
  const m = Number(s.slice(5, 7));
  const d = Number(s.slice(8, 10));
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
  return d <= days;
}

/** Items of a set or list: a CSV cell joined with |, or a JSON array. Empty items drop. */
function items(f: FieldDef, v: unknown): string[] | Broken {
  if (typeof v === 'string') {
    // The common CSV cell: no separator (the value is trimmed already), or items that
    // need no trimming and none of which is empty.
    if (v.indexOf(ITEM_SEPARATOR) === -1) return [v];
    const parts = v.split(ITEM_SEPARATOR);
    let clean = true;
    for (const p of parts) {
      if (p.length === 0 || p.trim().length !== p.length) {
        clean = false;
        break;
      }
    }
    if (clean) return parts;
  }
  const list = typeof v === 'string' ? v.split(ITEM_SEPARATOR) : Array.isArray(v) ? v : null;
  if (list === null) return broken('type-error', `${f.name} must be a list of values (a JSON array, or values joined with ${ITEM_SEPARATOR})`);
  const out: string[] = [];
  for (const item of list) {
    if (item === null || item === undefined) continue;
    if (typeof item !== 'string' && typeof item !== 'number') {
      return broken('type-error', `every item of ${f.name} must be text`);
    }
    const t = String(item).trim();
    if (t !== '') out.push(t);
  }
  return out;
}

function describeRange(f: FieldDef): string {
  const lo = f.min === undefined ? '' : `${f.minExclusive ? 'more than' : 'at least'} ${f.min}`;
  const hi = f.max === undefined ? '' : `${f.maxExclusive ? 'less than' : 'at most'} ${formatDecimal(decimalFromNumber(f.max)!)}`;
  return [lo, hi].filter(Boolean).join(' and ');
}

const bounds = new Map<number, Decimal>();

function bound(n: number): Decimal {
  let d = bounds.get(n);
  if (!d) bounds.set(n, (d = decimalFromNumber(n)!));
  return d;
}

function inRange(f: FieldDef, d: Decimal): boolean {
  if (f.min !== undefined) {
    const c = compareDecimal(d, bound(f.min));
    if (c < 0 || (c === 0 && f.minExclusive)) return false;
  }
  if (f.max !== undefined) {
    const c = compareDecimal(d, bound(f.max));
    if (c > 0 || (c === 0 && f.maxExclusive)) return false;
  }
  return true;
}

function decimal(f: FieldDef, v: unknown): Parsed {
  let d: Decimal | null = null;
  if (typeof v === 'number') d = decimalFromNumber(v);
  else if (typeof v === 'string') d = parseDecimal(v);
  if (d === null) {
    const hint = typeof v === 'string' && /^[+-]?[0-9]+,[0-9]+$/.test(v) ? ' (use . as the decimal separator)' : '';
    return broken('type-error', `${f.name} must be a number like 1500 or 13811.5, not ${JSON.stringify(v)}${hint}`);
  }
  if (f.scale !== undefined && d.frac.length > f.scale) {
    return broken('out-of-range', `${f.name} has ${d.frac.length} decimals; at most ${f.scale} are allowed`);
  }
  if (!inRange(f, d)) return broken('out-of-range', `${f.name} must be ${describeRange(f)}`);
  return formatDecimal(d);
}

function integer(f: FieldDef, v: unknown): Parsed {
  let n: number | null = null;
  if (typeof v === 'number') n = Number.isInteger(v) ? v : null;
  else if (typeof v === 'string' && v.length <= 9 && /^[0-9]+$/.test(v)) n = Number(v);
  else if (typeof v === 'string') {
    // "5.0" is 5: a JSON 5.0 cannot be told from 5, so the text form behaves the same.
    const m = INTEGER_TEXT.exec(v);
    if (m) n = m[1]!.replace(/^[+-]?0*/, '').length > 15 ? (m[1]!.startsWith('-') ? -Infinity : Infinity) : Number(m[1]);
  }
  if (n === null) return broken('type-error', `${f.name} must be a whole number, not ${JSON.stringify(v)}`);
  if ((f.min !== undefined && n < f.min) || (f.max !== undefined && n > f.max)) {
    return broken('out-of-range', `${f.name} must be between ${f.min ?? '-∞'} and ${f.max ?? '∞'}`);
  }
  return n === 0 ? 0 : n; // no -0
}

const canonicalSets = new WeakMap<FieldDef, Map<string, string[]>>();

/**
 * The items of a set cell already in canonical form ("G2C|G2B": allowed values, in their
 * order, each once), or undefined. Nearly every cell is: one lookup then replaces a
 * split, a trim and a search per item (0.3 s of a million services). The arrays are
 * shared between records, so frozen.
 */
function canonicalSet(f: FieldDef, v: string): string[] | undefined {
  let forms = canonicalSets.get(f);
  if (!forms) {
    forms = new Map();
    const allowed = f.values ?? [];
    if (allowed.length <= 8) {
      for (let bits = 1; bits < 1 << allowed.length; bits++) {
        const set = Object.freeze(allowed.filter((_, k) => bits & (1 << k))) as string[];
        forms.set(set.join(ITEM_SEPARATOR), set);
      }
    }
    canonicalSets.set(f, forms);
  }
  return forms.get(v);
}

/** Parses a present (normalized, non-null) value of field f. */
export function parseValue(f: FieldDef, v: unknown): Parsed {
  switch (f.type) {
    case 'identifier': {
      const s = asText(f, v);
      if (typeof s !== 'string') return s;
      if (s.length < IDENTIFIER_MIN || s.length > IDENTIFIER_MAX || !IDENTIFIER_PATTERN.test(s)) {
        return broken('pattern-mismatch',
          `${f.name} ${s} is not a valid code: use ${IDENTIFIER_MIN}–${IDENTIFIER_MAX} capital Latin letters and digits, in groups joined by single dashes, starting with a letter (like MOF-01)`);
      }
      return s;
    }
    case 'text': {
      const s = asText(f, v);
      if (typeof s !== 'string') return s;
      if (f.maxLength !== undefined) {
        const n = charCount(s, f.maxLength);
        if (n > f.maxLength) return broken('out-of-range', `${f.name} is ${n} characters long; at most ${f.maxLength} are allowed`);
      }
      return s;
    }
    case 'appid': {
      const s = asText(f, v);
      if (typeof s !== 'string') return s;
      const max = f.maxLength ?? APPLICATION_ID_MAX;
      if (s.length > max) return broken('out-of-range', `${f.name} is ${s.length} characters long; at most ${max} are allowed`);
      if (!APPLICATION_ID_PATTERN.test(s)) {
        return broken('pattern-mismatch', `${f.name} ${s} is not a valid application number: use Latin letters, digits and . _ / -, starting with a letter or digit`);
      }
      return s;
    }
    case 'enum': {
      const allowed = f.values ?? [];
      if (typeof v !== 'string' || !allowed.includes(v)) return broken('enum-mismatch', `${f.name} must be one of: ${allowed.join(', ')}`);
      return v;
    }
    case 'set': {
      const known = typeof v === 'string' ? canonicalSet(f, v) : undefined;
      if (known) return known;
      const list = items(f, v);
      if (!Array.isArray(list)) return list;
      const allowed = f.values ?? [];
      // A bit per allowed value: duplicates collapse and the order of `values` comes free.
      let bits = 0;
      let unknown: string[] | null = null;
      for (const x of list) {
        const k = allowed.indexOf(x);
        if (k === -1) (unknown ??= []).push(x);
        else bits |= 1 << k;
      }
      if (unknown) {
        return broken('enum-mismatch', `${f.name} has ${unknown.join(', ')}, but each value must be one of: ${allowed.join(', ')}`);
      }
      if (list.length === 1) return list;
      const out: string[] = [];
      for (let k = 0; k < allowed.length; k++) if (bits & (1 << k)) out.push(allowed[k]!);
      return out.length ? out : null;
    }
    case 'list': {
      const list = items(f, v);
      if (!Array.isArray(list)) return list;
      if (f.itemMaxLength !== undefined) {
        for (let i = 0; i < list.length; i++) {
          const n = charCount(list[i]!, f.itemMaxLength);
          if (n > f.itemMaxLength) {
            return broken('out-of-range', `item ${i + 1} of ${f.name} is ${n} characters long; at most ${f.itemMaxLength} are allowed`);
          }
        }
      }
      return list.length ? list : null;
    }
    case 'decimal':
      return decimal(f, v);
    case 'integer':
      return integer(f, v);
    case 'date':
      if (typeof v !== 'string' || !realDate(v)) {
        return broken('type-error', `${f.name} must be a real date written YYYY-MM-DD, not ${JSON.stringify(v)}`);
      }
      return v;
    case 'timestamp': {
      // Already canonical (as every export writes it): itself, without a Date and its text.
      if (typeof v === 'string' && isCanonicalInstant(v)) return v;
      // Date.parse rolls 2026-02-30 over to March 2 and 24:00 to the next day: a time that
      // names no real moment of its date is an error, never silently another date.
      const t = typeof v === 'string' && /^[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):/.test(v) && realDate(v.slice(0, 10)) ? Date.parse(v) : NaN;
      if (Number.isNaN(t)) return broken('type-error', `${f.name} must be an ISO 8601 time like 2026-01-31T08:00:00.000Z`);
      return new Date(t).toISOString();
    }
    case 'tin': {
      const s = asText(f, v);
      if (typeof s !== 'string') return s;
      if (!TIN_PATTERN.test(s)) return broken('pattern-mismatch', `${f.name} must be exactly 9 digits (the STIR tax number), not ${s}`);
      return s;
    }
    case 'url': {
      const s = asText(f, v);
      if (typeof s !== 'string') return s;
      if (!URL_PATTERN.test(s)) return broken('pattern-mismatch', `${f.name} must be a web address starting with https:// or http://`);
      return s;
    }
    case 'email': {
      const s = asText(f, v);
      if (typeof s !== 'string') return s;
      if (!EMAIL_PATTERN.test(s)) return broken('pattern-mismatch', `${f.name} ${s} is not an e-mail address`);
      return s;
    }
    case 'phone': {
      const s = asText(f, v);
      if (typeof s !== 'string') return s;
      // Spaces and dashes are how people write numbers; they are not stored.
      const compact = s.replace(/[\s-]/g, '');
      if (!PHONE_PATTERN.test(compact)) return broken('pattern-mismatch', `${f.name} must be +998 followed by 9 digits, like +998 71 123-45-67`);
      return compact;
    }
  }
}

// Byte strings (text/utf8-bytes.ts): the same reading of a value, on the fast path of import
// and validate. Each function either returns what its counterpart above returns for the
// decoded text — as a byte string — or throws NEEDS_TEXT when only the decoded text can
// tell (white space outside ASCII at an edge, a text longer in bytes than its limit in
// characters, a set not in canonical form, and the agency fields tin, url, email and
// phone, which services do not have and some of whose checks match white space beyond
// ASCII). The caller then checks the decoded record with checkRecord. test/unit/utf8-bytes.test.ts compares the two on tricky text.

/** Thrown (not an Error: no stack to capture) when a byte string must be decoded first. */
const ASCII = /^[\x00-\x7f]*$/;

export const NEEDS_TEXT: unique symbol = Symbol('needs the decoded text');

export function normalizeBytes(raw: unknown): unknown {
  if (typeof raw !== 'string') return normalize(raw);
  const t = trimBytes(raw);
  if (t === null) throw NEEDS_TEXT;
  return t === '' ? null : t;
}

export function parseValueBytes(f: FieldDef, v: unknown): Parsed {
  switch (f.type) {
    case 'identifier':
    case 'enum':
    case 'decimal':
    case 'integer':
    case 'date':
      // ASCII patterns: a byte string passes exactly when its text does, and what they
      // return (the value itself, or a canonical number) is then ASCII too.
      return parseValue(f, v);
    case 'appid':
    case 'timestamp': {
      // ASCII patterns too, but a broken value's message or length could differ from its
      // text's (a byte string is longer than its text beyond ASCII): those go decoded.
      if (typeof v !== 'string' || !ASCII.test(v)) throw NEEDS_TEXT;
      const p = parseValue(f, v);
      if (isBroken(p)) throw NEEDS_TEXT;
      return p;
    }
    case 'text':
      // A byte string is at least as long as its text in code points.
      if (typeof v !== 'string' || (f.maxLength !== undefined && v.length > f.maxLength)) throw NEEDS_TEXT;
      return v;
    case 'set': {
      const known = typeof v === 'string' ? canonicalSet(f, v) : undefined;
      if (known) return known;
      throw NEEDS_TEXT;
    }
    case 'list': {
      if (typeof v !== 'string') throw NEEDS_TEXT;
      const parts = v.indexOf(ITEM_SEPARATOR) === -1 ? [v] : v.split(ITEM_SEPARATOR);
      const out: string[] = [];
      for (const p of parts) {
        const t = trimBytes(p);
        if (t === null || (f.itemMaxLength !== undefined && t.length > f.itemMaxLength)) throw NEEDS_TEXT;
        if (t !== '') out.push(t);
      }
      return out.length ? out : null;
    }
    default:
      throw NEEDS_TEXT;
  }
}
