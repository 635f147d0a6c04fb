import fs from 'node:fs';
import type { Knex } from 'knex';
import type { Db } from '../db/connect.js';
import { DatabaseError } from '../errors.js';
import { writeBackup, type BackupResult } from './backup.js';
import { ENTITIES } from '../records/fields.js';
import { throwIfAborted, transaction } from './tx.js';
import { lockLog } from './log-store.js';
import { recordChanges } from './write-path.js';

// `registry purge`: delete services for good (SPEC §6). What is deleted is what the
// backup holds: both happen in one transaction that sees one snapshot (repeatable read
// on PostgreSQL; SQLite has a single writer), and a difference rolls everything back.

export interface PurgeCriteria {
  status: string[];
  /** services whose effective_to is before this day (YYYY-MM-DD); none without effective_to */
  before?: string;
}

export function purgeWhere(c: PurgeCriteria): (qb: Knex.QueryBuilder) => Knex.QueryBuilder {
  return (qb) => {
    qb.whereIn('status', c.status);
    if (c.before) qb.whereNotNull('effective_to').where('effective_to', '<', c.before);
    return qb;
  };
}

/** How many services the purge would delete, by status (statuses with none left out). */
export async function countPurge(db: Db, c: PurgeCriteria): Promise<{ total: number; byStatus: Record<string, number> }> {
  const rows = (await purgeWhere(c)(db.knex(ENTITIES.services.table).select('status').count({ n: '*' })).groupBy('status').orderBy('status')) as Array<{ status: string; n: number | string }>;
  const byStatus: Record<string, number> = {};
  for (const r of rows) byStatus[r.status] = Number(r.n);
  return { total: Object.values(byStatus).reduce((a, b) => a + b, 0), byStatus };
}

export interface PurgeResult {
  deleted: number;
  backup: BackupResult | null;
}

export async function purgeServices(db: Db, c: PurgeCriteria, opts: { backupFile: string | null; signal?: AbortSignal }): Promise<PurgeResult> {
  const table = ENTITIES.services.table;
  const where = purgeWhere(c);
  // writeBackup builds its query once per page: checking there stops a long backup at once.
  const pagedWhere = (qb: Knex.QueryBuilder) => {
    throwIfAborted(opts.signal);
    return where(qb);
  };
  let backup: BackupResult | null = null;
  try {
    return await transaction(db, async (trx) => {
      // First, before the snapshot this repeatable-read transaction reads is taken: the
      // log's head read later must be the latest (log-store.ts).
      await lockLog(trx);
      throwIfAborted(opts.signal);
      if (opts.backupFile) backup = await writeBackup(trx, 'services', pagedWhere, opts.backupFile);
      throwIfAborted(opts.signal);
      // The codes, from the snapshot the delete sees (knex has no RETURNING on SQLite).
      const codes = ((await where(trx(table).select('code'))) as Array<{ code: string }>).map((r) => r.code);
      const deleted = Number(await where(trx(table)).delete());
      if (deleted !== codes.length) throw new DatabaseError(`the services changed while they were being purged (${codes.length} found, ${deleted} matched at delete); nothing was deleted — run the purge again`);
      if (backup && backup.rows !== deleted) {
        throw new DatabaseError(`the services changed while they were being purged (${backup.rows} backed up, ${deleted} matched at delete); nothing was deleted — run the purge again`);
      }
      await recordChanges(trx, [{ entity: 'services', deletes: codes, puts: [] }], { timestamp: new Date().toISOString() });
      throwIfAborted(opts.signal);
      return { deleted, backup };
    }, opts.signal);
  } catch (err) {
    // Nothing was deleted: a backup of records still in the database would only mislead.
    if (backup) fs.rmSync((backup as BackupResult).path, { force: true });
    throw err;
  }
}
