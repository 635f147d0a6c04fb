import os from 'node:os';
import { redact } from '../config/redact.js';
import type { Db } from '../db/connect.js';
import { ConflictError, EgovError, InterruptedError, NotConfirmedError } from '../errors.js';
import { appendAudit, hasAuditChain, type StoredAudit } from './audit-chain.js';
import { auditRowFromDb, wellFormed, type AuditRow, type Outcome } from './audit-row.js';

export type { AuditRow, Outcome } from './audit-row.js';

// The audit trail of SPEC §7. One row per command, written when it ends — so the tool
// never updates a row — and written on its own connection, outside the command's
// transaction, so that a rolled-back import is still on record.

export interface AuditEntry {
  command: string;
  args: string[];
  target: string;
  started_at: string;
  finished_at: string;
  outcome: Outcome;
  exit_code: number;
  counts: Record<string, unknown>;
  message?: string | null;
}

export function actor(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER || process.env.LOGNAME || String(process.getuid?.() ?? 'unknown');
  }
}

export function outcomeOf(err: unknown): Outcome {
  if (!err) return 'ok';
  if (err instanceof InterruptedError) return 'interrupted';
  if (err instanceof NotConfirmedError) return 'refused';
  return 'failed';
}

export function exitCodeOf(err: unknown): number {
  return err instanceof EgovError ? err.exitCode : err ? 1 : 0;
}

/**
 * Writes one audit row. Returns a reason instead of throwing when the row cannot be
 * written (no audit table yet, a read-only user): the command's own outcome matters more.
 */
export async function writeAudit(db: Db, entry: AuditEntry): Promise<string | null> {
  try {
    if (!(await db.knex.schema.hasTable('audit_log'))) return 'the audit table does not exist (run egovctl migrate latest)';
    const row: StoredAudit = {
      // as the database gives them back, so that the hash is of the values read later
      started_at: new Date(entry.started_at).toISOString(),
      finished_at: new Date(entry.finished_at).toISOString(),
      command: wellFormed(entry.command),
      args: redact(JSON.stringify(entry.args.map(wellFormed))),
      actor: wellFormed(actor()),
      host: wellFormed(os.hostname()),
      target: wellFormed(redact(entry.target)),
      outcome: entry.outcome,
      exit_code: entry.exit_code,
      counts: JSON.stringify(entry.counts ?? {}),
      message: entry.message ? wellFormed(redact(entry.message).slice(0, 2000)) : null,
    };
    // a schema from before the chain (migrate down, or a run that migrates it): a plain row
    if (await hasAuditChain(db.knex)) await appendAudit(db, row);
    else await db.knex('audit_log').insert(row);
    return null;
  } catch (err) {
    return redact((err as Error).message ?? String(err));
  }
}

export interface AuditQuery {
  limit?: number;
  since?: string;
}

export async function listAudit(db: Db, q: AuditQuery = {}): Promise<AuditRow[]> {
  if (!(await db.knex.schema.hasTable('audit_log'))) {
    throw new ConflictError(`target ${db.target.name} has no audit table yet`, { details: ['- run: egovctl migrate latest'] });
  }
  let query = db.knex('audit_log').select('*').orderBy('id', 'desc').limit(q.limit ?? 50);
  if (q.since) query = query.where('started_at', '>=', q.since);
  const rows = (await query) as Array<Record<string, unknown>>;
  return rows.map(auditRowFromDb);
}

/**
 * The fields of `audit list --json`: SPEC §8's, in its order, then exit_code, message and
 * the chain's prev and hash (SPEC §9) — everything a third party needs to recompute each hash.
 */
export const AUDIT_JSON_FIELDS = ['id', 'started_at', 'finished_at', 'command', 'args', 'actor', 'host', 'target', 'outcome', 'counts', 'exit_code', 'message', 'prev', 'hash'] as const;

export function auditJson(row: AuditRow): Record<(typeof AUDIT_JSON_FIELDS)[number], unknown> {
  const out = {} as Record<(typeof AUDIT_JSON_FIELDS)[number], unknown>;
  for (const f of AUDIT_JSON_FIELDS) out[f] = row[f];
  return out;
}
