import crypto from 'node:crypto';
import { canonicalDecimal } from '../../records/db-row.js';
import { decimalFromNumber, formatDecimal } from '../../records/decimal.js';
import { ENTITIES, type EntityName, type FieldDef, type RecordValues } from '../../records/fields.js';
import { canonicalBytes, type Json } from './canonical-json.js';

// An item of SPEC §9: the record as an object of every field of §1 (updated_at included),
// built from the one field table. No value is null: a field with no value is left out of
// the object, and so is an empty set or list — the database and every export already treat
// an empty set as "no value" (db-row.ts), so keeping `[]` would give one record two hashes.
// Decimals are strings in their shortest exact form ("1500", "0.5"); integers are numbers.

export type Item = Record<string, Json>;

function itemValue(f: FieldDef, v: unknown): Json | undefined {
  if (v === null || v === undefined) return undefined;
  switch (f.type) {
    case 'set':
    case 'list': {
      if (!Array.isArray(v)) throw new Error(`${f.name} is not a list`);
      return v.length ? v.map((x) => String(x)) : undefined;
    }
    case 'decimal':
      if (typeof v === 'number') {
        const d = decimalFromNumber(v);
        if (!d) throw new Error(`${f.name} is not a decimal: ${v}`);
        return formatDecimal(d);
      }
      return canonicalDecimal(String(v));
    case 'integer': {
      const n = typeof v === 'number' ? v : Number(v);
      if (!Number.isSafeInteger(n)) throw new Error(`${f.name} is not an integer: ${String(v)}`);
      return n;
    }
    case 'timestamp':
      return v instanceof Date ? v.toISOString() : String(v);
    default:
      return String(v);
  }
}

/**
 * The item of a record. `values` is a record's canonical values (fields.ts) or an object
 * of a JSON/NDJSON export (numbers for decimals, null for no value): both give the same item.
 */
export function itemOf(entity: EntityName, values: RecordValues | Record<string, unknown>): Item {
  const out: Item = {};
  for (const f of ENTITIES[entity].fields) {
    const v = itemValue(f, (values as Record<string, unknown>)[f.name]);
    if (v !== undefined) out[f.name] = v;
  }
  return out;
}

export function itemBytes(item: Item): Buffer {
  return canonicalBytes(item);
}

export const ITEM_HASH_PATTERN = /^sha-256:[0-9a-f]{64}$/;

/** `sha-256:` and the lowercase hex SHA-256 of the item's bytes. */
export function itemHash(bytes: Uint8Array): string {
  return `sha-256:${crypto.createHash('sha256').update(bytes).digest('hex')}`;
}
