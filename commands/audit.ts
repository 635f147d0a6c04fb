import type { Command } from 'commander';
import { Option } from 'commander';
import type { AuditRow } from '../src/audit/audit.js';
import { writeList } from './list-output.js';
import type { Target } from '../src/config/resolve.js';
import { parseTimestamp } from '../src/flag-values.js';
import type { Ctx } from './context.js';
import type { Bind } from './bind.js';
import { positiveInt } from './options.js';
import { runOnDb, runTargets } from './run.js';

export function registerAudit(program: Command, bind: Bind): void {
  const audit = program
    .command('audit')
    .description('the audit trail: who did what, when, with what outcome')
    .addHelpText('after', '\nExamples:\n  egovctl audit list\n  egovctl audit list --since 2026-11-01 --json');

  audit
    .command('list')
    .description('audit rows, newest first: time, command and arguments (secrets redacted), user, host, target, outcome, counts')
    .addOption(new Option('--limit <n>', 'at most N rows').argParser(positiveInt('--limit')).default(50))
    .option('--since <timestamp>', 'rows started at or after this ISO 8601 time (a bare date is midnight UTC)')
    .addHelpText('after', '\nOutcomes: ok, failed, refused (not confirmed), interrupted.\nWith --json: [{"id","started_at","finished_at","command","args","actor","host","target","outcome","counts","exit_code","message","prev","hash"}];\nhash is sha-256: and the hex SHA-256 of the RFC 8785 JSON of the row without hash (see the README).\n\nExamples:\n  egovctl audit list --limit 20\n  egovctl --target central audit list --since 2026-11-28T00:00:00Z --json')
    .action(bind(list));
}

async function list(ctx: Ctx, o: { limit: number; since?: string }): Promise<number> {
  const since = o.since === undefined ? undefined : parseTimestamp('--since', o.since);
  const { auditJson, listAudit } = await import('../src/audit/audit.js');
  // The JSON document holds the fields of SPEC §8; the table also shows exit code and message.
  const full = new Map<string, AuditRow[]>();
  return runTargets(
    ctx,
    async (target) => {
      const rows = await runOnDb(ctx, target, async (db) => ({ result: await listAudit(db, { limit: o.limit, ...(since ? { since } : {}) }) }));
      full.set(target.name, rows);
      return { result: rows.map(auditJson) };
    },
    (_r, target) => present(ctx, full.get(target.name) ?? [], target),
    { list: true },
  );
}

async function present(ctx: Ctx, rows: AuditRow[], target: Target): Promise<void> {
  if (!rows.length) {
    ctx.logger.info('no audit rows');
    return;
  }
  const p = ctx.paint;
  const outcome = (o: string) => (o === 'ok' ? p.green(o) : o === 'refused' ? p.yellow(o) : p.red(o));
  const counts = (c: unknown) =>
    c === null || typeof c !== 'object' ? String(c) : Object.entries(c).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' ');
  await writeList(
    ctx,
    ['id', 'started', 'command', 'actor@host', 'target', 'outcome', 'exit', 'counts', 'message'],
    // a table on a terminal shows the time to the second (UTC); tab-separated lines keep it whole
    rows.map((r) => [r.id, ctx.tsv ? r.started_at : r.started_at.replace('T', ' ').slice(0, 19), [r.command, ...(Array.isArray(r.args) ? r.args : [r.args])].join(' '), `${r.actor}@${r.host}`, r.target, outcome(r.outcome), r.exit_code, counts(r.counts), r.outcome !== 'ok' ? r.message : '']),
    target,
  );
}
