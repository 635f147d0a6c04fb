import type { Knex } from 'knex';
import { EgovError } from '../errors.js';
import type { Db } from './connect.js';

// The one rule for an interrupt (SIGINT/SIGTERM) during a write (SPEC §5, §7):
// - before COMMIT is sent, it rolls back: the running statement is cancelled
//   (PostgreSQL: pg_cancel_backend from a second connection, FIELD-NOTES: a flag alone does
//   nothing while a statement runs — the adapter's interrupts.cancelOnAbort), the
//   transaction is rolled back, the command says so (130/143);
// - once COMMIT is sent, it is too late: the commit goes on, the command reports what it
//   committed and exits 0, and the top level says that the interrupt came too late.
// The decision is made at one point (the check just before COMMIT), in one thread, so it
// cannot be half of each.
//
// SQLite (better-sqlite3) runs a statement on this very thread: nothing can stop it from
// JavaScript. There the interrupt is seen between statements and batches; a statement in
// progress runs to its end, and then the same check before COMMIT decides.

type Phase = 'open' | 'committing' | 'committed';
const phases = new WeakMap<AbortSignal, Phase>();

/** where the command's write stands: 'committing' once COMMIT is sent, 'committed' once it is done */
export function commitPhase(signal: AbortSignal): Phase {
  return phases.get(signal) ?? 'open';
}

/** Lets a signal that has arrived be handled (its handler runs on the event loop, not in a microtask). */
export function yieldToSignals(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

/** The abort reason when the signal has fired and `err` is the driver's (a cancelled statement), else err. */
export function interruptOr(err: unknown, signal: AbortSignal | undefined): unknown {
  return signal?.aborted && !(err instanceof EgovError) ? signal.reason : err;
}

export interface GuardedOptions {
  isolationLevel?: 'read committed' | 'repeatable read' | 'serializable';
}

/**
 * Runs fn in one transaction and commits it, unless the signal fired first: then it rolls
 * back and throws the signal's reason (InterruptedError). See the rule above.
 */
export async function guardedTransaction<T>(db: Db, signal: AbortSignal | undefined, fn: (trx: Knex.Transaction) => Promise<T>, opts: GuardedOptions = {}): Promise<T> {
  signal?.throwIfAborted();
  const trx = await db.knex.transaction(undefined, db.adapter.snapshots.transactionConfig(opts.isolationLevel));
  const cancelOnAbort = db.adapter.interrupts.cancelOnAbort;
  let stop = async () => {};
  let result: T;
  try {
    if (signal && cancelOnAbort) stop = await cancelOnAbort(db.target.url, trx, signal);
    result = await fn(trx);
    await yieldToSignals();
    signal?.throwIfAborted();
    await stop();
    // the check and the mark are one synchronous step: an interrupt handled after it finds 'committing'
    signal?.throwIfAborted();
    if (signal) phases.set(signal, 'committing');
  } catch (err) {
    await stop();
    await trx.rollback().catch(() => {});
    throw interruptOr(err, signal);
  }
  try {
    await trx.commit();
  } catch (err) {
    if (signal) phases.set(signal, 'open');
    throw err;
  }
  if (signal) phases.set(signal, 'committed');
  return result;
}
