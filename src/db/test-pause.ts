import type { Knex } from 'knex';

// TEST HOOK, for the fault-injection tests only (README, "Test hooks"): with
// EGOVCTL_TEST_PAUSE_AT=<phase>[,<phase>…] an import stops for EGOVCTL_TEST_PAUSE_MS
// (default 20000) at that phase boundary, after saying `test pause: <phase>` on standard
// error, so that a test can send a signal exactly there. On PostgreSQL, inside the
// transaction, the pause is a statement (pg_sleep) on the import's own connection: the
// interrupt then has to cancel a running statement, which is the path a real long
// statement takes. Elsewhere it is a timer that an interrupt ends. Unset, it costs one environment lookup.

export type PausePhase = 'read' | 'checks' | 'delete' | 'merge' | 'fk' | 'commit' | 'after-commit';

export async function testPause(phase: PausePhase, say: (s: string) => void, signal: AbortSignal, trx?: Knex.Transaction, dialect?: 'pg' | 'sqlite'): Promise<void> {
  const at = process.env.EGOVCTL_TEST_PAUSE_AT;
  if (!at || !at.split(',').includes(phase)) return;
  const ms = Number(process.env.EGOVCTL_TEST_PAUSE_MS ?? 20_000);
  say(`test pause: ${phase}`);
  if (trx && dialect === 'pg') await trx.raw('select pg_sleep(?)', [ms / 1000]);
  else {
    // like any wait of the tool's own between statements: an interrupt ends it (and the
    // next check of the signal acts on it)
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
