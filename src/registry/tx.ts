import type { Knex } from 'knex';
import type { Db } from '../db/connect.js';
import { guardedTransaction } from '../db/guarded-tx.js';

// A write transaction that reads one snapshot: repeatable read on PostgreSQL (so a
// backup and the delete that follows see the same rows); SQLite's transactions are
// serializable already.

// An interrupt before COMMIT rolls back; after it, the commit stands (db/guarded-tx.ts).
export function transaction<T>(db: Db, fn: (trx: Knex.Transaction) => Promise<T>, signal?: AbortSignal): Promise<T> {
  return guardedTransaction(db, signal, fn, { isolationLevel: 'repeatable read' });
}

/** Long operations check the interrupt between steps; throwing rolls the transaction back. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}
