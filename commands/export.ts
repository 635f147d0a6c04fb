import path from 'node:path';
import { Argument, Option, type Command } from 'commander';
import { ENTITIES, ENTITY_NAMES, type EntityName } from '../src/records/fields.js';
import { UsageError } from '../src/errors.js';
import type { Ctx } from './context.js';
import type { Bind } from './bind.js';
import { outOption } from './options.js';
import { runOnDb, runTargets } from './run.js';
import type { Target } from '../src/config/resolve.js';

// `egovctl export <entity>`: parse → export (src/export) → present. The export modules are
// loaded when the command runs, so `egovctl --help` stays fast.

interface ExportFlags {
  format?: string;
  out?: string;
  gzip?: boolean;
  manifest?: boolean;
  status?: string;
  agency?: string;
  audience?: string;
  changedSince?: string;
  from?: string;
  to?: string;
  raw?: boolean;
  asOf?: string;
  atSize?: number;
}

export function registerExport(program: Command, bind: Bind): void {
  program
    .command('export')
    .description('export agencies, services or applications as CSV, JSON, NDJSON or XLSX: streamed, one consistent snapshot, ordered by code (applications: by id)')
    .addArgument(new Argument('<entity>', 'what to export').choices(ENTITY_NAMES))
    .addOption(new Option('--format <format>', 'csv, json, ndjson or xlsx; services also cpsv-ap (JSON-LD) (default: from the --out name, else csv)').choices(['csv', 'json', 'ndjson', 'xlsx', 'cpsv-ap']))
    .addOption(outOption('write to this file, atomically (default: standard output; - is standard output)'))
    .option('--gzip', 'compress with gzip (implied by an --out name ending in .gz)')
    .option('--manifest', 'also write <out>.manifest.json: entity, format, rows, bytes, sha256, exported_at, filters, versions')
    .option('--status <list>', 'only these statuses, comma-separated')
    .option('--agency <codes>', 'services: only these agencies\' services; agencies: only these agencies; applications: only those these agencies handle (handled_by, else the service\'s agency) (comma-separated codes)')
    .option('--audience <list>', 'services and applications: audience (includes) any of G2C, G2B, G2G (comma-separated)')
    .option('--changed-since <timestamp>', 'only records changed at or after this ISO 8601 time (UTC when no offset is given)')
    .option('--from <date>', 'applications: submitted on or after this local date (YYYY-MM-DD, the registry\'s time zone)')
    .option('--to <date>', 'applications: submitted on or before this local date (YYYY-MM-DD, inclusive)')
    .option('--raw', 'CSV: write free text exactly, without the \' guard against spreadsheet formulas')
    .option('--as-of <timestamp>', 'the records as they stood then: after the registry log\'s last entry at or before this ISO 8601 time')
    .option('--at-size <n>', 'the records as they stood after the registry log\'s first N entries', (v: string) => {
      if (!/^(0|[1-9][0-9]*)$/.test(v)) throw new UsageError(`--at-size: "${v}" is not a whole number`);
      return Number(v);
    })
    .addHelpText('after', [
      '',
      'Data goes to standard output unless --out is given; with --out the file is written to a',
      'temporary file beside it and renamed when complete, so readers never see a partial file.',
      'With --json and --out, standard output carries the summary {entity, format, rows, bytes,',
      'sha256, out}; with data on standard output the summary goes to standard error instead.',
      'With several targets (--target a,b or --all-targets) --out must hold {target}; {date} is',
      'the UTC date of the run. Each target\'s file is written atomically, with its own manifest.',
      '',
      'Examples:',
      '  egovctl export services > services.csv',
      '  egovctl export services --out /srv/open-data/services.csv.gz --manifest --quiet',
      '  egovctl export services --format ndjson --status active --audience G2B,G2G',
      '  egovctl --json export agencies --out agencies.json --changed-since 2026-01-01',
      '  egovctl export services --format xlsx --out registry.xlsx --manifest',
      '  egovctl export agencies --format xlsx > agencies.xlsx',
      '  egovctl --all-targets export services --out /srv/export/{target}-services-{date}.csv.gz --manifest',
      '  egovctl export services --format cpsv-ap --status active --out services.jsonld --manifest',
      '  egovctl export services --as-of 2026-06-30T23:59:59Z --out services-2026-06-30.csv',
      '  egovctl export agencies --format ndjson --at-size 1500',
      '  egovctl export applications --from 2026-04-01 --to 2026-04-30 --agency MINJUST --out april.csv.gz',
      '  egovctl export applications --format ndjson --status received,in_progress --changed-since 2026-04-01',
      '',
      'Filters: agencies take --status, --agency, --changed-since; services also --audience;',
      'applications also --from and --to. A filter an entity does not take is a usage error (exit 2).',
      'Applications come ordered by id. --from/--to are local submission dates in the config',
      'file\'s "timeZone" (default Asia/Tashkent): --from 2026-04-01 includes an application',
      'submitted at 2026-03-31T19:30Z (00:30 on 1 April in Tashkent).',
      '',
      '--as-of / --at-size export the records as the registry log had them then (every format),',
      'byte for byte what the same export printed at that moment. Agencies and services only:',
      'applications are not in the registry log.',
      '',
      '--format cpsv-ap writes one JSON-LD document of CPSV-AP 3.2.0 (public services, their',
      'competent authorities, costs, channels, legal resources, evidence and outputs), with its',
      '@context inline; node IRIs start with the config file\'s "baseIri" (default',
      'https://registry.invalid/). An --out name ending in .jsonld implies it.',
    ].join('\n'))
    .action(bind(async (ctx: Ctx, entity: string, o: ExportFlags) => runExport(ctx, program, entity as EntityName, o)));
}

/** `{target}` and `{date}` in --out: one file per target (SPEC: many agency databases, one cron line). */
export function expandOut(out: string, targetName: string, date: string): string {
  // a target named by its URL still makes a file name, never a path
  const safe = targetName.replace(/[^A-Za-z0-9_.-]+/g, '_');
  return out.replaceAll('{target}', safe).replaceAll('{date}', date);
}

async function runExport(ctx: Ctx, program: Command, entity: EntityName, o: ExportFlags): Promise<number> {
  const { chooseOutput } = await import('../src/export/formats.js');
  const { parseFilters } = await import('../src/export/filters.js');
  const choice = chooseOutput(o);
  const filters = parseFilters(entity, o, { timeZone: ctx.config().file?.timeZone });
  if ((o.asOf !== undefined || o.atSize !== undefined) && !ENTITIES[entity].logged) {
    throw new UsageError(`${o.asOf !== undefined ? '--as-of' : '--at-size'} does not apply to ${entity}: they are not in the registry log (only agencies and services are); export them as they are now, or filter with --changed-since, --from, --to`);
  }
  if (o.asOf !== undefined && o.atSize !== undefined) throw new UsageError('--as-of and --at-size cannot be used together: each names a point of the log');
  const { parseTimestamp } = await import('../src/flag-values.js');
  const point = o.asOf !== undefined ? { asOf: parseTimestamp('--as-of', o.asOf) } : o.atSize !== undefined ? { atSize: o.atSize } : undefined;
  if (choice.format === 'cpsv-ap' && entity !== 'services') throw new UsageError(`--format cpsv-ap describes public services: export services, not ${entity} (${entity} take csv, json, ndjson, xlsx)`);
  if (o.manifest && !choice.out) throw new UsageError('--manifest needs --out <path>: a manifest describes a file');
  const toStdout = choice.out === null;
  // a zip's bytes on a terminal are noise that can leave it in a strange state
  if (toStdout && choice.format === 'xlsx' && (ctx.stdout as { isTTY?: boolean }).isTTY) {
    throw new UsageError('xlsx is a binary file: give --out <path>, or redirect standard output to a file');
  }
  const targets = ctx.config().targets;
  if (targets.length > 1 && (toStdout || !choice.out!.includes('{target}'))) {
    throw new UsageError(`several targets need --out with a {target} placeholder, one file per target (like --out /srv/export/{target}-${entity}-{date}.csv)`);
  }
  const { writeRecordsFile, writeRecordsStdout } = await import('../src/export/export.js');
  const { createProgress, noProgress } = await import('../src/output/progress.js');
  // The date of the run, in UTC: every target's file of one run carries the same one.
  const date = new Date().toISOString().slice(0, 10);

  const exportOne = async (target: Target) => {
    // one bar at a time: with several targets at once their lines would overwrite each other;
    // and none when the data itself goes to the terminal the bar would be drawn on
    const dataOnTerminal = toStdout && !!(ctx.stdout as { isTTY?: boolean }).isTTY;
    const progress = targets.length === 1 && !dataOnTerminal ? createProgress(ctx.stderr, `exporting ${entity}`, { enabled: !ctx.opts.quiet }) : noProgress;
    // no terminal, no bar: and then no counting query and no line counting either
    const opts = { format: choice.format, gzip: choice.gzip, raw: !!o.raw, filters, signal: ctx.signal, ...(progress === noProgress ? {} : { progress }), baseIri: ctx.config().file?.baseIri, ...(point ? { point } : {}) };
    return runOnDb(ctx, target, async (db) => {
      try {
        const r = toStdout
          ? { ...(await writeRecordsStdout(db, entity, ctx.stdout, opts)), out: null, manifest: null }
          : await writeRecordsFile(db, entity, path.resolve(ctx.cwd, expandOut(choice.out!, target.name, date)), { ...opts, manifest: !!o.manifest, toolVersion: program.version() ?? 'unknown' });
        const counts: Record<string, unknown> = { rows: r.rows, bytes: r.bytes, sha256: r.sha256, format: r.format, out: r.out ?? '-' };
        if (!r.complete) {
          counts.stopped = 'standard output closed by its reader';
          return { result: r, counts, message: 'the reader of standard output closed the pipe before the export ended (as `| head` does): what it read was the start of the export; the rest was not written' };
        }
        return { result: r, counts };
      } finally {
        progress.done();
      }
    }, { audit: true, schema: true });
  };
  type Result = Awaited<ReturnType<typeof exportOne>>;
  const summaryOf = (r: Result) => ({ entity: r.entity, format: r.format, rows: r.rows, bytes: r.bytes, sha256: r.sha256, out: r.out, gzip: r.gzip, manifest: r.manifest, exported_at: r.exported_at });
  const line = (r: Result) => `exported ${r.rows} ${entity} as ${r.format}${r.gzip ? '.gz' : ''}: ${r.bytes} bytes, sha256 ${r.sha256}`;

  if (toStdout) {
    // Standard output carries the data: never a JSON document after it, even on failure.
    ctx.reported = true;
    const result = await exportOne(ctx.singleTarget());
    if (!result.complete) return 0; // `| head`: the reader has what it wanted
    if (ctx.opts.json && !ctx.opts.quiet) ctx.stderr.write(`${JSON.stringify(summaryOf(result))}\n`);
    else ctx.logger.debug(line(result));
    return 0;
  }
  return runTargets(
    ctx,
    async (target) => ({ result: summaryOf(await exportOne(target)) }),
    (r) => {
      ctx.report.write(`exported ${r.rows} ${entity} as ${r.format}${r.gzip ? '.gz' : ''}: ${r.bytes} bytes, sha256 ${r.sha256}\nto ${r.out}\n`);
      if (r.manifest) ctx.report.write(`manifest ${r.manifest}\n`);
    },
  );
}
