import type { Knex } from 'knex';
import { dbTimeouts, type Db } from '../db/connect.js';
import { ConflictError } from '../errors.js';
import { logIssue, type LogIssue } from '../registry/log/log-issues.js';
import { auditHash, auditRowFromDb, chainBreak, type AuditRow } from './audit-row.js';

// The audit trail as a hash chain (SPEC §9): each row stores the hash of the row before it
// (`prev`) and its own `hash`, so that a row edited, deleted or slipped in with plain SQL —
// after a superuser drops the append-only trigger — breaks the chain at that row.

/** pg_advisory_xact_lock key of the audit chain: "egovaudt" in ASCII (the migrator's is "egovctl"). */
export const AUDIT_LOCK_KEY = '7306931474663826548';

/** The columns of an audit row as stored (args and counts as JSON text). */
export interface StoredAudit {
  started_at: string;
  finished_at: string;
  command: string;
  args: string;
  actor: string;
  host: string;
  target: string;
  outcome: string;
  exit_code: number;
  counts: string;
  message: string | null;
}

/** The end of the chain: how many rows, and the hash of the last (null when empty). */
export interface AuditHead {
  rows: number;
  hash: string | null;
}

export async function hasAuditChain(knex: Knex): Promise<boolean> {
  return knex.schema.hasColumn('audit_log', 'hash');
}

// The row is the last thing a command does: it waits for another command's append at most
// the lock timeout (--lock-timeout), and never for ever, even when that is off (0).
function lockWaitMs(): number {
  return (dbTimeouts().lock || 60) * 1000;
}

function chained(row: StoredAudit, id: number, prev: string | null): StoredAudit & { id: number; prev: string; hash: string } {
  const withId = { ...row, id, prev };
  return { ...withId, hash: auditHash(auditRowFromDb({ ...withId, hash: null })) } as StoredAudit & { id: number; prev: string; hash: string };
}

/**
 * Appends one row to the chain. Appends are serialised — PostgreSQL: a transaction-scoped
 * advisory lock (it needs no privilege beyond INSERT, unlike LOCK TABLE in a mode that
 * excludes other inserts); SQLite: BEGIN IMMEDIATE — so that the last row read is the one
 * the new row follows and the chain has one order. The id is explicit, since the hash
 * covers it and the row can never be updated afterwards. Returns the row as stored.
 */
export async function appendAudit(db: Db, row: StoredAudit): Promise<{ id: number; hash: string }> {
  const lock = { table: 'audit_log', id: 'id', columns: ['id', 'hash'], lockKey: AUDIT_LOCK_KEY, waitMs: lockWaitMs() };
  const out = await db.adapter.locks.appendAfterLast(db.knex, lock, (last) => chained(row, last ? Number(last.id) + 1 : 1, last ? (last.hash as string | null) : null));
  return { id: out.id, hash: out.hash };
}

const PAGE = 1000;

/** Rows in id order, a page at a time (never the whole trail in memory). */
async function* chainRows(knex: Knex, pageSize: number): AsyncGenerator<AuditRow> {
  let after = -Infinity;
  for (;;) {
    let q = knex('audit_log').select('*').orderBy('id', 'asc').limit(pageSize);
    if (after !== -Infinity) q = q.where('id', '>', after);
    const page = (await q) as Array<Record<string, unknown>>;
    for (const r of page) yield auditRowFromDb(r);
    if (page.length < pageSize) return;
    after = Number(page[page.length - 1]!.id);
  }
}

function broken(row: { id: number } | null, field: string | null, value: string | null, message: string): LogIssue {
  return logIssue('audit-chain-broken', null, row ? String(row.id) : null, field, value, message);
}

/**
 * Walks the chain and returns the issue (SPEC §3 shape, code audit-chain-broken) of the
 * first row that does not follow, or none. With `checkpoints` (the `audit <rows> <hash>`
 * lines of published checkpoints), the chain must also pass through each: its row number
 * `rows` has that hash — which catches what the chain alone cannot, a rewrite of every row
 * from some row on.
 */
export async function verifyAuditChain(db: Db, opts: { checkpoints?: AuditHead[]; /** rows read per query (tests use a small one) */ pageSize?: number } = {}): Promise<LogIssue[]> {
  if (!(await db.knex.schema.hasTable('audit_log'))) return [];
  if (!(await hasAuditChain(db.knex))) throw new ConflictError(`target ${db.target.name}: the audit trail is not chained yet`, { details: ['- run: egovctl migrate latest'] });
  return verifyRows(chainRows(db.knex, opts.pageSize ?? PAGE), opts.checkpoints ?? [], true);
}

async function verifyRows(rows: AsyncIterable<AuditRow> | Iterable<AuditRow>, checkpoints: AuditHead[], fromStart: boolean): Promise<LogIssue[]> {
  const wanted = new Map<number, string | null>();
  for (const c of checkpoints) if (c.rows > 0) wanted.set(c.rows, c.hash);
  let n = 0;
  let before: string | null | undefined = fromStart ? null : undefined;
  let beforeId: number | null = null;
  for await (const row of rows) {
    n++;
    const b = chainBreak(row, before, beforeId);
    if (b) return [broken(row, b.field, b.value, b.why)];
    if (fromStart && wanted.has(n) && wanted.get(n) !== row.hash) {
      return [broken(row, 'hash', row.hash, `audit row ${row.id} is row ${n} of the chain, whose hash a checkpoint gives as ${wanted.get(n)}, not ${row.hash}: the chain was rewritten from this row or before`)];
    }
    before = row.hash;
    beforeId = row.id;
  }
  if (fromStart) {
    const beyond = [...wanted.keys()].filter((k) => k > n).sort((a, b) => a - b)[0];
    if (beyond !== undefined) return [broken(null, null, null, `a checkpoint counts ${beyond} audit rows, but the chain has ${n}: rows were deleted from its end`)];
  }
  return [];
}

/** The checkpoint's `audit <rows> <head hash>` (SPEC §9). */
export async function auditHead(db: Db): Promise<AuditHead> {
  if (!(await db.knex.schema.hasTable('audit_log'))) return { rows: 0, hash: null };
  if (!(await hasAuditChain(db.knex))) throw new ConflictError(`target ${db.target.name}: the audit trail is not chained yet`, { details: ['- run: egovctl migrate latest'] });
  // one statement, so that count and last row are of the same snapshot
  const r = (await db.knex.raw('select (select count(*) from audit_log) as n, (select hash from audit_log order by id desc limit 1) as hash')) as unknown;
  const row = db.adapter.types.rows(r)[0]!;
  return { rows: Number(row.n), hash: row.hash === null || row.hash === undefined ? null : String(row.hash) };
}

/**
 * Checks an `audit list --json` document offline: every row re-hashes to its hash and each
 * follows the one before it in id order. The rows must be a contiguous stretch of the
 * chain (`--limit`, not `--since`, which selects by start time); a stretch whose first row
 * has prev null is the chain's start.
 */
export async function verifyAuditExport(doc: unknown): Promise<LogIssue[]> {
  if (!Array.isArray(doc)) return [broken(null, null, null, 'an audit list --json document is an array of rows')];
  const rows: AuditRow[] = [];
  for (const x of doc) {
    if (!x || typeof x !== 'object' || !Number.isInteger((x as { id?: unknown }).id)) return [broken(null, null, null, 'a row of the audit document has no integer id')];
    rows.push(x as AuditRow);
  }
  rows.sort((a, b) => a.id - b.id);
  return verifyRows(rows, [], false);
}
