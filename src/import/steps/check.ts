import type { Knex } from 'knex';
import { testPause } from '../../db/test-pause.js';
import { ENTITIES } from '../../records/fields.js';
import type { Issue } from '../../records/issues.js';
import { crossErrors, referencedDeletions } from '../checks.js';
import { badRecords, fail, say, type ImportRun } from '../run.js';
import { stagedRaw, unstage } from '../stage.js';
import { timed } from '../timing.js';

// Step 3: the problems of the file as a whole, then the set-based checks against file and
// database together, in rounds (--max-errors).

/** Rejection rounds: rejecting a record can orphan others (a parent agency); a few rounds settle it. */
const MAX_ROUNDS = 10;

/** Problems the reader found outside any record it yielded; a header problem is fatal. */
export async function sourceIssues(run: ImportRun): Promise<void> {
  let fatal = false;
  const byLine = new Map<number, Issue[]>();
  for (const i of run.source.issues) {
    run.log.add(i);
    if (i.severity !== 'error') continue;
    if (i.line === null || i.code.startsWith('header-')) fatal = true;
    else byLine.set(i.line, [...(byLine.get(i.line) ?? []), i]);
  }
  for (const [line, errors] of byLine) {
    run.bad++;
    await run.reject?.write({ line, record: errors[0]!.record, raw: null, errors });
  }
  if (fatal) await fail(run, `${run.source.sourceName} cannot be imported: ${run.log.describe()}; nothing was written`);
}

/**
 * Set-based checks. With --max-errors the records they name are taken out of the staging
 * table and checked again, since their absence can orphan others.
 */
async function errorRounds(run: ImportRun, trx: Knex.Transaction): Promise<void> {
  const { o, reject } = run;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    run.env.signal.throwIfAborted();
    const found = await timed('cross errors', () => crossErrors(trx, o.entity, o.mode));
    if (!found.length) break;
    run.log.addAll(found);
    const lines = [...new Set(found.map((i) => i.line!))];
    run.bad += lines.length;
    if (reject) {
      const raw = await stagedRaw(trx, lines);
      for (const line of lines) await reject.write({ line, raw: raw.get(line) ?? null, errors: found.filter((i) => i.line === line) });
    }
    if (run.bad > o.maxErrors) break;
    await unstage(trx, lines);
    run.staged -= lines.length;
  }
}

/** The staged records checked against each other and the database; fails the run past --max-errors. */
export async function crossChecks(run: ImportRun, trx: Knex.Transaction): Promise<void> {
  const { o, log } = run;
  await run.dialect.tuneChecks(trx);
  await timed('index/analyze stage', () => run.dialect.indexStage(trx, o.maxErrors > 0, ENTITIES[o.entity].key));
  await testPause('checks', say(run), run.env.signal, trx, run.dialect.name);
  await errorRounds(run, trx);
  if (o.mode === 'replace') {
    const blocked = await referencedDeletions(trx, o.entity);
    if (blocked.length) {
      log.addAll(blocked);
      await fail(run, `replace would leave stored services without their agency: ${log.describe()}; nothing was written`);
    }
  }
  if (run.bad > o.maxErrors) {
    const allowed = o.maxErrors ? ` (--max-errors ${o.maxErrors} allows ${o.maxErrors})` : '';
    await fail(run, `${badRecords(run)}${allowed}: ${log.describe()}; nothing was written`);
  }
  run.report.rejected = run.bad;
}
