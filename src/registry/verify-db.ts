import type { Knex } from 'knex';
import type { Db } from '../db/connect.js';
import { NO_FILTERS } from '../export/filters.js';
import { pgExportQuery } from '../export/pg-query.js';
import { fromRow, toJsonText } from '../records/db-row.js';
import { ENTITIES, REGISTRY_ENTITY_NAMES, type EntityName } from '../records/fields.js';
import { logFileChunks } from './log-file.js';
import { HEADS_TABLE } from './log-store.js';
import type { VerifierKey } from './log/note-keys.js';
import { verifyLog, type CheckpointInput, type LogVerifyReport } from './log/verify-log.js';

// `registry verify` against the database. Not a second verifier: the stored log is read
// out as the log file (its stored bytes, as they are) and each table as the NDJSON export
// writes it, from one snapshot, and the file verifier checks them — the same code path as
// `registry verify --log … --snapshot …`, so the database and a third party can never
// disagree about what verifies. The stored tree heads are checked as checkpoints are.
//
// Streamed, with no file in between: the log's bytes go to the verifier as they arrive, then
// each table's, so that the server formats while this process checks, and memory holds only
// the verifier's one hash per key; the log is read a second time (in the same snapshot) only
// to say which fields of a differing record differ. PostgreSQL sends both by COPY
// (log-file.ts, and the export's own query, pg-query.ts); SQLite's come a page at a time.

const PAGE = 5000;
const CHUNK = 64 * 1024;

/** A table as the NDJSON export writes it, in the snapshot `trx` reads. */
async function* tableBytes(trx: Knex, db: Db, entity: EntityName): AsyncGenerator<Buffer> {
  const copyOut = db.adapter.bulk.copyOut;
  if (copyOut) {
    // the export's COPY, with the session settings export/pg-source.ts gives it (jit is off
    // already: manySmallQueries): dates print as YYYY-MM-DD with a plain ::text
    const query = pgExportQuery(entity, 'ndjson', NO_FILTERS, false);
    await trx.raw("select set_config('datestyle', 'ISO, YMD', true)");
    for (const [name, value] of query.settings) await trx.raw('select set_config(?, ?, true)', [name, value]);
    yield* copyOut(trx, query.copy);
    return;
  }
  let after: string | null = null;
  for (;;) {
    let q = trx(ENTITIES[entity].table).select('*').orderBy('code').limit(PAGE);
    if (after !== null) q = q.where('code', '>', after);
    const rows = (await q) as Array<Record<string, unknown>>;
    let buf = '';
    for (const r of rows) {
      buf += `${toJsonText(entity, fromRow(entity, r))}\n`;
      if (buf.length >= CHUNK) {
        yield Buffer.from(buf, 'utf8');
        buf = '';
      }
    }
    if (buf) yield Buffer.from(buf, 'utf8');
    if (rows.length < PAGE) break;
    after = String(rows[rows.length - 1]!.code);
  }
}

export interface VerifyDbOptions {
  checkpoints?: readonly CheckpointInput[];
  keys?: readonly VerifierKey[];
  maxIssues?: number;
  /** the verification of the audit chain (src/audit/), when the lead wires it in: its issues join the report */
  extraChecks?: (trx: Knex) => Promise<LogVerifyReport['issues']>;
}

export async function verifyDatabase(db: Db, o: VerifyDbOptions): Promise<LogVerifyReport & { tables: Record<string, number> }> {
  const trx = await db.adapter.snapshots.readSnapshot(db.knex);
  const tables: Record<string, number> = {};
  let r: LogVerifyReport;
  let extra: LogVerifyReport['issues'] = [];
  try {
    // JIT compiling these queries cost more than running them (116 of 172 ms a page)
    await db.adapter.planner.manySmallQueries(trx);
    const rows = (await trx(HEADS_TABLE).select('size', 'root').orderBy('size')) as Array<{ size: number | string; root: string }>;
    const heads = rows.map((h) => ({ size: Number(h.size), root: Buffer.from(h.root, 'base64'), name: `the stored tree head` }));
    if (o.extraChecks) extra = await o.extraChecks(trx);
    r = await verifyLog({
      log: 'the registry log',
      logBytes: { read: () => logFileChunks(trx) },
      checkpoints: o.checkpoints,
      keys: o.keys,
      heads,
      snapshots: REGISTRY_ENTITY_NAMES.map((e) => ({
        entity: e,
        name: `the ${ENTITIES[e].table} table`,
        bytes: () => tableBytes(trx, db, e),
        records: (n: number) => {
          tables[e] = n;
        },
      })),
      maxIssues: o.maxIssues,
    });
  } finally {
    await trx.rollback().catch(() => {});
  }
  for (const i of extra) {
    r.issues.push(i);
    if (i.severity === 'error') r.errors++;
    else r.warnings++;
  }
  r.valid = r.errors === 0;
  r.source = db.target.name;
  return { ...r, tables };
}
