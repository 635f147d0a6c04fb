import { REGISTRY_ENTITY_NAMES, type EntityName } from '../../records/fields.js';
import { canonicalBytes, canonicalJson } from './canonical-json.js';
import { ITEM_HASH_PATTERN } from './item.js';

// An entry of SPEC §9: {"actor","entity","item","key","number","op","timestamp"}, RFC 8785
// bytes. The leaf of the Merkle tree is these bytes, so the reader insists on them being
// canonical: two spellings of one entry would be two different leaves.

export type EntryOp = 'put' | 'delete';

export interface Entry {
  number: number;
  timestamp: string;
  actor: string;
  entity: EntityName;
  op: EntryOp;
  key: string;
  /** the item hash; null for a delete */
  item: string | null;
}

export const ENTRY_FIELDS = ['actor', 'entity', 'item', 'key', 'number', 'op', 'timestamp'] as const;
const TIMESTAMP = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$/;

function entryObject(e: Entry) {
  return { actor: e.actor, entity: e.entity, item: e.item, key: e.key, number: e.number, op: e.op, timestamp: e.timestamp };
}

export function entryText(e: Entry): string {
  return canonicalJson(entryObject(e));
}

export function entryBytes(e: Entry): Buffer {
  return canonicalBytes(entryObject(e));
}

/** What is wrong with an entry's values, or null. Used by the writer and the reader alike. */
export function entryProblem(e: Record<string, unknown>): string | null {
  const keys = Object.keys(e);
  const extra = keys.filter((k) => !(ENTRY_FIELDS as readonly string[]).includes(k));
  if (extra.length) return `unknown member ${JSON.stringify(extra[0])}`;
  const missing = ENTRY_FIELDS.filter((k) => !keys.includes(k));
  if (missing.length) return `no "${missing[0]}"`;
  if (typeof e.number !== 'number' || !Number.isSafeInteger(e.number) || e.number < 1) return '"number" is not a whole number of 1 or more';
  if (typeof e.timestamp !== 'string' || !TIMESTAMP.test(e.timestamp) || Number.isNaN(Date.parse(e.timestamp))) return '"timestamp" is not an ISO 8601 UTC time with milliseconds';
  if (typeof e.actor !== 'string' || e.actor === '') return '"actor" is not a non-empty string';
  if (typeof e.entity !== 'string' || !(REGISTRY_ENTITY_NAMES as readonly string[]).includes(e.entity)) return `"entity" is not one of ${REGISTRY_ENTITY_NAMES.join(', ')}`;
  if (typeof e.key !== 'string' || e.key === '') return '"key" is not a non-empty string';
  if (e.op === 'put') {
    if (typeof e.item !== 'string' || !ITEM_HASH_PATTERN.test(e.item)) return '"item" of a put is not sha-256:<64 lowercase hex digits>';
  } else if (e.op === 'delete') {
    if (e.item !== null) return '"item" of a delete is not null';
  } else return '"op" is neither put nor delete';
  return null;
}

/** Parses entry text (not checking that it is canonical: see isCanonicalEntry); the error says what is wrong. */
export function parseEntry(text: string): { entry: Entry } | { error: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { error: 'the entry is not JSON' };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { error: 'the entry is not a JSON object' };
  const problem = entryProblem(v as Record<string, unknown>);
  if (problem) return { error: `the entry is malformed: ${problem}` };
  return { entry: v as Entry };
}

/** Are these bytes the entry's one canonical form? (Two spellings would be two leaves.) */
export function isCanonicalEntry(e: Entry, bytes: Uint8Array): boolean {
  return entryBytes(e).equals(bytes);
}
