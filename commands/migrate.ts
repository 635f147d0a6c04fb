import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Db } from '../src/db/connect.js';
import { dbTimeouts } from '../src/db/timeouts.js';
import type * as migrator from '../src/db/migrator.js';
import { writeList } from './list-output.js';
import { writeJson } from '../src/output/json.js';
import type { Ctx } from './context.js';
import type { Bind } from './bind.js';
import { backupOption, dryRunOption, lockTimeoutOption, noBackupOption, nonNegativeInt } from './options.js';
import { runOnDb, runTargets } from './run.js';
import { UsageError } from '../src/errors.js';
import type { DroppedTable } from '../src/db/drop-plan.js';
import { ENTITIES, ENTITY_NAMES, type EntityName } from '../src/records/fields.js';

/** The migrator, loaded when a migrate command runs (not for --help: issue 18). */
const mig = () => import('../src/db/migrator.js');

/** --lock-timeout of the commands that take the migration lock (the global one says it for any lock) */
const MIGRATION_LOCK_TIMEOUT = 'wait this long for another run\'s lock, then exit 6';

const UNDO_HELP = [
  'The confirmation (and --dry-run) names each table the undo drops and how many rows it holds.',
  'Agencies, services and applications in a dropped table are first written to a backup (NDJSON,',
  'in the data directory unless --backup <dir>), in the same transaction; `egovctl migrate latest`',
  'then `egovctl import agencies|services|applications <file>` (in that order) restore them.',
  'Undoing the registry log\'s migration loses its history: the log file (SPEC §9) is written',
  'first, beside those backups (registry verify --log can still check it).',
].join('\n');

export function registerMigrate(program: Command, bind: Bind): void {
  const migrate = program
    .command('migrate')
    .description('migrate the schema: status, latest, up, down, rollback, unlock')
    .addHelpText('after', '\nExamples:\n  egovctl migrate status\n  egovctl migrate latest --dry-run\n  egovctl --target central migrate rollback --yes');

  migrate
    .command('status')
    .description('every migration: applied, pending, modified since it was applied, or missing')
    .addHelpText('after', '\nExamples:\n  egovctl migrate status --json\n  egovctl --all-targets migrate status')
    .action(bind(status));

  migrate
    .command('latest')
    .description('apply all pending migrations, in one transaction')
    .addOption(dryRunOption('print the SQL and change nothing'))
    .addOption(lockTimeoutOption(MIGRATION_LOCK_TIMEOUT))
    .addHelpText('after', '\nExamples:\n  egovctl migrate latest\n  egovctl migrate latest --dry-run\n  egovctl --all-targets migrate latest --json')
    .action(bind(async (ctx: Ctx, o: RunFlags) => apply(ctx, o, async (db, ro) => (await mig()).latest(db, ro), true)));

  migrate
    .command('up [name]')
    .description('apply the next pending migration, or every pending one up to <name>')
    .addOption(dryRunOption('print the SQL and change nothing'))
    .addOption(lockTimeoutOption(MIGRATION_LOCK_TIMEOUT))
    .addHelpText('after', '\nExamples:\n  egovctl migrate up\n  egovctl migrate up 20261128000001_schema_v1')
    .action(bind(async (ctx: Ctx, name: string | undefined, o: RunFlags) => apply(ctx, o, async (db, ro) => (await mig()).up(db, name, ro), false)));

  migrate
    .command('down [name]')
    .description('undo the last applied migration, or every one down to <name> (destructive)')
    .addOption(dryRunOption('say what would be undone (tables and their rows) and print the SQL; change nothing'))
    .addOption(lockTimeoutOption(MIGRATION_LOCK_TIMEOUT))
    .addOption(backupOption('--backup <dir>', 'write the backups of dropped agencies, services and applications (NDJSON) into this directory instead of the data directory'))
    .addOption(noBackupOption('drop tables holding rows without writing backups'))
    .addHelpText('after', `\n${UNDO_HELP}\n\nExamples:\n  egovctl migrate down --dry-run\n  egovctl migrate down --yes`)
    .action(bind(async (ctx: Ctx, name: string | undefined, o: UndoFlags) =>
      undo(ctx, o, { name }, async (db, ro) => (await mig()).down(db, name, ro))));

  migrate
    .command('rollback')
    .description('undo the last batch, the last N migrations, or all (destructive)')
    .option('--steps <n>', 'undo the last N migrations', nonNegativeInt('--steps'))
    .option('--all', 'undo every migration: every table and its data is dropped')
    .addOption(dryRunOption('say what would be undone (tables and their rows) and print the SQL; change nothing'))
    .addOption(lockTimeoutOption(MIGRATION_LOCK_TIMEOUT))
    .addOption(backupOption('--backup <dir>', 'write the backups of dropped agencies, services and applications (NDJSON) into this directory instead of the data directory'))
    .addOption(noBackupOption('drop tables holding rows without writing backups'))
    .addHelpText('after', `\n${UNDO_HELP}\n\nExamples:\n  egovctl migrate rollback --dry-run\n  egovctl migrate rollback --steps 1 --yes\n  egovctl migrate rollback --all --yes --backup /srv/backups`)
    .action(bind(async (ctx: Ctx, o: UndoFlags & { steps?: number; all?: boolean }) => {
      if (o.steps !== undefined && o.all) throw new UsageError('--steps and --all cannot be used together');
      const what = o.all ? { all: true } : o.steps !== undefined ? { steps: o.steps } : {};
      return undo(ctx, o, what, async (db, ro) => (await mig()).rollback(db, what, ro));
    }));

  migrate
    .command('unlock')
    .description('clear a migration lock left by a killed run (ends the session that holds it)')
    .addOption(dryRunOption('say who holds the lock; change nothing'))
    .addHelpText('after', '\nExamples:\n  egovctl migrate unlock --dry-run\n  egovctl migrate unlock --yes')
    .action(bind(unlock));
}

async function status(ctx: Ctx): Promise<number> {
  return runTargets(
    ctx,
    async (target) => {
      const st = await runOnDb(ctx, target, async (db) => ({ result: await (await mig()).migrationStatus(db) }));
      const result = { target: target.name, url: target.displayUrl, ...st };
      return { result, exitCode: st.modified || st.missing ? 6 : 0 };
    },
    async (r, target) => {
      await writeList(ctx, ['migration', 'state', 'batch', 'applied at'], r.migrations.map((m) => [m.name, paintState(ctx, m.state), m.batch, m.applied_at]), target);
      // the counts are a summary, not a row: on standard error when the lines are for a script
      const counts = `${r.applied} applied, ${r.pending} pending, ${r.modified} modified, ${r.missing} missing`;
      if (ctx.tsv) ctx.logger.info(counts);
      else ctx.report.write(`${counts}\n`);
    },
    { list: true },
  );
}

function paintState(ctx: Ctx, s: migrator.MigrationState): string {
  return s === 'applied' ? ctx.paint.green(s) : s === 'pending' ? ctx.paint.yellow(s) : ctx.paint.red(s);
}

type Runner = (db: Db, opts: migrator.RunOptions) => Promise<migrator.RunResult>;

interface RunFlags {
  dryRun?: boolean;
  lockTimeout?: number;
}

function runOptions(ctx: Ctx, o: RunFlags, dryRun = !!o.dryRun): migrator.RunOptions {
  return { dryRun, lockTimeoutMs: (o.lockTimeout ?? dbTimeouts().lock) * 1000, onLog: (l) => ctx.logger.info(l) };
}

function present(ctx: Ctx, r: migrator.RunResult & { target: string }): void {
  if (r.dryRun) {
    ctx.stdout.write(r.sql.length ? `${r.sql.map((s) => `${s};`).join('\n')}\n` : '-- nothing to do\n');
    ctx.logger.info(`dry run: ${r.migrations.length} migration${r.migrations.length === 1 ? '' : 's'} would be ${r.direction === 'up' ? 'applied' : 'undone'}; nothing was changed`);
    return;
  }
  if (!r.migrations.length) ctx.report.write(`target ${r.target}: ${r.direction === 'up' ? 'already up to date' : 'nothing to undo'}\n`);
  else ctx.report.write(`target ${r.target}: ${r.direction === 'up' ? `applied ${r.migrations.length} migration(s) as batch ${r.batch}` : `undid ${r.migrations.length} migration(s)`}: ${r.migrations.join(', ')}\n`);
}

async function apply(ctx: Ctx, o: RunFlags, run: Runner, multi: boolean): Promise<number> {
  if (!multi) ctx.singleTarget();
  return runTargets(
    ctx,
    async (target) => {
      const r = await runOnDb(ctx, target, async (db) => {
        const res = await run(db, runOptions(ctx, o));
        return { result: res, counts: { applied: res.dryRun ? 0 : res.migrations.length } };
      }, { audit: !o.dryRun });
      return { result: { target: target.name, ...r } };
    },
    (r) => present(ctx, r),
  );
}

interface UndoFlags extends RunFlags {
  /** a directory, false for --no-backup, undefined for the data directory */
  backup?: string | false;
}

interface UndoResult extends migrator.RunResult {
  /** the tables the undo drops, with the rows each held */
  tables: DroppedTable[];
  backups: Array<{ entity: EntityName; path: string; rows: number }>;
  /** the registry log file written before the log's tables were dropped */
  log_backup?: { path: string; entries: number } | null;
}

async function undo(ctx: Ctx, o: UndoFlags, what: { name?: string } | { steps?: number; all?: boolean }, run: Runner): Promise<number> {
  const target = ctx.singleTarget();
  const [{ applicationPartitions, countTables, droppedTables }, { defaultBackupPath, writeBackup }, { ENTRIES_TABLE }, { writeLogFile }, { confirmDestructive }] = await Promise.all([
    import('../src/db/drop-plan.js'), import('../src/registry/backup.js'), import('../src/registry/log-store.js'), import('../src/registry/log-file.js'), import('../src/prompts/destructive.js'),
  ]);
  const now = new Date();
  const backupPath = o.backup === false
    ? null
    : (e: EntityName) => (o.backup ? path.join(path.resolve(ctx.cwd, o.backup), path.basename(defaultBackupPath('', target.name, e, now))) : defaultBackupPath(ctx.config().dataDir, target.name, e, now));
  const r = await runOnDb(ctx, target, async (db) => {
    const names = await (await mig()).previewDown(db, what);
    if (!names.length) return { result: { direction: 'down' as const, migrations: [], batch: null, dryRun: !!o.dryRun, sql: [], tables: [], backups: [] } as UndoResult };
    // A dry run first: the SQL it captures says which tables go (whatever migration drops
    // them), and so how many rows would go with them.
    const preview = await run(db, { ...runOptions(ctx, o, true), onLog: undefined });
    const tables = await countTables(db, droppedTables(preview.sql));
    const entities = ENTITY_NAMES.filter((e) => tables.some((t) => t.table === ENTITIES[e].table && t.rows > 0));
    const details = [
      ...names.map((n) => `migration ${n}`),
      ...tables.map((t) => `drops table ${t.table} with ${t.rows} row${t.rows === 1 ? '' : 's'}`),
    ];
    // applications are the facts deadlines are measured by: say in words what goes
    const apps = tables.find((t) => t.table === ENTITIES.applications.table);
    if (apps && apps.rows > 0) {
      const partitions = await applicationPartitions(db);
      details.push(`${apps.rows} application${apps.rows === 1 ? '' : 's'} will be lost with the table${partitions ? ` (and its ${partitions} monthly partition${partitions === 1 ? '' : 's'})` : ''}`);
    }
    if (entities.length) {
      if (backupPath) for (const e of entities) details.push(`backup of ${e} first to ${backupPath(e)}`);
      else details.push('no backup (--no-backup): the records cannot be restored');
    }
    // The registry log's history cannot be rebuilt from the records: say so, keep its file.
    const log = tables.find((t) => t.table === ENTRIES_TABLE);
    const logPath = log && log.rows > 0 && backupPath ? backupPath('services').replace(/-services-([^/\\]*)\.ndjson$/, '-registry-log-$1.log') : null;
    if (log && log.rows > 0) {
      details.push(`the registry log's history (${log.rows} entr${log.rows === 1 ? 'y' : 'ies'}) will be lost${logPath ? `; the log file is written first to ${logPath}` : ' (--no-backup: no copy is kept)'}`);
    }
    const decision = await confirmDestructive({
      action: `undo ${names.length} migration${names.length > 1 ? 's' : ''}`,
      target,
      details,
    }, { dryRun: !!o.dryRun, yes: !!ctx.opts.yes, logger: ctx.logger, prompter: ctx.prompter });
    if (decision === 'dry-run') return { result: { ...preview, tables, backups: [] } as UndoResult };
    const backups: UndoResult['backups'] = [];
    let logBackup: UndoResult['log_backup'] = null;
    const res = await run(db, {
      ...runOptions(ctx, o, false),
      // in the undo's own transaction, before anything is dropped (as db reset does)
      beforeRun: async (trx) => {
        if (!backupPath) return;
        for (const e of entities) backups.push({ entity: e, ...(await writeBackup(trx, e, (qb) => qb, backupPath(e))) });
        if (logPath) {
          fs.mkdirSync(path.dirname(logPath), { recursive: true });
          const f = await writeLogFile(trx, logPath);
          logBackup = { path: f.path, entries: f.entries };
        }
      },
    });
    return {
      result: { ...res, tables, backups, log_backup: logBackup } as UndoResult,
      counts: { undone: res.migrations.length, ...(backups.length ? { backed_up: Object.fromEntries(backups.map((b) => [b.entity, b.rows])) } : {}) },
    };
  }, { audit: !o.dryRun });
  const result = { target: target.name, ...r };
  if (ctx.opts.json) {
    writeJson(ctx.stdout, result);
  } else {
    present(ctx, result);
    if (!result.dryRun && result.migrations.length) {
      for (const b of result.backups) ctx.report.write(`backup of ${b.rows} ${b.entity}: ${b.path}\n`);
      if (result.log_backup) ctx.report.write(`registry log (${result.log_backup.entries} entries): ${result.log_backup.path}\n`);
      if (o.backup === false && result.tables.some((t) => t.rows > 0)) ctx.report.write('no backup was written (--no-backup)\n');
    }
  }
  return 0;
}

async function unlock(ctx: Ctx, o: { dryRun?: boolean }): Promise<number> {
  const target = ctx.singleTarget();
  const { confirmDestructive } = await import('../src/prompts/destructive.js');
  const result = await runOnDb(ctx, target, async (db) => {
    const st = await (await mig()).lockState(db);
    if (!st.locked) {
      ctx.logger.info(`target ${target.name}: no migration lock is held`);
      return { result: { target: target.name, locked: false, cleared: false, pid: null as number | null } };
    }
    const decision = await confirmDestructive({
      action: 'clear the migration lock',
      target,
      details: [st.pid ? `ends server session ${st.pid} (${st.application || 'unknown application'}), holding the lock since ${st.since ?? 'unknown'}; its open migration transaction is rolled back` : 'the lock is held by another process'],
    }, { dryRun: !!o.dryRun, yes: !!ctx.opts.yes, logger: ctx.logger, prompter: ctx.prompter });
    if (decision === 'dry-run') return { result: { target: target.name, locked: true, cleared: false, pid: st.pid ?? null } };
    const r = await (await mig()).unlock(db);
    return { result: { target: target.name, locked: true, cleared: r.cleared, pid: r.pid ?? null }, counts: { cleared: r.cleared ? 1 : 0 } };
  }, { audit: !o.dryRun });
  if (ctx.opts.json) {
    writeJson(ctx.stdout, result);
  } else if (result.cleared) ctx.report.write(`target ${target.name}: migration lock cleared\n`);
  return 0;
}
