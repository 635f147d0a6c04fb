import type { Knex } from 'knex';
import { ENTITIES } from '../../records/fields.js';
import { openLogTap } from '../../registry/write-path.js';
import type { ImportRun, RecordRefs } from '../run.js';
import type { RowWriter } from '../writers/row-writer.js';

// The start of the transaction: the dialect's and the entity's own settings and locks,
// the choice of the direct load, what references are checked against, and the row writer
// — chosen here, once, for the path taken.

export interface Begun {
  writer: RowWriter;
  refs: RecordRefs | null;
  /** the direct load: adds back the foreign keys dropped for it (bulk.ts) */
  restore: (() => Promise<void>) | null;
}

export async function beginRun(run: ImportRun, trx: Knex.Transaction, tryDirect: boolean): Promise<Begun> {
  const { dialect, hooks, o } = run;
  const table = ENTITIES[o.entity].table;
  await dialect.begin(trx);
  await hooks.begin?.(run, trx);
  let restore: (() => Promise<void>) | null = null;
  if (tryDirect) {
    ({ empty: run.direct, restore } = await dialect.prepareDirect(trx, table));
    if (restore) run.env.logger.debug(`import: ${table} is empty and this import's alone: its foreign keys are checked once, after the load`);
  }
  // The registry log of a first load, taken as the records go by: the direct load, or where
  // there is none (SQLite) a staged import into an empty table that stops at its first error
  // — every record it stages is then inserted. (A dry run appends nothing: nothing to take.)
  const firstLoad = run.direct || (!dialect.directLoad && o.maxErrors === 0 && ENTITIES[o.entity].logged && !(await trx(table).first()));
  if (firstLoad && !o.dryRun) run.logTap = await openLogTap(trx, o.entity, run.now);
  if (run.logTap) run.env.logger.debug("import: the registry log's items are taken as the records are loaded");
  const refs = (await hooks.refs?.(run, trx)) ?? null;
  const writer = await dialect.rowWriter(trx, { entity: o.entity, direct: run.direct, withRaw: run.reject !== null, now: run.now, bytes: run.source.bytes }, run.env.logger);
  return { writer, refs, restore };
}
