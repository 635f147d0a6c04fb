import type { Knex } from 'knex';
import { testPause } from '../../db/test-pause.js';
import { ENTITIES } from '../../records/fields.js';
import { recordChanges, type EntityChanges } from '../../registry/write-path.js';
import { DryRunDone, badRecords, fail, finish, say, type ImportRun } from '../run.js';
import { timed } from '../timing.js';
import type { ImportReport } from '../types.js';

// The last steps: the merge of the staged records (or what is left of the direct load),
// the registry log, and the report.

/** The direct load is done: the checks it could not make as it went, the foreign keys back. */
export async function finishDirect(run: ImportRun, trx: Knex.Transaction, restore: (() => Promise<void>) | null): Promise<ImportReport> {
  await run.hooks.afterDirect?.(run, trx);
  if (run.bad > 0) return fail(run, `${badRecords(run)}: ${run.log.describe()}; nothing was written`);
  run.env.signal.throwIfAborted();
  if (restore) {
    await testPause('fk', say(run), run.env.signal, trx, run.dialect.name);
    await timed('foreign keys added back', restore);
  }
  Object.assign(run.report, { inserted: run.staged, updated: 0, unchanged: 0 });
  run.report.rejected = 0;
  // The table was empty (and locked for this run): every row in it is this run's.
  // (the registry log: from what the load took as it went, else the table's rows of this run)
  return commit(run, trx, run.logTap ? { prebuilt: await run.logTap.finish(trx) } : { all: true, updatedAt: run.now }, []);
}

/** Step 5: the staged records into the table. */
export async function merge(run: ImportRun, trx: Knex.Transaction, deleted: string[]): Promise<ImportReport> {
  const { o, env } = run;
  env.signal.throwIfAborted();
  await testPause('merge', say(run), env.signal, trx, run.dialect.name);
  run.progress.phase('merging');
  env.logger.debug(`import: merging ${run.staged} records into ${ENTITIES[o.entity].table}`);
  await run.hooks.beforeMerge?.(run, trx);
  // (a first load that took its log as it went needs no codes back)
  const { written, ...counts } = await run.dialect.mergeStage(trx, o.entity, run.staged, run.now, run.logTap === null);
  Object.assign(run.report, counts);
  await run.dialect.dropStage(trx);
  // A staged first load took its log as it went: every record it staged is what it wrote
  // (and the merge gave no codes back). Anything else is a fault: the run rolls back.
  const tap = run.logTap;
  if (tap) {
    if (deleted.length || counts.updated || counts.inserted !== tap.taken) {
      throw new Error(`import: the registry log took ${tap.taken} records as they were staged, but the merge inserted ${counts.inserted}, updated ${counts.updated} and deleted ${deleted.length}`);
    }
    return commit(run, trx, { prebuilt: await tap.finish(trx) }, []);
  }
  return commit(run, trx, written, deleted);
}

/** Step 6: the registry log, the reject file, the report (a dry run rolls back here). */
async function commit(run: ImportRun, trx: Knex.Transaction, puts: EntityChanges['puts'], deletes: string[]): Promise<ImportReport> {
  const { o, now } = run;
  // Before the commit decision, in the transaction: a run that does not commit appends nothing.
  // Applications are not in the registry log (SPEC §1, §9): their imports are in the audit trail only.
  if (!o.dryRun && ENTITIES[o.entity].logged) await timed('registry log', () => recordChanges(trx, [{ entity: o.entity, deletes, puts }], { timestamp: now }));
  await run.reject?.close();
  run.progress.done();
  if (o.dryRun) throw new DryRunDone();
  await testPause('commit', say(run), run.env.signal, trx, run.dialect.name);
  return finish(run);
}
