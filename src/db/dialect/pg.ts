import { createRequire } from 'node:module';
import type { Knex } from 'knex';
import { ConflictError } from '../../errors.js';
import { copyTo } from '../copy-out.js';
import { dbTimeouts } from '../timeouts.js';
import { connectionHints } from '../unreachable.js';
import type { DialectAdapter, DialectTarget, Locks, MigrationLockState } from './types.js';

// PostgreSQL, through node-postgres (knex client 'pg').

const require = createRequire(import.meta.url);

let typesSet = false;

function installTypes(): void {
  if (typesSet) return;
  typesSet = true;
  const pg = require('pg') as typeof import('pg');
  // node-postgres turns DATE into a JS Date at local midnight, which can shift it by a
  // day (FIELD-NOTES): keep the text. Timestamps come back as ISO 8601 UTC text, the
  // form every export and report uses.
  pg.types.setTypeParser(1082, (v: string) => v);
  pg.types.setTypeParser(1184, (v: string) => new Date(v).toISOString());
  pg.types.setTypeParser(1114, (v: string) => new Date(`${v}Z`).toISOString());
  pg.types.setTypeParser(20, (v: string) => Number(v));
}

/** A socket with no traffic while a statement runs: close it, so the statement fails (exit 5) instead of hanging. */
function watchLink(conn: { connection?: { stream?: import('node:net').Socket }; _activeQuery?: unknown; _queryQueue?: unknown[] }): void {
  const sock = conn.connection?.stream;
  if (!sock || typeof sock.setTimeout !== 'function') return;
  sock.setKeepAlive(true, 10_000);
  if (!dbTimeouts().idle) return;
  sock.setTimeout(dbTimeouts().idle * 1000);
  sock.on('timeout', () => {
    if (!conn._activeQuery && !conn._queryQueue?.length) return; // idle in the pool: fine (the underscored fields: pg 8.23 warns on stderr for activeQuery)
    // Bytes from the server wait unread in our buffer: the link is alive and the reader
    // downstream is slow (`export | less` left on a page). Not a dead link; look again later.
    if (sock.readableLength > 0) {
      sock.setTimeout(dbTimeouts().idle * 1000);
      return;
    }
    sock.destroy(Object.assign(new Error(`Connection terminated: no byte to or from the server for ${dbTimeouts().idle} s while a statement ran (--idle-timeout); the link is taken for dead`), { code: 'ETIMEDOUT' }));
  });
}

function knexConfig(target: DialectTarget): Knex.Config {
  const timeouts = dbTimeouts();
  return {
    client: 'pg',
    connection: {
      connectionString: target.url,
      connectionTimeoutMillis: 10_000,
      application_name: 'egovctl',
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      ...(timeouts.lock ? { lock_timeout: timeouts.lock * 1000 } : {}),
      ...(timeouts.statement ? { statement_timeout: timeouts.statement * 1000 } : {}),
      ...(timeouts.idle ? { idle_in_transaction_session_timeout: timeouts.idle * 1000 } : {}),
    },
    pool: {
      min: 0,
      max: 4,
      afterCreate: (conn: Parameters<typeof watchLink>[0], done: (err: Error | null, conn: unknown) => void) => {
        watchLink(conn);
        done(null, conn);
      },
    },
    acquireConnectionTimeout: 15_000,
  };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function credentials(url: string, password: string | undefined): { url: string; secrets: Array<string | null> } {
  const u = new URL(url);
  const secrets: Array<string | null> = [];
  if (u.password) secrets.push(safeDecode(u.password));
  // node-postgres reads ?password= (and passes ?sslpassword= on to TLS): secrets too
  for (const key of ['password', 'sslpassword']) secrets.push(u.searchParams.get(key));
  if (!password) return { url, secrets };
  secrets.push(password);
  u.password = encodeURIComponent(password);
  return { url: u.toString(), secrets };
}

/**
 * While the transaction is open, an abort cancels whatever statement it is running, and
 * goes on cancelling (a statement that starts after the first cancel) until it is closed:
 * pg_cancel_backend from a second connection (FIELD-NOTES: a flag alone does nothing while
 * a statement runs).
 */
async function cancelOnAbort(url: string, trx: Knex.Transaction, signal: AbortSignal): Promise<() => Promise<void>> {
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
        client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, application_name: 'egovctl-cancel' });
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

/**
 * Who holds the tool's tables (pid, application_name, user, since when, lock mode, from
 * pg_locks and pg_stat_activity), so that the operator can ask them, or end them.
 */
async function lockHolder(knex: Knex): Promise<{ text: string; details: string[] }> {
  const details: string[] = [];
  let holder = 'another session';
  try {
    const r = await knex.raw(`
      select a.pid, coalesce(a.application_name, '') as app, coalesce(a.usename::text, '') as usr,
             coalesce(a.state, '') as state, a.xact_start, l.mode, c.relname as rel
        from pg_locks l join pg_stat_activity a on a.pid = l.pid join pg_class c on c.oid = l.relation
       where l.granted and l.pid <> pg_backend_pid() and c.relnamespace = current_schema()::regnamespace
         and c.relname in ('agencies', 'services', 'applications', 'audit_log', 'registry_log', 'knex_migrations', 'knex_migrations_lock')
         and l.mode in ('AccessExclusiveLock', 'ExclusiveLock', 'ShareRowExclusiveLock', 'ShareLock', 'ShareUpdateExclusiveLock', 'RowExclusiveLock')
       order by case l.mode when 'AccessExclusiveLock' then 0 when 'ExclusiveLock' then 1 when 'ShareRowExclusiveLock' then 2 when 'ShareLock' then 3 else 4 end, a.pid
       limit 5`);
    const rows = r.rows as Array<{ pid: number; app: string; usr: string; state: string; xact_start: unknown; mode: string; rel: string }>;
    if (rows[0]) holder = `pid ${rows[0].pid} (application_name "${rows[0].app}", user ${rows[0].usr})`;
    for (const h of rows) {
      details.push(`- held by pid ${h.pid} (application_name "${h.app}", user ${h.usr}, ${h.state}${h.xact_start ? `, in a transaction since ${String(h.xact_start)}` : ''}): ${h.mode} on ${h.rel}`);
    }
  } catch {
    // the lookup is a courtesy: the conflict stands without it
  }
  if (details.length) details.push(`- wait longer with --lock-timeout <seconds>, or end the holder: select pg_terminate_backend(<pid>)`);
  return { text: `; it is held by ${holder}`, details };
}

/**
 * The migration lock is a transaction-scoped advisory lock. An advisory lock belongs to one
 * database: a run migrating another database on the same server holds a lock with the same
 * key that is not ours to report, or to clear.
 */
async function migrationLockState(knex: Knex, key: string): Promise<MigrationLockState> {
  const r = await knex.raw(
    `select l.pid, a.xact_start, a.application_name from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where l.locktype = 'advisory' and l.granted and ((l.classid::bigint << 32) | l.objid::bigint) = ?::bigint
          and l.database = (select oid from pg_database where datname = current_database()) limit 1`,
    [key],
  );
  const row = r.rows[0];
  return row ? { locked: true, pid: row.pid, since: row.xact_start ? new Date(row.xact_start).toISOString() : undefined, application: row.application_name } : { locked: false };
}

async function withMigrationLock<T>(knex: Knex, o: { key: string; timeoutMs: number; dryRun: boolean }, body: (trx: Knex) => Promise<T>): Promise<T> {
  const DRY = Symbol('dry-run');
  let result: T | undefined;
  try {
    await knex.transaction(async (trx) => {
      const deadline = Date.now() + o.timeoutMs;
      for (;;) {
        const r = await trx.raw('select pg_try_advisory_xact_lock(?::bigint) as ok', [o.key]);
        if (r.rows[0].ok) break;
        if (Date.now() > deadline) {
          const st = await migrationLockState(knex, o.key);
          throw new ConflictError(`another migration run holds the lock${st.pid ? ` (server pid ${st.pid}${st.since ? `, since ${st.since}` : ''})` : ''}; waited ${Math.round(o.timeoutMs / 1000)} s`, {
            details: ['- wait for it to finish; if it was killed, `egovctl migrate unlock` clears it'],
          });
        }
        await new Promise((res) => setTimeout(res, 200));
      }
      result = await body(trx);
      if (o.dryRun) throw DRY;
    });
  } catch (err) {
    if (err !== DRY) throw err;
  }
  return result!;
}

async function lockTableForWrites(knex: Knex, table: string, savepoint: string): Promise<void> {
  // LOCK takes no snapshot, a query (even of the catalog: hasTable) would: so try, in a savepoint.
  await knex.raw(`savepoint ${savepoint}`);
  try {
    await knex.raw(`lock table ${table} in exclusive mode`);
    await knex.raw(`release savepoint ${savepoint}`);
  } catch (err) {
    if ((err as { code?: string }).code !== '42P01') throw err;
    await knex.raw(`rollback to savepoint ${savepoint}`); // no such table yet: nothing to serialise
  }
}

/**
 * Serialised by a transaction-scoped advisory lock: it needs no privilege beyond INSERT,
 * unlike LOCK TABLE in a mode that excludes other inserts.
 */
const appendAfterLast: Locks['appendAfterLast'] = (knex, o, make) =>
  knex.transaction(async (trx) => {
    await trx.raw(`select set_config('lock_timeout', ?, true)`, [`${o.waitMs}ms`]);
    await trx.raw('select pg_advisory_xact_lock(?::bigint)', [o.lockKey]);
    const last = (await trx(o.table).select(...o.columns).orderBy(o.id, 'desc').first()) as Record<string, unknown> | undefined;
    const out = make(last);
    await trx(o.table).insert(out);
    // The serial sequence is not used for ids any more; keep it at the last one anyway,
    // so that a client inserting without an id gets a free id, not a duplicate-key error.
    await trx.raw(`select setval(pg_get_serial_sequence('${o.table}', '${o.id}'), ?)`, [(out as Record<string, unknown>)[o.id] as Knex.Value]);
    return out;
  });

const locks: Locks = {
  isLockTimeout: (err) => (err as { code?: unknown })?.code === '55P03',
  lockHolder,
  withMigrationLock,
  migrationLockState,
  async endMigrationLockHolder(knex, state) {
    await knex.raw('select pg_terminate_backend(?)', [state.pid!]);
    return { cleared: true, pid: state.pid! };
  },
  lockTableForWrites,
  async excludeMigrations(trx, o) {
    const r = await trx.raw('select pg_try_advisory_xact_lock(?::bigint) as ok', [o.key]);
    if (!r.rows[0].ok) return false;
    await trx.raw(`set local lock_timeout = '${Math.max(1, Math.round(o.waitMs))}ms'`);
    return true;
  },
  forUpdate: (q) => q.forUpdate(),
  appendAfterLast,
};

/** Columns as arrays, unnested by the server: one statement however many rows. */
async function insertRows(knex: Knex, into: { table: string; columns: readonly string[]; types: readonly string[]; ignoreDuplicates: boolean }, rows: readonly unknown[][]): Promise<void> {
  const arrays = into.columns.map((_, i) => rows.map((r) => r[i]));
  await knex.raw(
    `insert into ${into.table} (${into.columns.join(', ')}) select * from unnest(${into.types.map((t) => `?::${t}[]`).join(', ')})${into.ignoreDuplicates ? ' on conflict do nothing' : ''}`,
    arrays as unknown as Knex.RawBinding[],
  );
}

type CopyConn = import('pg').Client & { __knex__disposed?: unknown };

/**
 * COPY … TO STDOUT on knex's connection, read into large buffers (copy-out.ts, the export's
 * reader too). An error of the statement leaves the connection usable (the reader hands the
 * error back to node-postgres, as pg-copy-streams does); a
 * consumer that stops mid-COPY does not, so the connection is then ended and knex's pool
 * drops it instead of handing it out again (the transaction it held is rolled back with it).
 */
async function* copyOut(knex: Knex, copy: string): AsyncGenerator<Buffer> {
  const client = knex.client as { acquireConnection(): Promise<CopyConn>; releaseConnection(c: CopyConn): Promise<void> };
  const conn = await client.acquireConnection();
  let clean = false;
  try {
    const stream = conn.query(copyTo(copy));
    try {
      for await (const chunk of stream) yield chunk as Buffer;
    } catch (err) {
      clean = typeof (err as { severity?: unknown }).severity === 'string'; // the server's error: the protocol is back in step
      throw err;
    }
    clean = true;
  } finally {
    if (!clean) {
      conn.__knex__disposed = 'COPY stopped before its end';
      await conn.end().catch(() => {});
    }
    await client.releaseConnection(conn).catch(() => {});
  }
}

export const pgAdapter: DialectAdapter = {
  name: 'pg',
  knexClients: ['pg'],
  connection: {
    knexConfig,
    credentials,
    async serverVersion(knex) {
      const r = await knex.raw('show server_version');
      return `PostgreSQL ${r.rows[0].server_version}`;
    },
    connectionHints,
    isDriverError: (e) => typeof e.severity === 'string' && typeof e.code === 'string', // pg DatabaseError
    databaseName: (target) => target.database,
  },
  interrupts: {
    cancelOnAbort,
    // inside the transaction, a statement on the command's own connection: the interrupt
    // then has to cancel a running statement, which is the path a real long statement takes
    sleepStatement: async (trx, ms) => {
      await trx.raw('select pg_sleep(?)', [ms / 1000]);
    },
  },
  locks,
  snapshots: {
    readSnapshot: (knex) => knex.transaction(undefined, { isolationLevel: 'repeatable read', readOnly: true }),
    transactionConfig: (isolation) => (isolation ? { isolationLevel: isolation } : {}),
    async readOnly(trx) {
      await trx.raw('set transaction read only');
    },
  },
  types: {
    install: installTypes,
    rows: (raw) => (raw as { rows: Array<Record<string, unknown>> }).rows,
  },
  planner: {
    async manySmallQueries(trx) {
      await trx.raw('set local jit = off');
    },
    async analyze(knex, tables) {
      await knex.raw(`analyze ${tables.join(', ')}`);
    },
  },
  schema: {
    partitioned: true,
    // PostgreSQL checks foreign keys per statement: dropping children before parents suffices
    deferForeignKeys: async () => {},
    async dropFunctions(trx, signatures) {
      for (const f of signatures) await trx.raw(`drop function if exists ${f}`);
    },
    // the monthly partitions of a partitioned table (they go with it when it is dropped)
    async partitionCount(knex, table) {
      const r = await knex.raw(
        `select count(i.inhrelid)::int as n, bool_or(true) as present from pg_class p left join pg_inherits i on i.inhparent = p.oid
     where p.relname = '${table}' and p.relkind = 'p' and p.relnamespace = to_regnamespace(current_schema())::oid`,
      );
      const row = r.rows[0] as { n: number; present: boolean | null };
      return row.present ? row.n : null;
    },
  },
  sql: {
    jsonMember: (col, key) => `(${col}::json ->> '${key}')`,
    insertRows,
    param: (cast) => (cast ? `?::${cast}` : '?'),
    distinctOn: true,
    orderedSetAggregates: true,
    logItemsInSql: true,
    copyIn: true,
  },
  bulk: { copyOut },
  dates: {
    localDate: (col, zoneParam) => `(${col} at time zone ${zoneParam()})::date`,
    dayDiff: (later, earlier) => `(${later} - ${earlier})`,
    yearMonth: (date) => `to_char(${date}, 'YYYY-MM')`,
    async prepareZone() {
      // AT TIME ZONE knows every IANA zone
    },
  },
};
