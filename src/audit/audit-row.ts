import crypto from 'node:crypto';
import { canonicalJson, type Json } from '../registry/log/canonical-json.js';

// One audit row as `audit list --json` shows it, and its place in the chain (SPEC §9).
// The same mapping from the stored columns serves the listing, the hash written with the
// row, the migration that chains older rows and the verifier: so a third party holding
// `audit list --json` recomputes every hash from exactly what it was shown.

export type Outcome = 'ok' | 'failed' | 'refused' | 'interrupted';

export interface AuditRow {
  id: number;
  started_at: string;
  finished_at: string;
  command: string;
  args: Json;
  actor: string;
  host: string;
  target: string;
  outcome: Outcome;
  counts: Json;
  exit_code: number;
  message: string | null;
  /** the hash of the row before this one in id order; null for the first row */
  prev: string | null;
  /** null only for a row written without the chain (before migration 20261201000002, or by plain SQL) */
  hash: string | null;
}

/** The fields the hash covers, in the order `audit list --json` shows them: SPEC §8's, then exit_code, message, prev. */
export const AUDIT_HASHED_FIELDS = ['id', 'started_at', 'finished_at', 'command', 'args', 'actor', 'host', 'target', 'outcome', 'counts', 'exit_code', 'message', 'prev'] as const;

// A lone surrogate has no UTF-8 form: neither database can store it, and canonical JSON
// refuses it. U+FFFD stands in, as a UTF-8 encoder would write. NUL is refused by
// PostgreSQL's text type.
const ILL_FORMED = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\0/g;

export function wellFormed(s: string): string {
  return s.replace(ILL_FORMED, '\uFFFD');
}

function wellFormedJson(v: unknown): Json {
  if (typeof v === 'string') return wellFormed(v);
  if (Array.isArray(v)) return v.map(wellFormedJson);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [wellFormed(k), wellFormedJson(x)]));
  return v as Json;
}

/** A stored JSON column; text that is not JSON (written by another client) is shown, and hashed, as the text. */
function jsonColumn(v: unknown, empty: Json): Json {
  if (v === null || v === undefined) return empty;
  try {
    return wellFormedJson(JSON.parse(String(v)));
  } catch {
    return wellFormed(String(v));
  }
}

function iso(v: unknown): string {
  return v instanceof Date ? v.toISOString() : String(v);
}

/** A row of the audit_log table as the tool shows it. */
export function auditRowFromDb(r: Record<string, unknown>): AuditRow {
  return {
    id: Number(r.id),
    started_at: iso(r.started_at),
    finished_at: iso(r.finished_at),
    command: String(r.command),
    args: jsonColumn(r.args, []),
    actor: String(r.actor),
    host: String(r.host),
    target: String(r.target),
    outcome: r.outcome as Outcome,
    counts: jsonColumn(r.counts, {}),
    exit_code: r.exit_code === null || r.exit_code === undefined ? 0 : Number(r.exit_code),
    message: r.message === null || r.message === undefined ? null : String(r.message),
    prev: r.prev === null || r.prev === undefined ? null : String(r.prev),
    hash: r.hash === null || r.hash === undefined ? null : String(r.hash),
  };
}

/** The object the hash is of: every shown field but `hash` itself. */
export function hashedObject(row: Omit<AuditRow, 'hash'> | AuditRow): { [k: string]: Json } {
  const out: { [k: string]: Json } = {};
  for (const f of AUDIT_HASHED_FIELDS) out[f] = row[f] as Json;
  return out;
}

/** `sha-256:` and the lowercase hex SHA-256 of the row's JCS object (SPEC §9). */
export function auditHash(row: Omit<AuditRow, 'hash'> | AuditRow): string {
  return `sha-256:${crypto.createHash('sha256').update(canonicalJson(hashedObject(row)), 'utf8').digest('hex')}`;
}

/**
 * Whether `row` follows the row before it (whose hash is `before`; null when `row` is to
 * be the first of the chain, undefined when unknown — an export that starts mid-chain).
 * Returns why not, or null.
 */
export function chainBreak(row: AuditRow, before: string | null | undefined, beforeId: number | null): { field: 'prev' | 'hash'; value: string | null; why: string } | null {
  if (row.hash === null) return { field: 'hash', value: null, why: `audit row ${row.id} has no hash: it was written outside the tool (plain SQL), not appended to the chain` };
  if (before !== undefined && row.prev !== before) {
    const expected = before === null ? 'null (it is the first row)' : `the hash of row ${beforeId}`;
    return { field: 'prev', value: row.prev, why: `audit row ${row.id} does not follow ${beforeId === null ? 'the start of the chain' : `row ${beforeId}`}: its prev is ${row.prev ?? 'null'}, not ${expected} — a row before it was deleted, inserted or moved out of order` };
  }
  const h = auditHash(row);
  if (h !== row.hash) return { field: 'hash', value: row.hash, why: `audit row ${row.id} was edited (or its id changed): its fields hash to ${h}, not to its stored hash ${row.hash}` };
  return null;
}
