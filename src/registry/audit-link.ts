import type { Knex } from 'knex';
import { auditHead, verifyAuditChain } from '../audit/audit-chain.js';
import type { Db } from '../db/connect.js';
import { parseCheckpoint, type AuditHead } from './log/checkpoint.js';
import type { LogIssue } from './log/log-issues.js';
import type { CheckpointInput } from './log/verify-log.js';

// Where the registry log meets the chained audit trail (SPEC §9): the checkpoint carries
// the chain's head as `audit <rows> <head hash>`, and `registry verify` walks the chain —
// in the same snapshot as the log — and holds it to the audit lines of the checkpoints it
// was given, which is what catches a chain rewritten from some row on.

/** The checkpoint's audit line for the target's trail now. */
export async function checkpointAudit(db: Db): Promise<AuditHead> {
  const h = await auditHead(db);
  return { rows: h.rows, head: h.hash };
}

/**
 * The audit lines of checkpoint files. Only the note's text (up to the blank line before its
 * signatures) is read here; whether the signature verifies and the file parses is the log
 * verifier's to report, so a file that does not parse gives no line.
 */
export function auditLinesOf(checkpoints: readonly CheckpointInput[]): Array<{ rows: number; hash: string | null }> {
  const out: Array<{ rows: number; hash: string | null }> = [];
  for (const c of checkpoints) {
    const text = c.bytes.toString('utf8');
    const cut = text.indexOf('\n\n');
    try {
      const cp = parseCheckpoint(cut >= 0 ? text.slice(0, cut + 1) : text);
      if (cp.audit) out.push({ rows: cp.audit.rows, hash: cp.audit.head });
    } catch {
      // reported by verifyLog
    }
  }
  return out;
}

/** The audit chain's check, to run inside registry verify's snapshot transaction. */
export function auditChainCheck(db: Db, checkpoints: readonly CheckpointInput[]): (trx: Knex) => Promise<LogIssue[]> {
  const heads = auditLinesOf(checkpoints);
  // the transaction, not the pool: SQLite has one connection, and it is the snapshot's
  return (trx) => verifyAuditChain({ ...db, knex: trx as unknown as Knex }, { checkpoints: heads });
}
