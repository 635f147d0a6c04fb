import type { Knex } from 'knex';
import { ENTITIES, type EntityName } from '../records/fields.js';
import { ENTRIES_TABLE, ITEMS_TABLE, appendEntries, hasLog, osActor, type AppendResult, type EntityChanges } from './log-store.js';
import { CopyItemTap, RowItemTap, type LogItemTap } from './log-tap.js';
import { adapterOf } from '../db/dialect/index.js';

// The one write path for records (issue 14 item 4): every command that changes agencies or
// services — import in every mode, `registry retire`, `registry purge` — hands the changes
// of its run (codes put and deleted, per entity) here, inside the run's transaction and
// before its COMMIT decision, and the registry log appends the run's entries (SPEC §9).
// `timestamp` must be the updated_at the run wrote.

export type { EntityChanges } from './log-store.js';
export type { LogItemTap } from './log-tap.js';

/**
 * BENCHMARK-ONLY switch, read by test/bench/registry-log.ts's baseline run and nothing
 * else: with EGOVCTL_BENCH_NO_REGISTRY_LOG=1 no entry is appended, so the benchmark can
 * measure what the log costs. Never set it on a real target: the log would then miss the
 * run's changes and `registry verify` would report them as log-drift.
 */
const BENCH_NO_LOG = 'EGOVCTL_BENCH_NO_REGISTRY_LOG';

export interface RunStamp {
  /** ISO 8601 UTC with milliseconds: the updated_at the run wrote */
  timestamp: string;
  /** user@host; the OS user and host when not given */
  actor?: string;
}

export async function recordChanges(trx: Knex, changes: readonly EntityChanges[], stamp: RunStamp): Promise<AppendResult | null> {
  // Applications are not in the log (fields.ts: logged false): nothing to append for them.
  const logged = changes.filter((c) => ENTITIES[c.entity].logged);
  if (logged.length === 0) return null;
  if (process.env[BENCH_NO_LOG] === '1') return null;
  // A database whose log migration is not applied yet has no log to append to: the
  // migration's genesis takes in whatever is stored when it runs.
  if (!(await hasLog(trx))) return null;
  return appendEntries(trx, logged, { timestamp: stamp.timestamp, actor: stamp.actor ?? osActor() });
}

/**
 * The first load of an empty table (import's direct load on PostgreSQL; on SQLite a staged
 * import into an empty table that stops at the first error): a tap that stores each
 * record's item as it goes by (log-tap.ts), whose `finish` gives the puts to hand to
 * recordChanges. Null where the log is not appended to (as recordChanges decides), and
 * where an item of this entity may be stored already (the log holds an entry of it: the
 * table was emptied by a purge): the run's entries are then made from the stored rows.
 */
export async function openLogTap(trx: Knex, entity: EntityName, now: string): Promise<LogItemTap | null> {
  if (!ENTITIES[entity].logged || process.env[BENCH_NO_LOG] === '1') return null;
  if (!(await hasLog(trx))) return null;
  if (await trx(ENTRIES_TABLE).where('entity', entity).first('number')) return null;
  return adapterOf(trx).sql.copyIn ? new CopyItemTap(ITEMS_TABLE, entity, now) : new RowItemTap(ITEMS_TABLE, entity, now);
}
