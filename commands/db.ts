import path from 'node:path';
import type { Command } from 'commander';
import { writeJson } from '../src/output/json.js';
import { ENTITIES, entityOfTable, type EntityName } from '../src/records/fields.js';
import type { TableCount } from '../src/registry/reset.js';
import type { Ctx } from './context.js';
import type { Bind } from './bind.js';
import { backupOption, dryRunOption, noBackupOption } from './options.js';
import { runOnDb } from './run.js';

export function registerDb(program: Command, bind: Bind): void {
  const db = program
    .command('db')
    .description('the database as a whole: reset')
    .addHelpText('after', '\nExamples:\n  egovctl db reset --dry-run');

  db.command('reset')
    .description('drop every table of the tool, data included: agencies, services, applications (with their monthly partitions), the registry log, audit_log, egovctl_migrations (destructive)')
    .addOption(dryRunOption('say what would be dropped; change nothing'))
    .addOption(backupOption('--backup <dir>', 'write the backups (agencies, services and applications, NDJSON) into this directory instead of the data directory'))
    .addOption(noBackupOption('drop without writing backups'))
    .addHelpText('after', [
      '',
      'On a terminal you are asked to type the database name; --yes skips that.',
      'Afterwards `egovctl migrate latest` creates an empty schema; the backups restore with',
      '`egovctl import agencies <file>`, then `egovctl import services <file>`, then',
      '`egovctl import applications <file>`.',
      '',
      'Examples:',
      '  egovctl db reset --dry-run',
      '  egovctl db reset',
      '  egovctl --db sqlite:./test.sqlite db reset --yes --no-backup',
    ].join('\n'))
    .action(bind(reset));
}

export interface ResetReport {
  target: string;
  dry_run: boolean;
  tables: TableCount[];
  dropped: number;
  backups: Array<{ entity: EntityName; path: string; rows: number }>;
}

async function reset(ctx: Ctx, o: { dryRun?: boolean; backup?: string | false }): Promise<number> {
  const target = ctx.singleTarget();
  const [{ describeTarget }, { applicationPartitions }, { confirmDestructive }, { defaultBackupPath }, { backedUp, planReset, resetDatabase }] = await Promise.all([
    import('../src/db/connect.js'), import('../src/db/drop-plan.js'), import('../src/prompts/destructive.js'), import('../src/registry/backup.js'), import('../src/registry/reset.js'),
  ]);
  const dryRun = !!o.dryRun;
  const now = new Date();
  const backupPath = o.backup === false
    ? null
    : (e: EntityName) => (o.backup ? path.join(path.resolve(ctx.cwd, o.backup), path.basename(defaultBackupPath('', target.name, e, now))) : defaultBackupPath(ctx.config().dataDir, target.name, e, now));
  // On success the audit table is gone with the rest, so only a reset that did not happen
  // (refused, failed, interrupted) is recorded.
  const report = await runOnDb(ctx, target, async (db) => {
    const base: ResetReport = { target: target.name, dry_run: dryRun, tables: [], dropped: 0, backups: [] };
    const counts = () => Object.fromEntries(base.tables.map((t) => [t.table, t.rows]));
    try {
      base.tables = await planReset(db);
      if (!base.tables.length) {
        ctx.logger.info(`Target ${describeTarget(target)} has no tables of egovctl: nothing to drop.`);
        return { result: base };
      }
      const partitions = await applicationPartitions(db);
      const details = base.tables.map((t) => `drops table ${t.table} with ${t.rows} row${t.rows === 1 ? '' : 's'}${entityOfTable(t.table)?.monthlyPartitions && partitions ? ` in ${partitions} monthly partition${partitions === 1 ? '' : 's'}` : ''}`);
      if (backupPath) {
        for (const e of backedUp()) {
          if (base.tables.some((t) => t.table === ENTITIES[e].table)) details.push(`backup of ${e} first to ${backupPath(e)}`);
        }
      } else details.push('no backup (--no-backup): the records cannot be restored');
      const decision = await confirmDestructive(
        { action: 'drop every table of egovctl', target, details, typeToConfirm: target.database },
        { dryRun, yes: !!ctx.opts.yes, logger: ctx.logger, prompter: ctx.prompter },
      );
      if (decision !== 'proceed') return { result: base, counts: counts() };
      const r = await resetDatabase(db, { backupPath, signal: ctx.signal });
      return { result: { ...base, tables: r.dropped, dropped: r.dropped.length, backups: r.backups.map((b) => ({ entity: b.entity, path: b.path, rows: b.rows })) } };
    } catch (err) {
      throw Object.assign(err as object, { counts: counts() });
    }
  }, { audit: dryRun ? false : 'unless-ok' });
  if (ctx.opts.json) writeJson(ctx.stdout, report);
  else if (report.dropped) {
    ctx.report.write(`dropped ${report.tables.map((t) => t.table).join(', ')} on target ${target.name}\n`);
    for (const b of report.backups) ctx.report.write(`backup of ${b.rows} ${b.entity}: ${b.path}\n`);
    if (!report.backups.length) ctx.report.write('no backup was written (--no-backup)\n');
    ctx.logger.info('The audit trail went with the tables, so this reset is not in it. `egovctl migrate latest` creates an empty schema.');
  }
  return 0;
}
