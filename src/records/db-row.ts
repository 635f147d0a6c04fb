import { formatDecimal, parseDecimal } from './decimal.js';
import { ENTITIES, ITEM_SEPARATOR, type EntityName, type FieldDef, type FieldValue, type RecordValues } from './fields.js';

// The one translation between a record's canonical values (fields.ts FieldValue) and a
// database row, for both dialects: sets as "G2C|G2B", lists as JSON text, decimals exact.

/** Shortest exact decimal form of a decimal string: "1500.00" → "1500", "-0.50" → "-0.5". */
export function canonicalDecimal(text: string): string {
  const d = parseDecimal(text.trim());
  if (!d) throw new Error(`not a decimal: ${text}`);
  return formatDecimal(d);
}

function toRowValue(f: FieldDef, v: FieldValue): unknown {
  if (v === null || v === undefined) return null;
  switch (f.type) {
    case 'set':
      return (v as string[]).length ? (v as string[]).join(ITEM_SEPARATOR) : null;
    case 'list':
      return (v as string[]).length ? JSON.stringify(v) : null;
    default:
      return v;
  }
}

function fromRowValue(f: FieldDef, v: unknown): FieldValue {
  if (v === null || v === undefined) return null;
  switch (f.type) {
    case 'set':
      return String(v) === '' ? null : String(v).split(ITEM_SEPARATOR);
    case 'list': {
      const items = JSON.parse(String(v)) as string[];
      return items.length ? items : null;
    }
    case 'decimal':
      return canonicalDecimal(String(v));
    case 'integer':
      return Number(v);
    case 'timestamp':
      return v instanceof Date ? v.toISOString() : String(v);
    default:
      return String(v);
  }
}

/** Canonical values → a row for knex (managed fields left out: the caller sets updated_at). */
export function toRow(entity: EntityName, values: RecordValues): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const f of ENTITIES[entity].fields) {
    if (f.managed) continue;
    row[f.name] = toRowValue(f, values[f.name] ?? null);
  }
  return row;
}

/** A row as read by knex (either dialect) → canonical values, every field present. */
export function fromRow(entity: EntityName, row: Record<string, unknown>): RecordValues {
  const out: RecordValues = {};
  for (const f of ENTITIES[entity].fields) out[f.name] = fromRowValue(f, row[f.name]);
  return out;
}

/**
 * A record as a JSON object: every field in SPEC order, null where there is no value;
 * sets and lists as arrays; decimals and integers as JSON numbers written in their
 * shortest exact form (SPEC §2). One line of NDJSON is exactly this text.
 */
export function toJsonText(entity: EntityName, values: RecordValues): string {
  const parts: string[] = [];
  for (const f of ENTITIES[entity].fields) {
    const v = values[f.name] ?? null;
    let text: string;
    if (v === null) text = 'null';
    else if (f.type === 'decimal') text = canonicalDecimal(String(v));
    else text = JSON.stringify(v);
    parts.push(`${JSON.stringify(f.name)}:${text}`);
  }
  return `{${parts.join(',')}}`;
}
