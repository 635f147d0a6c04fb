import type { Db } from '../db/connect.js';
import { guardedTransaction } from '../db/guarded-tx.js';
import { testPause } from '../db/test-pause.js';
import { DataError } from '../errors.js';
import { ENTITIES } from '../records/fields.js';
import { notFound } from './browse.js';
import { recordChanges } from './write-path.js';

// `registry retire`: status retired, effective_to set, updated_at set — in one
// transaction, with the row locked, so that two retirements never interleave.

export interface RetireResult {
  code: string;
  previous_status: string;
  status: 'retired';
  effective_from: string | null;
  effective_to: string;
  updated_at: string;
  /** false when the service was already retired with that date: nothing was written */
  changed: boolean;
}

/**
 * `on` is the last day in force; when not given, a service already retired keeps its
 * date and any other gets `today`.
 */
export async function retireService(db: Db, code: string, on: string | undefined, today: string, opts: { now?: Date; signal?: AbortSignal; say?: (line: string) => void } = {}): Promise<RetireResult> {
  const now = opts.now ?? new Date();
  const signal = opts.signal;
  const table = ENTITIES.services.table;
  // an interrupt before COMMIT rolls back; after it, the retirement stands (db/guarded-tx.ts)
  return guardedTransaction(db, signal, async (trx) => {
    let q = trx(table).select('status', 'effective_from', 'effective_to', 'updated_at').where({ code });
    q = db.adapter.locks.forUpdate(q);
    const row = (await q.first()) as { status: string; effective_from: string | null; effective_to: string | null; updated_at: string } | undefined;
    if (!row) throw notFound(db, code);
    const effectiveTo = on ?? (row.status === 'retired' && row.effective_to ? row.effective_to : today);
    if (row.effective_from && effectiveTo < row.effective_from) {
      throw new DataError(`service ${code} takes effect on ${row.effective_from}; it cannot end on ${effectiveTo}, before that`, {
        details: [`- give --on ${row.effective_from} or a later date`],
      });
    }
    const base = { code, previous_status: row.status, status: 'retired' as const, effective_from: row.effective_from, effective_to: effectiveTo };
    if (row.status === 'retired' && row.effective_to === effectiveTo) {
      return { ...base, updated_at: String(row.updated_at), changed: false };
    }
    const updatedAt = now.toISOString();
    await trx(table).where({ code }).update({ status: 'retired', effective_to: effectiveTo, updated_at: updatedAt });
    await recordChanges(trx, [{ entity: 'services', deletes: [], puts: [code] }], { timestamp: updatedAt });
    if (signal) await testPause('commit', opts.say ?? (() => {}), signal, trx, db.dialect);
    return { ...base, updated_at: updatedAt, changed: true };
  });
}
