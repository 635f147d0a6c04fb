import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { Knex } from 'knex';
import type { EntityName } from '../records/fields.js';
import { fromRow, toJsonText } from '../records/db-row.js';
import { outputError, startAtomicFile } from '../io/atomic-file.js';
import { EgovError } from '../errors.js';
import { keysetRows } from '../db/entity-rows.js';

// SPEC §6: before deleting records (import --mode replace, registry purge, db reset) write
// them to a backup file in the export format. NDJSON, because it keeps every value exactly
// and `egovctl import <entity> <backup>` restores it as it is.

export interface BackupResult {
  path: string;
  rows: number;
}

export function defaultBackupPath(dataDir: string, targetName: string, entity: EntityName, now = new Date()): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const safe = targetName.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 60);
  return path.join(dataDir, 'backups', `${safe}-${entity}-${stamp}.ndjson`);
}

/**
 * Writes the rows that `where` selects, ordered by key (code; id for applications), a page
 * at a time by keyset (memory stays flat for millions of applications), inside the caller's transaction
 * (so that what is backed up is exactly what is then deleted). The file is written
 * atomically (io/atomic-file.ts): a backup is either whole or absent.
 */
export async function writeBackup(
  trx: Knex | Knex.Transaction,
  entity: EntityName,
  where: (qb: Knex.QueryBuilder) => Knex.QueryBuilder,
  file: string,
): Promise<BackupResult> {
  // the backups directory, like the data directory, is the user's alone
  const f = startAtomicFile(file, { mkdir: 0o700, mode: 0o600, devices: false });
  let rows = 0;
  const pageSize = 5000;
  async function* lines(): AsyncGenerator<string> {
    for await (const r of keysetRows(trx, entity, where, pageSize)) {
      rows++;
      yield `${toJsonText(entity, fromRow(entity, r))}\n`;
    }
  }
  try {
    await pipeline(Readable.from(lines()), f.stream);
  } catch (err) {
    await f.abort();
    // a full disk or a bad path is the user's to fix (exit 2), not a bug
    const e = err as NodeJS.ErrnoException;
    if (!(err instanceof EgovError) && typeof e?.code === 'string' && e.syscall) throw outputError(file, err);
    throw err;
  }
  await f.commit();
  return { path: file, rows };
}
