import { createRequire } from 'node:module';
import type { Knex } from 'knex';
import { EgovError } from '../errors.js';
import type { Db } from './connect.js';

// The one rule for an interrupt (SIGINT/SIGTERM) during a write (SPEC §5, §7):
// - before COMMIT is sent, it rolls back: the running statement is cancelled
//   (pg_cancel_backend from a second connection, FIELD-NOTES: a flag alone does nothing
//   while a statement runs), the transaction is rolled back, the command says so (130/143);
// - once COMMIT is sent, it is too late: the commit goes on, the command reports what it
//   committed and exits 0, and the top level says that the interrupt came too late.
// The decision is made at one point (the check just before COMMIT), in one thread, so it
// cannot be half of each.
//
// SQLite (better-sqlite3) runs a statement on this very thread: nothing can stop it from
// JavaScript. There the interrupt is seen between statements and batches; a statement in
// progress runs to its end, and then the same check before COMMIT decides.

const require = createRequire(import.meta.url);

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

/**
 * While the transaction is open, an abort cancels whatever statement it is running, and
 * goes on cancelling (a statement that starts after the first cancel) until it is closed.
 */
async function cancelOnAbort(db: Db, trx: Knex.Transaction, signal: AbortSignal): Promise<() => Promise<void>> {
  const conn = (await trx.client.acquireConnection()) as { processID?: number };
  const pid = conn.processID;
  if (!pid) return async () => {};
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let client: import('pg').Client | null = null;
  let pending: Promise<unknown> = Promise.resolve();
  const cancelOnce = async () => {
    if (stopped) return;
    try {
      if (!client) {
        const pg = require('pg') as typeof import('pg');
        client = new pg.Client({ connectionString: db.target.url, connectionTimeoutMillis: 5_000, application_name: 'egovctl-cancel' });
        client.on('error', () => {});
        await client.connect();
      }
      if (!stopped) await client.query('select pg_cancel_backend($1)', [pid]);
    } catch {
      // the server is gone or refuses: closing the pool (the top level's last resort) rolls back
    }
  };
  const loop = () => {
    pending = pending.then(cancelOnce);
    if (!stopped) timer = setTimeout(loop, 300);
  };
  const onAbort = () => loop();
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    await pending; // no cancel may be in flight once COMMIT is sent
    await (client as import('pg').Client | null)?.end().catch(() => {});
  };
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
  const trx = await db.knex.transaction(undefined, db.dialect === 'pg' && opts.isolationLevel ? { isolationLevel: opts.isolationLevel } : {});
  let stop = async () => {};
  let result: T;
  try {
    if (signal && db.dialect === 'pg') stop = await cancelOnAbort(db, trx, signal);
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
