import type { Knex } from 'knex';
import type { Db } from '../db/connect.js';
import { guardedTransaction } from '../db/guarded-tx.js';
import { testPause } from '../db/test-pause.js';
import { EgovError, UsageError } from '../errors.js';
import { ENTITIES } from '../records/fields.js';
import { importDialect } from './dialects/index.js';
import { entityHooks } from './entity-hooks.js';
import { replaceAbsent } from './replace.js';
import { DryRunDone, ImportFailed, RetryStaged, finish, say, type ImportRun } from './run.js';
import { beginRun } from './steps/begin.js';
import { crossChecks, sourceIssues } from './steps/check.js';
import { openRun } from './steps/open.js';
import { readIntoWriter } from './steps/read.js';
import { finishDirect, merge } from './steps/write.js';
import type { ImportEnv, ImportOptions, ImportReport } from './types.js';

// One import, as a pipeline of named steps over one run's state (run.ts):
//   open the source (steps/open.ts)
//   → read and check each record into a row writer: COPY / prepared inserts (steps/read.ts)
//   → set-based checks against file and database together, in rounds (steps/check.ts)
//   → (replace: confirm, back up, delete: replace.ts)
//   → merge → report (steps/write.ts).
// All of it inside one transaction: any error, an interrupt, or a kill, and nothing is
// written. What differs between the databases is behind the dialect adapter (dialect.ts),
// what differs between the entities behind their hooks (entity-hooks.ts).

export type { ImportEnv } from './types.js';
export { ImportFailed, countsOf } from './run.js';

export async function importFile(db: Db, o: ImportOptions, env: ImportEnv): Promise<ImportReport> {
  const started = Date.now();
  const def = ENTITIES[o.entity];
  if (!def.modes.includes(o.mode)) {
    throw new UsageError(`import ${o.entity} takes --mode ${def.modes.join(' or ')}, not ${o.mode}: ${o.entity} are never deleted by an import`);
  }
  const dialect = importDialect(db.dialect);
  // The direct load re-reads the file when it has to fall back, so not for standard input.
  if (dialect.directLoad && entityHooks(o.entity).direct && o.maxErrors === 0 && o.path !== '-') {
    try {
      return await runImport(await openRun(db, o, env, started, dialect, entityHooks(o.entity)), true);
    } catch (err) {
      if (!(err instanceof RetryStaged)) throw err;
      env.logger.debug('import: the file holds a code twice; reading it again through the staging table to report every line');
    }
  }
  return runImport(await openRun(db, o, env, started, dialect, entityHooks(o.entity)), false);
}

/**
 * direct (PostgreSQL, services or applications, no --max-errors, an empty table): COPY
 * straight into the table, with references checked in memory against the stored records
 * they name. The server then builds the table and its indexes while this process is still
 * parsing, instead of afterwards, and checks its foreign keys once at the end (bulk.ts).
 * What the direct load cannot report line by line (a code twice) makes it start over, staged.
 */
async function runImport(run: ImportRun, tryDirect: boolean): Promise<ImportReport> {
  const { db, env } = run;
  try {
    const committed = await guardedTransaction(db, env.signal, (trx) => steps(run, trx, tryDirect));
    await testPause('after-commit', say(run), env.signal);
    return committed;
  } catch (err) {
    run.progress.done();
    if (err instanceof DryRunDone) return finish(run);
    if (!(err instanceof ImportFailed)) run.reject?.discard();
    if (env.signal.aborted && !(err instanceof EgovError)) throw env.signal.reason;
    throw err;
  }
}

/** The steps inside the transaction. */
async function steps(run: ImportRun, trx: Knex.Transaction, tryDirect: boolean): Promise<ImportReport> {
  const { writer, refs, restore } = await beginRun(run, trx, tryDirect);
  await readIntoWriter(run, trx, writer, refs);
  await sourceIssues(run);
  if (run.direct) return finishDirect(run, trx, restore);
  await crossChecks(run, trx);
  run.env.signal.throwIfAborted();
  const deleted = run.o.mode === 'replace' ? await replaceAbsent(run, trx) : [];
  return merge(run, trx, deleted);
}
