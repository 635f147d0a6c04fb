import os from 'node:os';
import { redact } from '../config/redact.js';
import type { Db } from '../db/connect.js';
import { ConflictError, EgovError, InterruptedError, NotConfirmedError } from '../errors.js';

// The audit trail of SPEC §7. One row per command, written when it ends — so the tool
// never updates a row — and written on its own connection, outside the command's
// transaction, so that a rolled-back import is still on record.

export type Outcome = 'ok' | 'failed' | 'refused' | 'interrupted';

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

export interface AuditRow extends AuditEntry {
  id: number;
  actor: string;
  host: string;
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
    await db.knex('audit_log').insert({
      started_at: entry.started_at,
      finished_at: entry.finished_at,
      command: entry.command,
      args: redact(JSON.stringify(entry.args)),
      actor: actor(),
      host: os.hostname(),
      target: redact(entry.target),
      outcome: entry.outcome,
      exit_code: entry.exit_code,
      counts: JSON.stringify(entry.counts ?? {}),
      message: entry.message ? redact(entry.message).slice(0, 2000) : null,
    });
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
  return rows.map((r) => ({
    id: Number(r.id),
    started_at: iso(r.started_at),
    finished_at: iso(r.finished_at),
    command: String(r.command),
    args: JSON.parse(String(r.args)) as string[],
    actor: String(r.actor),
    host: String(r.host),
    target: String(r.target),
    outcome: r.outcome as Outcome,
    exit_code: r.exit_code === null || r.exit_code === undefined ? 0 : Number(r.exit_code),
    counts: JSON.parse(String(r.counts ?? '{}')) as Record<string, unknown>,
    message: (r.message as string | null) ?? null,
  }));
}

function iso(v: unknown): string {
  return v instanceof Date ? v.toISOString() : String(v);
}

/** The fields of SPEC §8 `audit list`, in its order (exit_code and message stay in the human view). */
export const AUDIT_JSON_FIELDS = ['id', 'started_at', 'finished_at', 'command', 'args', 'actor', 'host', 'target', 'outcome', 'counts'] as const;

export function auditJson(row: AuditRow): Record<(typeof AUDIT_JSON_FIELDS)[number], unknown> {
  const out = {} as Record<(typeof AUDIT_JSON_FIELDS)[number], unknown>;
  for (const f of AUDIT_JSON_FIELDS) out[f] = row[f];
  return out;
}
