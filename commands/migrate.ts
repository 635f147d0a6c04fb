import type { Command } from 'commander';
import type { Db } from '../src/db/connect.js';
import * as migrator from '../src/db/migrator.js';
import { confirmDestructive } from '../src/prompts/destructive.js';
import { renderTable } from '../src/output/table.js';
import { writeJson } from '../src/output/json.js';
import type { Ctx } from './context.js';
import type { Bind } from './program.js';
import { nonNegativeInt } from './program.js';
import { runOnDb, runTargets } from './run.js';
import { UsageError } from '../src/errors.js';

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
    .option('--dry-run', 'print the SQL and change nothing')
    .option('--lock-timeout <seconds>', 'wait this long for another run\'s lock, then exit 6', nonNegativeInt('--lock-timeout'))
    .addHelpText('after', '\nExamples:\n  egovctl migrate latest\n  egovctl migrate latest --dry-run\n  egovctl --all-targets migrate latest --json')
    .action(bind(async (ctx: Ctx, o: RunFlags) => apply(ctx, o, (db, ro) => migrator.latest(db, ro), true)));

  migrate
    .command('up [name]')
    .description('apply the next pending migration, or every pending one up to <name>')
    .option('--dry-run', 'print the SQL and change nothing')
    .option('--lock-timeout <seconds>', 'wait this long for another run\'s lock, then exit 6', nonNegativeInt('--lock-timeout'))
    .addHelpText('after', '\nExamples:\n  egovctl migrate up\n  egovctl migrate up 20261128000001_schema_v1')
    .action(bind(async (ctx: Ctx, name: string | undefined, o: RunFlags) => apply(ctx, o, (db, ro) => migrator.up(db, name, ro), false)));

  migrate
    .command('down [name]')
    .description('undo the last applied migration, or every one down to <name> (destructive)')
    .option('--dry-run', 'say what would be undone and print the SQL; change nothing')
    .option('--lock-timeout <seconds>', 'wait this long for another run\'s lock, then exit 6', nonNegativeInt('--lock-timeout'))
    .addHelpText('after', '\nExamples:\n  egovctl migrate down --dry-run\n  egovctl migrate down --yes')
    .action(bind(async (ctx: Ctx, name: string | undefined, o: RunFlags) =>
      undo(ctx, o, { name }, (db, ro) => migrator.down(db, name, ro))));

  migrate
    .command('rollback')
    .description('undo the last batch, the last N migrations, or all (destructive)')
    .option('--steps <n>', 'undo the last N migrations', nonNegativeInt('--steps'))
    .option('--all', 'undo every migration: every table and its data is dropped')
    .option('--dry-run', 'say what would be undone and print the SQL; change nothing')
    .option('--lock-timeout <seconds>', 'wait this long for another run\'s lock, then exit 6', nonNegativeInt('--lock-timeout'))
    .addHelpText('after', '\nExamples:\n  egovctl migrate rollback --dry-run\n  egovctl migrate rollback --steps 1 --yes\n  egovctl migrate rollback --all --yes')
    .action(bind(async (ctx: Ctx, o: RunFlags & { steps?: number; all?: boolean }) => {
      if (o.steps !== undefined && o.all) throw new UsageError('--steps and --all cannot be used together');
      const what = o.all ? { all: true } : o.steps !== undefined ? { steps: o.steps } : {};
      return undo(ctx, o, what, (db, ro) => migrator.rollback(db, what, ro));
    }));

  migrate
    .command('unlock')
    .description('clear a migration lock left by a killed run (ends the session that holds it)')
    .option('--dry-run', 'say who holds the lock; change nothing')
    .addHelpText('after', '\nExamples:\n  egovctl migrate unlock --dry-run\n  egovctl migrate unlock --yes')
    .action(bind(unlock));
}

async function status(ctx: Ctx): Promise<number> {
  return runTargets(
    ctx,
    async (target) => {
      const st = await runOnDb(ctx, target, async (db) => ({ result: await migrator.migrationStatus(db) }));
      const result = { target: target.name, url: target.displayUrl, ...st };
      return { result, exitCode: st.modified || st.missing ? 6 : 0 };
    },
    (r) => {
      ctx.stdout.write(`${renderTable(['migration', 'state', 'batch', 'applied at'], r.migrations.map((m) => [m.name, paintState(ctx, m.state), m.batch, m.applied_at]))}\n`);
      ctx.stdout.write(`${r.applied} applied, ${r.pending} pending, ${r.modified} modified, ${r.missing} missing\n`);
    },
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
  return { dryRun, lockTimeoutMs: (o.lockTimeout ?? (ctx.opts as { lockTimeout?: number }).lockTimeout ?? 60) * 1000, onLog: (l) => ctx.logger.info(l) };
}

function present(ctx: Ctx, r: migrator.RunResult & { target: string }): void {
  if (r.dryRun) {
    ctx.stdout.write(r.sql.length ? `${r.sql.map((s) => `${s};`).join('\n')}\n` : '-- nothing to do\n');
    ctx.logger.info(`dry run: ${r.migrations.length} migration${r.migrations.length === 1 ? '' : 's'} would be ${r.direction === 'up' ? 'applied' : 'undone'}; nothing was changed`);
    return;
  }
  if (!r.migrations.length) ctx.stdout.write(`target ${r.target}: ${r.direction === 'up' ? 'already up to date' : 'nothing to undo'}\n`);
  else ctx.stdout.write(`target ${r.target}: ${r.direction === 'up' ? `applied ${r.migrations.length} migration(s) as batch ${r.batch}` : `undid ${r.migrations.length} migration(s)`}: ${r.migrations.join(', ')}\n`);
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

async function undo(ctx: Ctx, o: RunFlags, what: { name?: string } | { steps?: number; all?: boolean }, run: Runner): Promise<number> {
  const target = ctx.singleTarget();
  const r = await runOnDb(ctx, target, async (db) => {
    const names = await migrator.previewDown(db, what);
    if (!names.length) return { result: { direction: 'down' as const, migrations: [], batch: null, dryRun: !!o.dryRun, sql: [] } };
    const tables = names.some((n) => n.endsWith('schema_v1')) ? await tableCounts(db) : [];
    const decision = await confirmDestructive({
      action: `undo ${names.length} migration${names.length > 1 ? 's' : ''}`,
      target,
      details: [
        ...names.map((n) => `migration ${n}`),
        ...tables.map((t) => `drops table ${t.table} with ${t.rows} row${t.rows === 1 ? '' : 's'}`),
      ],
    }, { dryRun: !!o.dryRun, yes: !!ctx.opts.yes, logger: ctx.logger, prompter: ctx.prompter });
    const res = await run(db, runOptions(ctx, o, decision === 'dry-run'));
    return { result: res, counts: { undone: res.dryRun ? 0 : res.migrations.length } };
  }, { audit: !o.dryRun });
  const result = { target: target.name, ...r };
  if (ctx.opts.json) {
    writeJson(ctx.stdout, result);
  } else present(ctx, result);
  return 0;
}

async function tableCounts(db: Db): Promise<Array<{ table: string; rows: number }>> {
  const out: Array<{ table: string; rows: number }> = [];
  for (const table of ['agencies', 'services', 'audit_log']) {
    if (await db.knex.schema.hasTable(table)) {
      const [row] = await db.knex(table).count({ n: '*' });
      out.push({ table, rows: Number((row as { n: number | string }).n) });
    }
  }
  return out;
}

async function unlock(ctx: Ctx, o: { dryRun?: boolean }): Promise<number> {
  const target = ctx.singleTarget();
  const result = await runOnDb(ctx, target, async (db) => {
    const st = await migrator.lockState(db);
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
    const r = await migrator.unlock(db);
    return { result: { target: target.name, locked: true, cleared: r.cleared, pid: r.pid ?? null }, counts: { cleared: r.cleared ? 1 : 0 } };
  }, { audit: !o.dryRun });
  if (ctx.opts.json) {
    writeJson(ctx.stdout, result);
  } else if (result.cleared) ctx.stdout.write(`target ${target.name}: migration lock cleared\n`);
  return 0;
}
