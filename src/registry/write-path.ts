import type { Knex } from 'knex';
import { ENTITIES } from '../records/fields.js';
import { appendEntries, hasLog, osActor, type AppendResult, type EntityChanges } from './log-store.js';

// The one write path for records (issue 14 item 4): every command that changes agencies or
// services — import in every mode, `registry retire`, `registry purge` — hands the changes
// of its run (codes put and deleted, per entity) here, inside the run's transaction and
// before its COMMIT decision, and the registry log appends the run's entries (SPEC §9).
// `timestamp` must be the updated_at the run wrote.

export type { EntityChanges } from './log-store.js';

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
