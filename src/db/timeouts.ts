/**
 * Nothing waits forever (README, "Timeouts"). Seconds; 0 turns a limit off.
 * - lock: how long a statement waits for another session's lock (PostgreSQL lock_timeout,
 *   SQLite busy_timeout), then exit 6 naming the holder;
 * - statement: PostgreSQL statement_timeout (off by default: an import of millions of rows
 *   may rightly take long);
 * - idle: a statement that sends no byte to the server and gets none back for this long is
 *   taken for a dead link (unless the server's bytes wait unread in our buffer: then it is
 *   our reader that is slow — `export | less` — not the link) (a frozen network path answers TCP keepalive probes from some
 *   middlebox, or has unacknowledged data, which keepalive never probes): the connection
 *   is closed and the command exits 5. Also the server's
 *   idle_in_transaction_session_timeout, so that a session of ours left behind by a dead
 *   link does not hold its locks for ever.
 *
 * Its own module, so that the dialect adapters (db/dialect/), which set them on each
 * connection, read them without importing connect.ts, which imports the adapters.
 */
export interface DbTimeouts {
  lock: number;
  statement: number;
  idle: number;
}

export const DEFAULT_TIMEOUTS: Readonly<DbTimeouts> = { lock: 60, statement: 0, idle: 600 };
let timeouts: DbTimeouts = { ...DEFAULT_TIMEOUTS };

export function setDbTimeouts(t: Partial<DbTimeouts>): void {
  timeouts = { ...timeouts, ...Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined)) };
}

export function dbTimeouts(): Readonly<DbTimeouts> {
  return timeouts;
}
