import type { Knex } from 'knex';
import type { Db } from '../db/connect.js';

// A write transaction that reads one snapshot: repeatable read on PostgreSQL (so a
// backup and the delete that follows see the same rows); SQLite's transactions are
// serializable already.

export function transaction<T>(db: Db, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  if (db.dialect === 'pg') return db.knex.transaction(fn, { isolationLevel: 'repeatable read' });
  return db.knex.transaction(fn);
}

/** Long operations check the interrupt between steps; throwing rolls the transaction back. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}
