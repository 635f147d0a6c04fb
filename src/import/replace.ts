import type { Knex } from 'knex';
import { defaultBackupPath, writeBackup } from '../registry/backup.js';
import { ENTITIES } from '../records/fields.js';
import { confirmDestructive } from '../prompts/destructive.js';
import { countAbsent } from './merge.js';
import type { ImportRun } from './run.js';
import { STAGE } from './stage-columns.js';
import { testPause } from '../db/test-pause.js';

// --mode replace deletes the stored records absent from the file: SPEC §6 applies — say
// how many on which target, dry-run says only that, ask or need --yes, back them up first.

/** replace: say what will be deleted, ask (SPEC §6), back the records up, delete them; returns their codes. */
export async function replaceAbsent(run: ImportRun, trx: Knex.Transaction): Promise<string[]> {
  const { db, o, env, report } = run;
  const { entity } = o;
  const sourceName = run.source.sourceName;
  const absent = await countAbsent(trx, entity);
  if (absent === 0) return [];
  const what = `${absent} ${absent === 1 ? ENTITIES[entity].noun : entity}`;
  // A target given as a URL is named by its database, not its URL: the file name stays short
  // and holds nothing that redaction would mask when the path is printed.
  const name = db.target.name === db.target.displayUrl ? db.target.database : db.target.name;
  const backup = o.backup === null ? null : (o.backup ?? defaultBackupPath(env.dataDir, name, entity));
  const decision = await confirmDestructive({
    action: `delete ${what} absent from ${sourceName}`,
    target: { name: db.target.name, displayUrl: db.target.displayUrl, database: db.target.database },
    details: [
      `${what} stored on the target, whose code is not in ${sourceName}, will be deleted (mode replace)`,
      backup ? `they will be backed up first to ${backup}` : 'no backup will be written (--no-backup)',
    ],
  }, { dryRun: o.dryRun, yes: env.yes, logger: env.logger, prompter: env.prompter });
  if (decision === 'proceed' && backup) {
    const notInStage = (qb: Knex.QueryBuilder) => qb.whereNotExists(function (this: Knex.QueryBuilder) {
      this.select(trx.raw('1')).from(STAGE).whereRaw(`${STAGE}.code = ${ENTITIES[entity].table}.code`);
    });
    const b = await writeBackup(trx, entity, notInStage, backup);
    report.backup = b.path;
    env.logger.info(`backup of the ${b.rows} deleted ${entity}: ${b.path}`);
  }
  env.signal.throwIfAborted();
  await testPause('delete', (s) => env.logger.warn(s), env.signal, trx, db.dialect);
  const deleted = await run.dialect.deleteAbsent(trx, entity);
  report.deleted = deleted.length;
  return deleted;
}
