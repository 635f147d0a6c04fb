import fs from 'node:fs';
import type { Db } from '../db/connect.js';
import { countTables, type DroppedTable } from '../db/drop-plan.js';
import { LOCK_KEY, MIGRATIONS_TABLE } from '../db/migrator.js';
import { ConflictError } from '../errors.js';
import { writeBackup, type BackupResult } from './backup.js';
import { ENTITIES, parentsFirst, type EntityName } from '../records/fields.js';
import { throwIfAborted, transaction } from './tx.js';
import { LOG_TABLES } from './log-store.js';

// `db reset`: drop every table of the tool, data included (SPEC §4, §6). One transaction
// (both dialects have transactional DDL): the backups are written from the same snapshot,
// and an interrupt or error leaves every table as it was.

/**
 * In drop order: children before their parents (services refer to agencies; applications
 * refer to both, without a foreign key), then the log, the audit trail and the bookkeeping.
 */
export function toolTables(): string[] {
  return [...parentsFirst().reverse().map((d) => d.table), ...LOG_TABLES, 'audit_log', MIGRATIONS_TABLE];
}
/** Records worth a backup, parents first; the audit trail and the migration bookkeeping are not records. */
export function backedUp(): EntityName[] {
  return parentsFirst().map((d) => d.name);
}
/** Created by the append-only migrations (PostgreSQL's trigger functions); they go with their tables. */
const TOOL_FUNCTIONS = ['egovctl_audit_append_only()', 'egovctl_registry_log_append_only()'];

export type TableCount = DroppedTable;

/** The tool's tables that exist, with their row counts. */
export function planReset(db: Db): Promise<TableCount[]> {
  return countTables(db, toolTables());
}

export interface ResetResult {
  dropped: TableCount[];
  backups: Array<BackupResult & { entity: EntityName }>;
}

export async function resetDatabase(db: Db, opts: { backupPath: ((e: EntityName) => string) | null; signal?: AbortSignal }): Promise<ResetResult> {
  const backups: ResetResult['backups'] = [];
  try {
    return await transaction(db, async (trx) => {
      // Not while a migration run holds its lock; and do not wait forever for a table
      // that another session is using.
      if (!(await db.adapter.locks.excludeMigrations(trx, { key: LOCK_KEY, waitMs: 15_000 }))) {
        throw new ConflictError('a migration run holds the migration lock; reset when it ends (or clear a stale lock with egovctl migrate unlock)');
      }
      await db.adapter.schema.deferForeignKeys(trx);
      const dropped = await countTables({ knex: trx }, toolTables());
      for (const entity of backedUp()) {
        throwIfAborted(opts.signal);
        if (!opts.backupPath || !dropped.some((d) => d.table === ENTITIES[entity].table)) continue;
        const b = await writeBackup(trx, entity, (qb) => {
          // called once per page: a long backup stops at the interrupt
          throwIfAborted(opts.signal);
          return qb;
        }, opts.backupPath(entity));
        backups.push({ ...b, entity });
      }
      throwIfAborted(opts.signal);
      // on PostgreSQL an entity's partitions (applications' months: monthlyPartitions) go with its table
      for (const { table } of dropped) await trx.schema.dropTable(table);
      await db.adapter.schema.dropFunctions(trx, TOOL_FUNCTIONS);
      throwIfAborted(opts.signal);
      return { dropped, backups };
    }, opts.signal);
  } catch (err) {
    // The tables are still there: backups of data that was not dropped would mislead.
    for (const b of backups) fs.rmSync(b.path, { force: true });
    throw err;
  }
}
