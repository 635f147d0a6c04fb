import type { Knex } from 'knex';
import { ENTITIES, type EntityName } from '../../records/fields.js';
import type { Logger } from '../../output/logger.js';
import { prepareDirectTable } from '../bulk.js';
import { binaryTypes } from '../copy-binary.js';
import type { ImportDialect } from '../dialect.js';
import { intoEmptyKeysless, mergeNames, mergedCounts, notInStage, type MergeCounts } from '../merge.js';
import { STAGE, q } from '../stage-columns.js';
import { selectRows } from '../stage.js';
import { timed } from '../timing.js';
import { CopyBinaryWriter, CopyTextWriter, writerColumns } from '../writers/copy.js';
import type { RowWriter, WriterSpec } from '../writers/row-writer.js';

// PostgreSQL: COPY (text, or binary for byte strings), a temporary staging table LIKE the
// target, the direct load into an empty table, and merge statements in one pass.

/** work_mem of the staged checks and merge. */
const STAGED_WORK_MEM = '128MB';

/**
 * Why the columns of `table` cannot take COPY's binary rows (a type other than the one the
 * field's binary form is made for, as after a hand-made change of the schema), or null.
 * The staging table is made LIKE the table, with line integer and raw text.
 */
async function binaryMismatch(trx: Knex.Transaction, entity: EntityName, table: string, cols: readonly string[]): Promise<string | null> {
  const rows = await selectRows<{ name: string; type: string }>(trx,
    `select attname as name, atttypid::regtype::text as type from pg_attribute where attrelid = ?::regclass and attnum > 0 and not attisdropped`, [q(table)]);
  const types = new Map(rows.map((r) => [r.name, r.type]));
  for (const c of cols) {
    const type = types.get(c);
    if (type === undefined || !(binaryTypes(entity, c) as readonly string[]).includes(type)) return `column ${c} is ${type ?? 'missing'}`;
  }
  return null;
}

/**
 * Byte strings go to PostgreSQL in COPY's binary format when the table's columns have the
 * types it is made for (copy-binary.ts); decoded records are turned back into bytes. Made
 * in the transaction, for the columns of the path taken (direct or staged).
 */
async function rowWriter(trx: Knex.Transaction, spec: WriterSpec, logger: Logger): Promise<RowWriter> {
  if (!spec.bytes) return new CopyTextWriter(spec);
  const mismatch = await binaryMismatch(trx, spec.entity, ENTITIES[spec.entity].table, writerColumns({ ...spec, direct: true }));
  logger.debug(mismatch === null ? 'import: rows go to COPY in its binary format' : `import: rows go to COPY as text: ${mismatch}`);
  return mismatch === null ? new CopyBinaryWriter(spec) : new CopyTextWriter(spec);
}

async function createStage(trx: Knex.Transaction, entity: EntityName, withRaw: boolean): Promise<void> {
  // LIKE gives the target's column types, so COPY parses numbers and dates exactly as
  // the merge will store them; a temporary table writes no WAL.
  await trx.raw(`create temporary table ${STAGE} (like ${q(ENTITIES[entity].table)}) on commit drop`);
  await trx.raw(`alter table ${STAGE} drop column updated_at, add column line integer not null${withRaw ? ', add column raw text' : ''}`);
}

async function indexStage(trx: Knex.Transaction, byLine: boolean): Promise<void> {
  // Temporary tables are never analysed automatically: without this the planner
  // guesses a tiny table and picks nested loops over a million rows. With the
  // statistics every check and the merge are hash joins, which need no index on code;
  // lines are looked up only to reject records (--max-errors).
  if (byLine) await trx.raw(`create index on ${STAGE} (line)`);
  await trx.raw(`analyze ${STAGE}`);
}

async function tuneChecks(trx: Knex.Transaction): Promise<void> {
  // The checks hash a million codes: at the default work_mem (4 MB) such a hash spilled
  // to disk in 8 batches (1.5 s, 0.8 s in memory). Only for this transaction; a hash
  // may then use up to twice this (hash_mem_multiplier).
  // JIT compiling: the merge's comparison of 17 columns cost more to compile than it
  // saved (1M unchanged services: 2.58 s with, 2.42 s without, medians of 3).
  await trx.raw(`set local work_mem = '${STAGED_WORK_MEM}'; set local jit = off`);
}

async function deleteAbsent(trx: Knex.Transaction, entity: EntityName): Promise<string[]> {
  const { table } = mergeNames(entity);
  return ((await trx.raw(`delete from ${table} where ${notInStage(table)} returning code`)) as { rows: Array<{ code: string }> }).rows.map((r) => r.code);
}

/**
 * One pass over the staging table: each staged record looks its stored one up through
 * the primary key, and only the new and the changed ones go on (materialized, so few
 * when little changed). A hash join would have to carry every column of a million
 * stored rows (~760 MB, spilled to disk in batches) to compare them; the lookups are
 * cheaper. Unchanged re-import of 1M services: an update and an anti-join insert took
 * 2.7 s + 1.2 s, this 2.5 s. Logged entities get the keys written back, others counts.
 */
function mergeSql(entity: EntityName, logged: boolean): string {
  const { table, cols, list, key, rest } = mergeNames(entity);
  const changed = `(${rest.map((c) => `t.${q(c)}`).join(', ')}) is distinct from (${rest.map((c) => `s.${q(c)}`).join(', ')})`;
  const set = [...rest.map((c) => `${q(c)} = d.${q(c)}`), 'updated_at = ?::timestamptz'].join(', ');
  return `with d as materialized (
        select ${cols.map((c) => `s.${q(c)}`).join(', ')}, t.${key} is null as fresh
        from ${STAGE} s left join ${table} t on t.${key} = s.${key}
        where t.${key} is null or ${changed}),
      u as (update ${table} set ${set} from d where not d.fresh and ${table}.${key} = d.${key} returning ${table}.${key} as code),
      i as (insert into ${table} (${list}, updated_at) select ${cols.map((c) => `d.${q(c)}`).join(', ')}, ?::timestamptz from d where d.fresh returning ${key} as code)
      ${logged ? 'select true as u, code from u union all select false as u, code from i' : 'select (select count(*) from u) as updated, (select count(*) from i) as inserted'}`;
}

async function mergeStage(trx: Knex.Transaction, entity: EntityName, staged: number, now: string, keys: boolean): Promise<MergeCounts> {
  const { table, list } = mergeNames(entity);
  if (await intoEmptyKeysless(trx, entity, keys)) {
    await timed('merge (into an empty table)', () => trx.raw(`insert into ${table} (${list}, updated_at) select ${list}, ? from ${STAGE}`, [now]));
    return { inserted: staged, updated: 0, unchanged: 0, written: [] };
  }
  if (!ENTITIES[entity].logged) {
    // Nobody needs the keys back (no registry log): counts only, not millions of rows.
    // (Applications: a probe per staged record would visit every monthly partition's
    // index, so the planner chooses.)
    const [c] = await timed('merge', () => selectRows<{ updated: number | string; inserted: number | string }>(trx, mergeSql(entity, false), [now, now]));
    const u = Number(c!.updated);
    const n = Number(c!.inserted);
    return { inserted: n, updated: u, unchanged: staged - n - u, written: [] };
  }
  // The lookup through the primary key, whatever the statistics say: a table analyzed while
  // empty (the registry log's migration does) looks free to scan, and a sequential scan per
  // staged record then walks every row the insert below has added so far — quadratic: 130,000
  // agencies into an empty table took 152 s instead of 0.8 s.
  await trx.raw('set local enable_hashjoin = off; set local enable_mergejoin = off; set local enable_seqscan = off');
  const rows = await timed('merge', () => selectRows<{ u: boolean; code: string }>(trx, mergeSql(entity, true), [now, now]));
  await trx.raw('set local enable_hashjoin to default; set local enable_mergejoin to default; set local enable_seqscan to default');
  return mergedCounts(staged, rows.filter((r) => r.u).map((r) => r.code), rows.filter((r) => !r.u).map((r) => r.code));
}

export const pgImport: ImportDialect = {
  name: 'pg',
  byteStrings: true,
  directLoad: true,
  monthPartitions: true,
  async begin() {},
  async lockWriters(trx, table) {
    await trx.raw(`lock table ${q(table)} in share row exclusive mode`);
  },
  prepareDirect: prepareDirectTable,
  rowWriter,
  createStage,
  indexStage,
  tuneChecks,
  deleteAbsent,
  mergeStage,
  // on commit drop
  async dropStage() {},
};
