import path from 'node:path';
import { Option, type Command } from 'commander';
import type { Target } from '../src/config/resolve.js';
import { UsageError } from '../src/errors.js';
import { parseDate, parseList } from '../src/flag-values.js';
import { IDENTIFIER_MAX, IDENTIFIER_MIN, IDENTIFIER_PATTERN } from '../src/records/fields.js';
import { GROUP_BY, type GroupBy } from '../src/report/group-by.js';
import type { DisciplineReportDoc } from '../src/report/discipline.js';
import type { Ctx } from './context.js';
import type { Bind } from './bind.js';
import { outOption } from './options.js';
import { runOnDb, runTargets } from './run.js';

// `egovctl report discipline` (SPEC §10): parse → disciplineReport (src/report) → present
// as a table, CSV, JSON or the HTML page, on standard output or atomically into --out.

const FORMATS = ['table', 'csv', 'json', 'html'] as const;
type Format = (typeof FORMATS)[number];

interface DisciplineFlags {
  from?: string;
  to?: string;
  asOf?: string;
  by: GroupBy;
  agency?: string;
  format?: Format;
  out?: string;
}

export function registerReport(program: Command, bind: Bind): void {
  const report = program
    .command('report')
    .description('reports on what the database holds: execution discipline (deadlines kept and missed)')
    .addHelpText('after', '\nExamples:\n  egovctl report discipline\n  egovctl report discipline --by month --format csv --out /srv/reports/discipline.csv');

  report
    .command('discipline')
    .description('deadlines kept and missed, per handling agency, service, region, channel or month')
    .option('--from <date>', 'first local submission date (YYYY-MM-DD) of the period, inclusive (default: the first application)')
    .option('--to <date>', 'last local submission date of the period, inclusive (default: the last application)')
    .option('--as-of <date>', 'the day open applications are judged on: overdue when their deadline is before it (default: today in the registry\'s time zone)')
    .addOption(new Option('--by <group>', 'group by the handling agency (handled_by, else the service\'s agency), the service, the region, the channel or the month of submission').choices(GROUP_BY).default('agency'))
    .option('--agency <codes>', 'only applications handled by these agencies (comma-separated codes)')
    .addOption(new Option('--format <format>', 'table (default on a terminal and in a pipe), csv, json (as --json) or html').choices(FORMATS))
    .addOption(outOption('write the report to this file, atomically (default: standard output); with several targets it must hold {target}; {date} is today (UTC)'))
    .addHelpText('after', [
      '',
      'Dates are local dates in the registry\'s time zone (the config file\'s "timeZone", default',
      'Asia/Tashkent). A decided application (completed or rejected) is on time when its local',
      'decision date is on or before its deadline (due_on), else late by the difference in days.',
      'Open: received or in progress; overdue: open with a deadline before --as-of. Withdrawn',
      'applications count in "applications" only. median_days / p90_days: days from the local',
      'submission date to the local decision date of the decided, the value at rank ⌈p·n⌉ (p50 and',
      'p90 in the table).',
      'One consistent snapshot; an audit row is written.',
      '',
      'Examples:',
      '  egovctl report discipline',
      '  egovctl report discipline --from 2026-01-01 --to 2026-03-31 --by service --agency ADL,MJ',
      '  egovctl report discipline --by month --format csv --out /srv/reports/discipline-by-month.csv',
      '  egovctl report discipline --format html --out discipline.html --as-of 2026-04-01',
      '  egovctl --json report discipline --by region',
      '  egovctl --all-targets report discipline --format csv --out /srv/reports/{target}-discipline-{date}.csv',
    ].join('\n'))
    .action(bind(disciplineCommand));
}

async function disciplineCommand(ctx: Ctx, o: DisciplineFlags): Promise<number> {
  // every check before any connection: a usage error is exit 2 whatever the database
  const from = o.from === undefined ? null : parseDate('--from', o.from);
  const to = o.to === undefined ? null : parseDate('--to', o.to);
  if (from !== null && to !== null && from > to) throw new UsageError(`--from ${from} is after --to ${to}: the period would be empty`);
  const agencies = o.agency === undefined ? null : parseList('--agency', o.agency);
  const bad = (agencies ?? []).filter((c) => c.length < IDENTIFIER_MIN || c.length > IDENTIFIER_MAX || !IDENTIFIER_PATTERN.test(c));
  if (bad.length) {
    throw new UsageError(`--agency: ${bad.map((b) => `"${b}"`).join(', ')} ${bad.length > 1 ? 'are not agency codes' : 'is not an agency code'}: codes are ${IDENTIFIER_MIN}–${IDENTIFIER_MAX} characters of A–Z, 0–9 and single dashes, starting with a letter (e.g. ADL-TK)`);
  }
  const format: Format = o.format ?? (ctx.opts.json ? 'json' : 'table');
  const out = o.out === undefined || o.out === '-' ? null : o.out;
  const targets = ctx.config().targets;
  if (out === null) {
    // the JSON report on standard output: a failure then comes as a JSON document too (SPEC §8)
    if (format === 'json') ctx.opts.json = true;
    if (ctx.opts.json && format !== 'json' && format !== 'table') {
      throw new UsageError(`--json and --format ${format} cannot both go to standard output: write the ${format} report with --out <file>`);
    }
    if (format === 'html' && ctx.stdout.isTTY) throw new UsageError('an HTML report is not for a terminal: write it with --out <file> (or redirect standard output)');
    if ((format === 'csv' || format === 'html') && targets.length > 1) {
      throw new UsageError(`several targets need --out with a {target} placeholder, one file per target (like --out /srv/reports/{target}-discipline-{date}.${format})`);
    }
  } else if (targets.length > 1 && !out.includes('{target}')) {
    throw new UsageError(`several targets need --out with a {target} placeholder, one file per target (like --out /srv/reports/{target}-discipline-{date}.${format === 'table' ? 'txt' : format})`);
  }
  const { TimeZone, todayIn } = await import('../src/time/zone.js');
  const zoneName = ctx.config().file?.timeZone;
  const zone = new TimeZone(zoneName);
  const asOf = o.asOf === undefined ? todayIn(zone) : parseDate('--as-of', o.asOf);
  const { disciplineReport } = await import('../src/report/discipline.js');
  const { expandOut } = await import('./export.js');
  const date = new Date().toISOString().slice(0, 10);

  const one = async (target: Target) => runOnDb(ctx, target, async (db) => {
    const doc = await disciplineReport(db, { from, to, asOf, by: o.by, agencies, zone, signal: ctx.signal });
    let written: string | null = null;
    if (out !== null) {
      written = path.resolve(ctx.cwd, expandOut(out, target.name, date));
      const { writeFileAtomic } = await import('../src/io/atomic-file.js');
      await writeFileAtomic(written, await render(doc, format, target));
    }
    const counts = { by: doc.by, groups: doc.groups.length, applications: doc.total.applications, format, out: written ?? '-' };
    return { result: { doc, written }, counts };
  }, { audit: true, schema: true });

  if (out === null && format !== 'json' && format !== 'table') {
    // standard output carries the data (CSV, the page): nothing may follow it, not even a JSON error
    ctx.reported = true;
    const { doc } = await one(ctx.singleTarget());
    ctx.stdout.write(await render(doc, format, ctx.singleTarget()));
    return 0;
  }
  const results = new Map<string, { doc: DisciplineReportDoc; written: string | null }>();
  return runTargets(
    ctx,
    async (target) => {
      const r = await one(target);
      results.set(target.name, r);
      // --json: the document, and where the file went when there is one
      return { result: r.written === null ? r.doc : { ...r.doc, out: r.written } };
    },
    async (_doc, target) => {
      const r = results.get(target.name)!;
      if (r.written !== null) {
        ctx.report.write(`discipline by ${r.doc.by}: ${r.doc.groups.length} group${r.doc.groups.length === 1 ? '' : 's'}, ${r.doc.total.applications} applications\n${format} report: ${r.written}\n`);
        return;
      }
      const { disciplineTable } = await import('../src/report/discipline-format.js');
      ctx.report.write(disciplineTable(r.doc, ctx.paint, ctx.width));
    },
  );
}

async function render(doc: DisciplineReportDoc, format: Format, target: Target): Promise<string> {
  if (format === 'json') return `${JSON.stringify(doc, null, 2)}\n`;
  if (format === 'csv') return (await import('../src/report/discipline-format.js')).disciplineCsv(doc);
  if (format === 'table') {
    const { disciplineTable } = await import('../src/report/discipline-format.js');
    const { plain } = await import('../src/output/logger.js');
    return disciplineTable(doc, plain, 200);
  }
  const { renderDisciplineHtml } = await import('../src/output/html/discipline-report.js');
  const { redact } = await import('../src/config/redact.js');
  const { toolVersion } = await import('../src/version.js');
  return redact(renderDisciplineHtml(doc, { generatedAt: new Date().toISOString(), toolVersion: toolVersion(), source: target.name }));
}
