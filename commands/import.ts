import path from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../src/errors.js';
import { writeJson } from '../src/output/json.js';
import { ENTITIES, ENTITY_NAMES, isEntityName } from '../src/records/fields.js';
import type { ImportReport, ImportOptions, ImportMode } from '../src/import/types.js';
import { renderIssues } from '../src/output/issues-view.js';
import type { Ctx } from './context.js';
import type { Bind } from './bind.js';
import { backupOption, delimiterFrom, delimiterOption, dryRunOption, encodingOption, ENCODING_CHOICES, maxIssuesOption, noBackupOption, nonNegativeInt, readFormatOption, sheetOption } from './options.js';
import { runOnDb } from './run.js';

interface ImportFlags {
  mode: ImportMode;
  dryRun?: boolean;
  rejectFile?: string;
  maxErrors: number;
  maxIssues: number;
  encoding?: 'utf8' | 'utf16le' | 'utf16be' | 'cp1251';
  delimiter?: string;
  format?: 'csv' | 'json' | 'ndjson' | 'xlsx';
  sheet?: string;
  /** a path, false for --no-backup, undefined for the default */
  backup?: string | false;
}


export function registerImport(program: Command, bind: Bind): void {
  program
    .command('import')
    .description('import agencies, services or applications from a CSV, JSON, NDJSON or XLSX file, all or nothing')
    .argument('<entity>', `what the file holds: ${ENTITY_NAMES.join(' or ')}`)
    .argument('<path>', 'the file, or - for standard input (then --format is needed)')
    .addOption(new Option('--mode <mode>', 'upsert: insert new, update changed, keep unchanged; insert: existing codes are errors; replace: also delete records absent from the file (not for applications)').choices(['upsert', 'insert', 'replace']).default('upsert'))
    .addOption(dryRunOption('run every check, the database ones included, and report the counts; write nothing'))
    .option('--reject-file <path>', 'write each record with errors here (NDJSON: line, original text, errors)')
    .addOption(new Option('--max-errors <n>', 'skip up to n records with errors and import the rest').argParser(nonNegativeInt('--max-errors')).default(0))
    .addOption(maxIssuesOption('list at most n issues in the report (counts stay complete)'))
    .addOption(readFormatOption('file format when the name cannot tell'))
    .addOption(sheetOption())
    .addOption(encodingOption())
    .addOption(delimiterOption('--delimiter <char>', 'CSV delimiter: , or ; or tab'))
    .addOption(backupOption('--backup <path>', 'replace: back up the deleted records here (default: the data directory)'))
    .addOption(noBackupOption('replace: delete without a backup'))
    .addHelpText('after', [
      '',
      'One transaction: any error and nothing is written (exit 3). With --max-errors N up to N bad',
      'records are skipped (see --reject-file) and the rest is committed. --mode replace deletes;',
      'it asks first on a terminal, needs --yes otherwise, and backs the deleted records up.',
      'A first load of services into an empty table on PostgreSQL holds services and agencies',
      'until it commits: their readers and writers wait for it (see the README).',
      '',
      'Examples:',
      '  egovctl import agencies agencies.csv',
      '  egovctl import services reg.csv --dry-run --json',
      '  egovctl import services reg.csv --max-errors 10 --reject-file rejects.ndjson',
      '  egovctl import services reg.csv --mode replace --yes',
      '  gunzip -c reg.ndjson.gz | egovctl import services - --format ndjson',
      '  egovctl import services registry.xlsx --sheet Services --dry-run',
      '  egovctl import agencies - --format xlsx < agencies.xlsx',
      '  egovctl import applications applications.csv --max-errors 100 --reject-file rejects.ndjson',
      '',
      'Applications: upsert or insert (never replace); matched by id; an empty due_on is set from the',
      "service's processing_days as the registry log had it at submitted_at, counted in the config's",
      'timeZone (default Asia/Tashkent; README, "Deadlines").',
    ].join('\n'))
    .action(bind(runImport));
}

function toOptions(ctx: Ctx, entity: string, file: string, f: ImportFlags): ImportOptions {
  if (!isEntityName(entity)) throw new UsageError(`unknown entity "${entity}": use ${ENTITY_NAMES.join(' or ')}`);
  const delimiter = delimiterFrom(f.delimiter);
  if (!ENTITIES[entity].modes.includes(f.mode)) {
    throw new UsageError(`import ${entity} takes --mode ${ENTITIES[entity].modes.join(' or ')}, not ${f.mode}: an import never deletes ${entity}`);
  }
  if (f.backup !== undefined && f.mode !== 'replace') throw new UsageError(`--${f.backup === false ? 'no-' : ''}backup applies to --mode replace only`);
  const resolve = (p: string) => (p === '-' || path.isAbsolute(p) || ctx.cwd === process.cwd() ? p : path.resolve(ctx.cwd, p));
  return {
    entity,
    path: resolve(file),
    mode: f.mode,
    dryRun: !!f.dryRun,
    maxErrors: f.maxErrors,
    maxIssues: f.maxIssues,
    ...(f.rejectFile !== undefined ? { rejectFile: resolve(f.rejectFile) } : {}),
    ...(f.format ? { format: f.format } : {}),
    ...(f.sheet !== undefined ? { sheet: f.sheet } : {}),
    ...(f.encoding ? { encoding: f.encoding } : {}),
    ...(delimiter ? { delimiter } : {}),
    ...(entity === 'applications' ? { timeZone: ctx.config().file?.timeZone } : {}),
    ...(f.backup === false ? { backup: null } : f.backup !== undefined ? { backup: resolve(f.backup) } : {}),
  };
}

async function runImport(ctx: Ctx, entity: string, file: string, flags: ImportFlags): Promise<number> {
  const opts = toOptions(ctx, entity, file, flags);
  const target = ctx.singleTarget();
  const { importFile, countsOf, ImportFailed } = await import('../src/import/import.js');
  const { createProgress } = await import('../src/output/progress.js');
  try {
    const report = await runOnDb(ctx, target, async (db) => {
      const r = await importFile(db, opts, {
        logger: ctx.logger,
        prompter: ctx.prompter,
        signal: ctx.signal,
        yes: !!ctx.opts.yes,
        dataDir: ctx.config().dataDir,
        stdin: ctx.stdin,
        progress: createProgress(ctx.stderr, 'importing', { enabled: !ctx.opts.quiet }),
      });
      return { result: r, counts: countsOf(r) };
    }, { audit: !opts.dryRun, schema: true });
    present(ctx, report);
    return 0;
  } catch (err) {
    if (err instanceof ImportFailed) present(ctx, err.report, true);
    throw err;
  }
}

function present(ctx: Ctx, r: ImportReport, failed = false): void {
  if (ctx.opts.json) {
    writeJson(ctx.stdout, r);
    ctx.reported = true;
    return;
  }
  const p = ctx.paint;
  const lines = [
    // a failed import says so first: it is all or nothing, so nothing was written
    failed
      ? p.red(`${r.dry_run ? 'dry run: the import of' : 'import of'} ${r.entity} from ${r.source} into ${r.target} (mode ${r.mode}) FAILED: ${r.dry_run ? 'it would write nothing' : 'nothing was written'}`)
      : `${r.dry_run ? 'dry run: would import' : 'imported'} ${r.entity} from ${r.source} into ${r.target} (mode ${r.mode})`,
    `records    ${r.records}`,
    `inserted   ${r.inserted}`,
    `updated    ${r.updated}`,
    `unchanged  ${r.unchanged}`,
    `deleted    ${r.deleted}`,
    `rejected   ${r.rejected}`,
    `errors     ${r.errors ? p.red(String(r.errors)) : '0'}`,
    `warnings   ${r.warnings ? p.yellow(String(r.warnings)) : '0'}`,
    `time       ${r.duration_ms} ms`,
  ];
  if (r.backup) lines.push(`backup     ${r.backup}`);
  if (r.reject_file) lines.push(`rejects    ${r.reject_file}`);
  const table = renderIssues(r.issues, p, ctx.width);
  if (table) lines.push(table);
  if (r.truncated) lines.push(p.dim(`(issues listed: ${r.issues.length}; raise --max-issues to see more)`));
  if (failed && !r.dry_run) lines.push(p.red(`nothing was written to ${r.target}: fix the errors above${r.rejected || r.errors ? ', or skip bad records with --max-errors N' : ''}`));
  if (r.dry_run) lines.push('dry run: nothing was written');
  ctx.report.write(`${lines.join('\n')}\n`);
}
