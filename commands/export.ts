import path from 'node:path';
import { Argument, Option, type Command } from 'commander';
import { ENTITY_NAMES, type EntityName } from '../src/records/fields.js';
import { UsageError } from '../src/errors.js';
import type { Ctx } from './context.js';
import type { Bind } from './program.js';
import { runOnDb } from './run.js';

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
  raw?: boolean;
}

export function registerExport(program: Command, bind: Bind): void {
  program
    .command('export')
    .description('export agencies or services as CSV, JSON or NDJSON: streamed, one consistent snapshot, ordered by code')
    .addArgument(new Argument('<entity>', 'what to export').choices(ENTITY_NAMES))
    .addOption(new Option('--format <format>', 'csv, json or ndjson (default: from the --out name, else csv)').choices(['csv', 'json', 'ndjson']))
    .option('--out <path>', 'write to this file, atomically (default: standard output; - is standard output)')
    .option('--gzip', 'compress with gzip (implied by an --out name ending in .gz)')
    .option('--manifest', 'also write <out>.manifest.json: entity, format, rows, bytes, sha256, exported_at, filters, versions')
    .option('--status <list>', 'only these statuses, comma-separated')
    .option('--agency <codes>', 'services: only these agencies\' services; agencies: only these agencies (comma-separated codes)')
    .option('--audience <list>', 'services only: audience includes any of G2C, G2B, G2G (comma-separated)')
    .option('--changed-since <timestamp>', 'only records changed at or after this ISO 8601 time (UTC when no offset is given)')
    .option('--raw', 'CSV: write free text exactly, without the \' guard against spreadsheet formulas')
    .addHelpText('after', [
      '',
      'Data goes to standard output unless --out is given; with --out the file is written to a',
      'temporary file beside it and renamed when complete, so readers never see a partial file.',
      'With --json and --out, standard output carries the summary {entity, format, rows, bytes,',
      'sha256, out}; with data on standard output the summary goes to standard error instead.',
      '',
      'Examples:',
      '  egovctl export services > services.csv',
      '  egovctl export services --out /srv/open-data/services.csv.gz --manifest --quiet',
      '  egovctl export services --format ndjson --status active --audience G2B,G2G',
      '  egovctl --json export agencies --out agencies.json --changed-since 2026-01-01',
    ].join('\n'))
    .action(bind(async (ctx: Ctx, entity: string, o: ExportFlags) => runExport(ctx, program, entity as EntityName, o)));
}

async function runExport(ctx: Ctx, program: Command, entity: EntityName, o: ExportFlags): Promise<number> {
  const { chooseOutput } = await import('../src/export/formats.js');
  const { parseFilters } = await import('../src/export/filters.js');
  const choice = chooseOutput(o);
  const filters = parseFilters(entity, o);
  if (o.manifest && !choice.out) throw new UsageError('--manifest needs --out <path>: a manifest describes a file');
  const toStdout = choice.out === null;
  // Standard output carries the data: never a JSON document after it, even on failure.
  if (toStdout) ctx.reported = true;
  const target = ctx.singleTarget();
  const { writeRecordsFile, writeRecordsStdout } = await import('../src/export/export.js');
  const { createProgress, noProgress } = await import('../src/output/progress.js');
  const progress = createProgress(ctx.stderr, `exporting ${entity}`, { enabled: !ctx.opts.quiet });
  // no terminal, no bar: and then no counting query and no line counting either
  const opts = { format: choice.format, gzip: choice.gzip, raw: !!o.raw, filters, signal: ctx.signal, ...(progress === noProgress ? {} : { progress }) };
  const result = await runOnDb(ctx, target, async (db) => {
    try {
      const r = toStdout
        ? { ...(await writeRecordsStdout(db, entity, ctx.stdout, opts)), out: null, manifest: null }
        : await writeRecordsFile(db, entity, path.resolve(ctx.cwd, choice.out!), { ...opts, manifest: !!o.manifest, toolVersion: program.version() ?? 'unknown' });
      const counts: Record<string, unknown> = { rows: r.rows, bytes: r.bytes, sha256: r.sha256, format: r.format, out: r.out ?? '-' };
      if (!r.complete) counts.stopped = 'standard output closed by its reader';
      return { result: r, counts };
    } finally {
      progress.done();
    }
  }, { audit: true, schema: true });

  if (!result.complete) return 0; // `| head`: the reader has what it wanted
  const summary = { entity: result.entity, format: result.format, rows: result.rows, bytes: result.bytes, sha256: result.sha256, out: result.out, gzip: result.gzip, manifest: result.manifest, exported_at: result.exported_at };
  if (ctx.opts.json) {
    if (toStdout) {
      if (!ctx.opts.quiet) ctx.stderr.write(`${JSON.stringify(summary)}\n`);
    } else {
      const { writeJson } = await import('../src/output/json.js');
      writeJson(ctx.stdout, summary);
      ctx.reported = true;
    }
    return 0;
  }
  if (ctx.opts.quiet) return 0;
  const line = `exported ${result.rows} ${entity} as ${result.format}${result.gzip ? '.gz' : ''}: ${result.bytes} bytes, sha256 ${result.sha256}`;
  if (toStdout) ctx.logger.debug(line);
  else {
    ctx.stdout.write(`${line}\nto ${result.out}\n`);
    if (result.manifest) ctx.stdout.write(`manifest ${result.manifest}\n`);
  }
  return 0;
}
