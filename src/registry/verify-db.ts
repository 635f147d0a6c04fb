import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import type { Knex } from 'knex';
import type { Db } from '../db/connect.js';
import { fromRow, toJsonText } from '../records/db-row.js';
import { ENTITIES, REGISTRY_ENTITY_NAMES, type EntityName } from '../records/fields.js';
import { writeLog } from './log-file.js';
import { HEADS_TABLE } from './log-store.js';
import type { VerifierKey } from './log/note-keys.js';
import { verifyLog, type CheckpointInput, type LogVerifyReport } from './log/verify-log.js';

// `registry verify` against the database. Not a second verifier: the stored log is written
// out as the log file (its stored bytes, as they are) and each table as the NDJSON export
// would write it, from one snapshot, and the file verifier checks them — the same code path
// as `registry verify --log … --snapshot …`, so the database and a third party can never
// disagree about what verifies. The stored tree heads are checked as checkpoints are.

const PAGE = 5000;

async function writeTable(trx: Knex, entity: EntityName, file: string): Promise<number> {
  const out = fs.createWriteStream(file);
  let n = 0;
  let after: string | null = null;
  for (;;) {
    let q = trx(ENTITIES[entity].table).select('*').orderBy('code').limit(PAGE);
    if (after !== null) q = q.where('code', '>', after);
    const rows = (await q) as Array<Record<string, unknown>>;
    for (const r of rows) {
      if (!out.write(`${toJsonText(entity, fromRow(entity, r))}\n`)) await once(out, 'drain');
      n++;
    }
    if (rows.length < PAGE) break;
    after = String(rows[rows.length - 1]!.code);
  }
  out.end();
  await once(out, 'finish');
  return n;
}

export interface VerifyDbOptions {
  checkpoints?: readonly CheckpointInput[];
  keys?: readonly VerifierKey[];
  maxIssues?: number;
  /** the verification of the audit chain (src/audit/), when the lead wires it in: its issues join the report */
  extraChecks?: (trx: Knex) => Promise<LogVerifyReport['issues']>;
}

export async function verifyDatabase(db: Db, o: VerifyDbOptions): Promise<LogVerifyReport & { tables: Record<string, number> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'egovctl-verify-'));
  try {
    const trx = await db.adapter.snapshots.readSnapshot(db.knex);
    const tables: Record<string, number> = {};
    let heads: Array<{ size: number; root: Buffer; name: string }>;
    let extra: LogVerifyReport['issues'] = [];
    const logFile = path.join(dir, 'registry.log');
    try {
      // JIT compiling these page queries cost more than running them (116 of 172 ms a page)
      await db.adapter.planner.manySmallQueries(trx);
      const out = fs.createWriteStream(logFile);
      await writeLog(trx, out);
      out.end();
      await once(out, 'finish');
      for (const e of REGISTRY_ENTITY_NAMES) tables[e] = await writeTable(trx, e, path.join(dir, `${e}.ndjson`));
      const rows = (await trx(HEADS_TABLE).select('size', 'root').orderBy('size')) as Array<{ size: number | string; root: string }>;
      heads = rows.map((h) => ({ size: Number(h.size), root: Buffer.from(h.root, 'base64'), name: `the stored tree head` }));
      if (o.extraChecks) extra = await o.extraChecks(trx);
    } finally {
      await trx.rollback().catch(() => {});
    }
    const r = await verifyLog({
      log: logFile,
      checkpoints: o.checkpoints,
      keys: o.keys,
      heads,
      snapshots: REGISTRY_ENTITY_NAMES.map((e) => ({ entity: e, file: path.join(dir, `${e}.ndjson`), name: `the ${ENTITIES[e].table} table` })),
      maxIssues: o.maxIssues,
    });
    for (const i of extra) {
      r.issues.push(i);
      if (i.severity === 'error') r.errors++;
      else r.warnings++;
    }
    r.valid = r.errors === 0;
    r.source = db.target.name;
    return { ...r, tables };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
