import path from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Target } from '../src/config/resolve.js';
import { ENTITIES } from '../src/records/fields.js';
import type { ServiceDetail } from '../src/registry/browse.js';
import type { RawFilters } from '../src/export/filters.js';
import type { PurgeCriteria } from '../src/registry/purge.js';
import type { RetireResult } from '../src/registry/retire.js';
import { parseCode, parseDate, parseList, today } from '../src/flag-values.js';
import { writeJson } from '../src/output/json.js';
import { listWriter } from './list-output.js';
import type { Ctx } from './context.js';
import type { Bind } from './bind.js';
import { backupOption, dryRunOption, noBackupOption, nonNegativeInt } from './options.js';
import { runOnDb, runTargets } from './run.js';
import { registerRegistryLog } from './registry-log.js';

const STATUSES = ENTITIES.services.fields.find((f) => f.name === 'status')!.values!;

export function registerRegistry(program: Command, bind: Bind): void {
  const registry = program
    .command('registry')
    .description('browse, retire and purge services; the registry log: history, log, checkpoint, prove, verify, keygen')
    .addHelpText('after', '\nExamples:\n  egovctl registry list --status active --audience G2B\n  egovctl registry show ADL-0003\n  egovctl registry retire ADL-0003 --on 2026-12-31\n  egovctl registry purge --status retired --before 2025-01-01 --dry-run');

  registry
    .command('list')
    .description('services ordered by code, with the filters of export')
    .option('--status <list>', `comma-separated statuses: ${STATUSES.join(', ')}`)
    .option('--agency <codes>', 'comma-separated agency codes')
    .option('--audience <list>', 'comma-separated audiences (G2C, G2B, G2G): services for any of them')
    .option('--changed-since <timestamp>', 'updated at or after this ISO 8601 time (a bare date is midnight UTC)')
    .addOption(new Option('--limit <n>', 'at most N services; 0 means all (default: 100 in the table, all with --json)').argParser(nonNegativeInt('--limit')))
    .addHelpText('after', '\nWith --json: an array of services, every field (as export --format json).\n\nExamples:\n  egovctl registry list\n  egovctl registry list --status active,suspended --agency ADL --limit 20\n  egovctl registry list --changed-since 2026-11-01 --json')
    .action(bind(list));

  registry
    .command('show <code>')
    .description("every field of one service and its agency's name")
    .addHelpText('after', '\nAn unknown code exits 3.\n\nExamples:\n  egovctl registry show ADL-0003\n  egovctl registry show ADL-0003 --json')
    .action(bind(show));

  registry
    .command('retire <code>')
    .description('set a service retired: status retired, effective_to set (default: today), updated_at set')
    .option('--on <date>', 'last day in force, YYYY-MM-DD (default: today on this machine; an already retired service keeps its date)')
    .addHelpText('after', '\nAn unknown code exits 3; a date before the service\'s effective_from exits 3.\n\nExamples:\n  egovctl registry retire ADL-0003\n  egovctl registry retire ADL-0003 --on 2026-12-31 --json')
    .action(bind(retire));

  registry
    .command('purge')
    .description('delete services for good (destructive): asks first, backs them up first')
    .requiredOption('--status <list>', `comma-separated statuses of the services to delete: ${STATUSES.join(', ')}`)
    .option('--before <date>', 'only services whose effective_to is before this day (services without effective_to are kept)')
    .addOption(dryRunOption('say what would be deleted; change nothing'))
    .addOption(backupOption('--backup <path>', 'write the backup (NDJSON, importable) here instead of the data directory'))
    .addOption(noBackupOption('delete without writing a backup'))
    .addHelpText('after', '\nExamples:\n  egovctl registry purge --status retired --dry-run\n  egovctl registry purge --status retired --before 2025-01-01\n  egovctl --db postgres://egov@db1/registry registry purge --status draft --yes --backup /srv/backups/drafts.ndjson')
    .action(bind(purge));

  registerRegistryLog(registry, bind);
}

/** A screenful for a person; everything for a script (which asked with --json). */
const TABLE_LIMIT = 100;

// What the subcommands run is loaded when they run, not for --help (issue 18).
const browse = () => import('../src/registry/browse.js');

async function list(ctx: Ctx, o: RawFilters & { limit?: number }): Promise<number> {
  const { parseFilters } = await import('../src/export/filters.js');
  const filter = parseFilters('services', o);
  const { countServices, iterateServices, listServices, serviceJson, writeServicesJson } = await browse();
  const limit = o.limit ?? (ctx.opts.json ? 0 : TABLE_LIMIT);
  const targets = ctx.config().targets;
  if (ctx.opts.json && targets.length === 1) {
    // Streamed: a --limit 0 listing of a large register stays small in memory.
    await runOnDb(ctx, targets[0]!, async (db) => ({ result: await writeServicesJson(iterateServices(db, filter, limit, ctx.signal), ctx.stdout) }), { schema: true });
    return 0;
  }
  if (targets.length === 1) {
    // Streamed too: rows are written as they are read, page by page (SPEC §5 streams; the
    // old whole-table rendering took 172 s and 451 MB for 30,000 services).
    const target = targets[0]!;
    await runOnDb(ctx, target, async (db) => {
      const total = await countServices(db, filter);
      const w = listWriter(ctx, LIST_HEAD);
      for await (const s of iterateServices(db, filter, limit, ctx.signal)) await w.row(listCells(ctx, s));
      summary(ctx, await w.end(), total);
      return { result: null };
    }, { schema: true });
    return 0;
  }
  // The JSON document is the array of services; the total is only for the human summary.
  const totals = new Map<string, number>();
  return runTargets(
    ctx,
    async (target) => {
      const r = await runOnDb(ctx, target, async (db) => ({ result: await listServices(db, filter, limit) }), { schema: true });
      totals.set(target.name, r.total);
      return { result: r.services.map(serviceJson) };
    },
    async (services, target) => {
      const w = listWriter(ctx, LIST_HEAD, target);
      for (const s of services) await w.row(listCells(ctx, s));
      summary(ctx, await w.end(), totals.get(target.name) ?? services.length);
    },
    { list: true },
  );
}

const LIST_HEAD = ['code', 'agency', 'status', 'audience', 'fee', 'days', 'name'];

function listCells(ctx: Ctx, s: Record<string, unknown>): Array<string | number | null> {
  const p = ctx.paint;
  const st = s.status as string;
  const status = st === 'active' ? p.green(st) : st === 'retired' ? p.dim(st) : st === 'suspended' ? p.yellow(st) : st;
  const fee = s.fee_uzs !== null ? `${s.fee_uzs} UZS` : s.fee_bhm_percent !== null ? `${s.fee_bhm_percent}% BHM` : '';
  return [s.code as string, s.agency_code as string, status, ((s.audience as string[] | null) ?? []).join(','), fee, s.processing_days as number, s.name_uz as string | null];
}

function summary(ctx: Ctx, shown: number, total: number): void {
  ctx.logger.info(shown === total ? `${total} service${total === 1 ? '' : 's'}` : `${shown} of ${total} services shown (--limit 0 shows all)`);
}

async function show(ctx: Ctx, codeText: string): Promise<number> {
  const code = parseCode('service', codeText);
  const { serviceJson, showService } = await browse();
  return runTargets(
    ctx,
    async (target) => {
      const r = await runOnDb(ctx, target, async (db) => ({ result: await showService(db, code) }), { schema: true });
      return { result: showJson(r, serviceJson) };
    },
    (r) => presentShow(ctx, r),
  );
}

/** Every field of the service (as export --format json), then agency_name. */
function showJson(r: ServiceDetail, serviceJson: (s: ServiceDetail['service']) => Record<string, unknown>): Record<string, unknown> {
  return { ...serviceJson(r.service), agency_name: r.agency_name };
}

function presentShow(ctx: Ctx, r: Record<string, unknown>): void {
  const lines: string[] = [];
  const width = Math.max(...ENTITIES.services.fields.map((f) => f.name.length)) + 2;
  for (const f of ENTITIES.services.fields) {
    const v = r[f.name];
    let text = v === null || v === undefined ? ctx.paint.dim('-') : Array.isArray(v) ? (f.type === 'list' ? v.map((x) => `\n${' '.repeat(width)}- ${x}`).join('') : v.join(', ')) : String(v);
    if (f.name === 'agency_code' && r.agency_name) text += ` (${String(r.agency_name)})`;
    lines.push(`${f.name.padEnd(width)}${text}`);
  }
  ctx.stdout.write(`${lines.join('\n')}\n`);
}

async function retire(ctx: Ctx, codeText: string, o: { on?: string }): Promise<number> {
  const code = parseCode('service', codeText);
  const on = o.on === undefined ? undefined : parseDate('--on', o.on);
  const target = ctx.singleTarget();
  const { retireService } = await import('../src/registry/retire.js');
  const r = await runOnDb(ctx, target, async (db) => {
    const res = await retireService(db, code, on, today(), { signal: ctx.signal, say: (l) => ctx.logger.warn(l) });
    return { result: res, counts: { retired: res.changed ? 1 : 0 } };
  }, { audit: true, schema: true });
  if (ctx.opts.json) writeJson(ctx.stdout, { target: target.name, ...r });
  else presentRetire(ctx, target, r);
  return 0;
}

function presentRetire(ctx: Ctx, target: Target, r: RetireResult): void {
  if (!r.changed) ctx.report.write(`service ${r.code} on target ${target.name} was already retired, effective to ${r.effective_to}; nothing changed\n`);
  else ctx.report.write(`service ${r.code} on target ${target.name}: retired (was ${r.previous_status}), effective to ${r.effective_to}\n`);
}

interface PurgeOptions {
  status: string;
  before?: string;
  dryRun?: boolean;
  backup?: string | false;
}

export interface PurgeReport {
  target: string;
  status: string[];
  before: string | null;
  dry_run: boolean;
  matched: number;
  deleted: number;
  backup: string | null;
}

async function purge(ctx: Ctx, o: PurgeOptions): Promise<number> {
  const criteria: PurgeCriteria = { status: parseList('--status', o.status, STATUSES) };
  if (o.before !== undefined) criteria.before = parseDate('--before', o.before);
  const target = ctx.singleTarget();
  const dryRun = !!o.dryRun;
  const [{ defaultBackupPath }, { confirmDestructive }, { countPurge, purgeServices }] = await Promise.all([
    import('../src/registry/backup.js'), import('../src/prompts/destructive.js'), import('../src/registry/purge.js'),
  ]);
  const report = await runOnDb(ctx, target, async (db) => {
    const base = { target: target.name, status: criteria.status, before: criteria.before ?? null, dry_run: dryRun, deleted: 0, backup: null };
    const { total, byStatus } = await countPurge(db, criteria);
    const which = `with status ${criteria.status.join(' or ')}${criteria.before ? ` and effective_to before ${criteria.before}` : ''}`;
    if (total === 0) {
      ctx.logger.info(`No services ${which} on target ${target.name}: nothing to delete.`);
      return { result: { ...base, matched: 0 } as PurgeReport, counts: { matched: 0, deleted: 0 } };
    }
    const backupFile = o.backup === false ? null : o.backup ? path.resolve(ctx.cwd, o.backup) : defaultBackupPath(ctx.config().dataDir, target.name, 'services');
    const details = [`table ${ENTITIES.services.table}: ${total} record${total === 1 ? '' : 's'} ${which}`];
    if (Object.keys(byStatus).length > 1) for (const [s, n] of Object.entries(byStatus)) details.push(`  ${s}: ${n}`);
    details.push(backupFile ? `backup first to ${backupFile}` : 'no backup (--no-backup): they cannot be restored');
    const decision = await confirmDestructive(
      { action: `delete ${total} service${total === 1 ? '' : 's'}`, target, details },
      { dryRun, yes: !!ctx.opts.yes, logger: ctx.logger, prompter: ctx.prompter },
    );
    if (decision !== 'proceed') return { result: { ...base, matched: total } as PurgeReport };
    const r = await purgeServices(db, criteria, { backupFile, signal: ctx.signal });
    return {
      result: { ...base, matched: total, deleted: r.deleted, backup: r.backup?.path ?? null } as PurgeReport,
      counts: { matched: total, deleted: r.deleted, ...(r.backup ? { backed_up: r.backup.rows } : {}) },
    };
  }, { audit: !dryRun, schema: true });
  if (ctx.opts.json) writeJson(ctx.stdout, report);
  else if (!report.dry_run && report.matched) {
    ctx.report.write(`deleted ${report.deleted} service${report.deleted === 1 ? '' : 's'} from target ${target.name}\n`);
    ctx.report.write(report.backup ? `backup: ${report.backup}\n` : 'no backup was written (--no-backup)\n');
  }
  return 0;
}
