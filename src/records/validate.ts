// The per-record rules of SPEC §3: one raw record in, its canonical values and every
// issue out. Pure and database-free, so import, validate and tests share it.
import { closest } from '../text/closest.js';
import {
  ENTITIES, RECORD_RULES, fieldNames, inputFields, startsLikeFormula,
  type EntityName, type FieldDef, type FieldValue, type RecordValues,
} from './fields.js';
import { NEEDS_TEXT, isBroken, normalize, normalizeBytes, parseValue, parseValueBytes, valueText, type Parsed } from './field-values.js';
import { issue, type Issue } from './issues.js';
import type { SourceRecord } from './source-record.js';
import { decodeRecord, fromBytesValue } from '../text/utf8-bytes.js';

export interface CheckedRecord {
  line: number | null;
  record?: number;
  key: string | null;
  /** canonical typed values (see FieldValue in fields.ts), null when the record has errors */
  values: RecordValues | null;
  issues: Issue[];
}

export interface CheckOptions {
  /** YYYY-MM-DD; default today in UTC */
  today?: string;
  /** ISO 8601: the time of the import or validation, for notFuture (default: the clock when checked) */
  now?: string;
}

interface Plan {
  fields: readonly FieldDef[];
  /** builds the values object from values in field order, with one literal (see valuesMaker) */
  make: (values: FieldValue[]) => RecordValues;
  known: ReadonlySet<string>;
  knownList: readonly string[];
  noun: string;
  /** the field holding the record's code */
  key: string;
}

const plans = new Map<EntityName, Plan>();

function planFor(name: EntityName): Plan {
  let p = plans.get(name);
  if (!p) {
    const knownList = fieldNames(name);
    const fields = inputFields(name);
    p = { fields, make: valuesMaker(fields.map((f) => f.name)), known: new Set(knownList), knownList, noun: ENTITIES[name].noun, key: ENTITIES[name].key };
    plans.set(name, p);
  }
  return p;
}

/**
 * One object literal for every record's values, so that all have one hidden class:
 * assigning fields by name in a loop made V8 fall back to slow keyed stores. The names
 * come from the field table and are quoted with JSON.stringify.
 */
function valuesMaker(names: readonly string[]): (values: FieldValue[]) => RecordValues {
  const body = `return {${names.map((n, i) => `${JSON.stringify(n)}: v[${i}]`).join(', ')}};`;
  return new Function('v', body) as (values: FieldValue[]) => RecordValues;
}

let todayCache = '';
let todayUntil = 0;

/** Today's date in UTC, recomputed once a minute rather than for each of a million records. */
export function todayUtc(): string {
  const now = Date.now();
  if (now >= todayUntil) {
    todayCache = new Date(now).toISOString().slice(0, 10);
    todayUntil = now + 60_000;
  }
  return todayCache;
}

/** How values are read: as text, or as byte strings (text/utf8-bytes.ts). */
interface Reading {
  normalize: (raw: unknown) => unknown;
  parse: (f: FieldDef, v: unknown) => Parsed;
}

const TEXT: Reading = { normalize, parse: parseValue };
const BYTES: Reading = { normalize: normalizeBytes, parse: parseValueBytes };

function keyOf(read: Reading, raw: unknown): string | null {
  const v = read.normalize(raw);
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return null;
}

/** Does a value (text, or a JSON list of items) hold U+0000? */
function holdsNul(v: unknown): boolean {
  if (typeof v === 'string') return v.indexOf('\u0000') !== -1;
  if (Array.isArray(v)) return v.some((x) => typeof x === 'string' && x.indexOf('\u0000') !== -1);
  return false;
}

type RecordIn = { line: number | null; record?: number; fields: Record<string, unknown> };

export function checkRecord(entityName: EntityName, src: RecordIn, opts?: CheckOptions): CheckedRecord {
  return check(TEXT, entityName, src, opts);
}

/**
 * checkRecord of a record of byte strings (the fast path of import and validate,
 * text/utf8-bytes.ts), when that gives the same as checkRecord of its decoded text; null
 * when it might not — then decode the record and use checkRecord. The values are byte
 * strings; so are the issues' `key` and `value`.
 */
export function checkRecordBytes(entityName: EntityName, src: RecordIn, opts?: CheckOptions): CheckedRecord | null {
  try {
    return check(BYTES, entityName, src, opts);
  } catch (err) {
    if (err === NEEDS_TEXT) return null;
    throw err;
  }
}

export interface SourceChecked {
  checked: CheckedRecord;
  /** the record as checked: decoded unless it went as bytes */
  rec: SourceRecord;
  /** checked (and its values left) as byte strings */
  asBytes: boolean;
}

/**
 * The check of a record a reader gave, as byte strings when `bytes` (text/utf8-bytes.ts):
 * as bytes where checkRecordBytes is sure to agree with the text reading, finds no error
 * and `accept`, if given, takes the result (the warnings' key and value are then decoded;
 * their messages hold no text of the record); else decoded first and checked by checkRecord.
 */
export function checkSourceRecord(
  entityName: EntityName, rec: SourceRecord, bytes: boolean, opts?: CheckOptions, accept?: (c: CheckedRecord, rec: SourceRecord) => boolean,
): SourceChecked {
  if (bytes) {
    const c = checkRecordBytes(entityName, rec, opts);
    if (c !== null && c.values !== null && (accept === undefined || accept(c, rec))) {
      for (const i of c.issues) {
        i.key = fromBytesValue(i.key);
        i.value = fromBytesValue(i.value);
      }
      return { checked: c, rec, asBytes: true };
    }
    rec = decodeRecord(rec);
  }
  return { checked: check(TEXT, entityName, rec, opts), rec, asBytes: false };
}

function check(read: Reading, entityName: EntityName, src: RecordIn, opts?: CheckOptions): CheckedRecord {
  const plan = planFor(entityName);
  const rules = RECORD_RULES[entityName];
  const raw = src.fields;
  const key = keyOf(read, raw[plan.key]);
  const at = src.record === undefined ? { line: src.line, key } : { line: src.line, record: src.record, key };
  const issues: Issue[] = [];
  let failed = false;

  // A JSON object may carry any key; a CSV header was checked already.
  for (const name in raw) {
    if (!plan.known.has(name)) {
      const near = closest(name, plan.knownList);
      issues.push(issue('header-unknown-column', at, name, valueText(raw[name]),
        `${name} is not a field of ${entityName}${near ? `; the closest known name is ${near}` : ''}`));
      failed = true;
    }
  }

  const active = read.normalize(raw[rules.statusField]) === rules.activeStatus;
  const list: FieldValue[] = new Array(plan.fields.length);
  let bad: string[] | null = null; // fields with an error of their own

  for (let fi = 0; fi < plan.fields.length; fi++) {
    const f = plan.fields[fi]!;
    const given = raw[f.name];
    const v = read.normalize(given);
    if (v !== null && holdsNul(v)) {
      // U+0000 is valid UTF-8 (and a JSON \u0000), but no text: PostgreSQL refuses it in
      // text columns, so the import failed at the database with no line (issue 12).
      issues.push(issue('encoding-error', at, f.name, valueText(given)!.replaceAll('\u0000', '\\0'),
        `${f.name} holds the character U+0000 (NUL), which is not text and cannot be stored`));
      failed = true;
      (bad ??= []).push(f.name);
      list[fi] = null;
      continue;
    }
    let parsed = v === null ? null : read.parse(f, v);
    if (parsed !== null && isBroken(parsed)) {
      issues.push(issue(parsed.code, at, f.name, valueText(given), parsed.message));
      failed = true;
      (bad ??= []).push(f.name);
      parsed = null;
    } else if (parsed === null) {
      if (f.required === true) {
        issues.push(issue('missing-value', at, f.name, null, `${f.name} is required but empty`));
        failed = true;
        (bad ??= []).push(f.name);
      } else if (f.required === 'when-active' && active) {
        issues.push(issue('missing-legal-basis', at, f.name, null,
          `an active ${plan.noun} needs ${f.name} (${f.description})`));
        failed = true;
        (bad ??= []).push(f.name);
      } else if (f.translation) {
        issues.push(issue('missing-translation', at, f.name, null, `${f.name} (${f.description}) is empty`));
      }
    }
    list[fi] = parsed;
    if (f.freeText && parsed !== null) {
      const first = Array.isArray(parsed) ? parsed.find(startsLikeFormula) : startsLikeFormula(parsed as string) ? (parsed as string) : undefined;
      if (first !== undefined) {
        issues.push(issue('formula-like-value', at, f.name, first,
          `${f.name} starts with ${first[0]}, which a spreadsheet could run as a formula`));
      }
    }
  }

  const values = plan.make(list);
  if (rules.exclusive) {
    const set = rules.exclusive.filter((n) => values[n] !== null && values[n] !== undefined);
    if (set.length > 1) {
      const last = set[set.length - 1]!;
      issues.push(issue('fee-conflict', at, last, valueText(raw[last]),
        `${set.join(' and ')} are both set; a ${plan.noun} has only one of them`));
      failed = true;
    }
  }
  if (rules.period) {
    const [fromName, toName] = rules.period;
    const from = values[fromName];
    const to = values[toName];
    if (typeof from === 'string' && typeof to === 'string' && to < from) {
      issues.push(issue('date-order', at, toName, to, `${toName} ${to} is before ${fromName} ${from}`));
      failed = true;
    }
    if (active && typeof to === 'string' && to < (opts?.today ?? todayUtc())) {
      issues.push(issue('expired-but-active', at, toName, to,
        `${toName} ${to} is past but the ${plan.noun} is still ${rules.activeStatus}`));
    }
  }
  if (rules.decision) {
    const d = rules.decision;
    const status = values[rules.statusField];
    const at2 = values[d.field];
    const after = values[d.after];
    if (typeof status === 'string' && at2 === null && !bad?.includes(d.field) && d.decided.includes(status)) {
      issues.push(issue('missing-value', at, d.field, null, `${d.field} is required when ${rules.statusField} is ${status}`));
      failed = true;
    } else if (typeof status === 'string' && typeof at2 === 'string' && d.open.includes(status)) {
      issues.push(issue('date-order', at, d.field, at2, `${d.field} ${at2} is set, but an application that is ${status} has no decision yet: leave it empty`));
      failed = true;
    } else if (typeof at2 === 'string' && typeof after === 'string' && at2 < after) {
      // canonical ISO 8601 UTC with milliseconds: text order is time order
      issues.push(issue('date-order', at, d.field, at2, `${d.field} ${at2} is before ${d.after} ${after}`));
      failed = true;
    }
  }
  if (rules.notFuture) {
    const now = opts?.now ?? new Date().toISOString();
    for (const n of rules.notFuture) {
      const v = values[n];
      if (typeof v === 'string' && v > now) {
        issues.push(issue('out-of-range', at, n, v, `${n} ${v} is in the future (after ${now}, the time of this run)`));
        failed = true;
      }
    }
  }
  if (rules.expectOneOf && active && rules.expectOneOf.every((n) => values[n] === null && !bad?.includes(n))) {
    issues.push(issue('missing-fee', at, rules.expectOneOf[0]!, null,
      `an active ${plan.noun} has none of ${rules.expectOneOf.join(', ')}; set ${rules.expectOneOf[0]} to 0 when it is free`));
  }

  const out: CheckedRecord = { line: src.line, key, values: failed ? null : values, issues };
  if (src.record !== undefined) out.record = src.record;
  return out;
}
