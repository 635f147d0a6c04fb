import type { Command } from 'commander';
import { Option } from 'commander';
import { UsageError } from '../src/errors.js';
import { isEntityName, references, type EntityName } from '../src/records/fields.js';

/** Does the entity name services (applications' service_code), so that a services file or the stored services resolve it? */
const namesServices = (e: EntityName) => references(e).some((r) => r.entity === 'services');
import type { ValidationReport } from '../src/records/report.js';
import { renderIssues, summaryLine } from '../src/output/issues-view.js';
import type { Ctx } from './context.js';
import type { Bind } from './bind.js';
import { runOnDb, runTargets } from './run.js';
import { addReadOptions, ENCODING_CHOICES, maxIssuesOption, outOption, readOptionsFrom, strictOption, type ReadFlags } from './options.js';
import { addReportOptions, reportOutFrom, widenFormatOption, type ReportFormat, type SplitFormat } from './report-output.js';

export function registerValidate(program: Command, bind: Bind): void {
  const validate = program
    .command('validate')
    .description('check files or the database against the registry\'s rules')
    .addHelpText('after', '\nExamples:\n  egovctl validate file services reg.csv --agencies agencies.csv\n  egovctl validate db --strict --json');

  const file = validate
    .command('file <entity> <path>')
    .description('the rules on a file (agencies|services|applications; path "-" is standard input), without a database')
    .option('--agencies <path>', 'resolve agency references (agency_code, parent_code, handled_by) against this agencies file')
    .option('--services <path>', 'applications: resolve service_code (and the audience and channel warnings) against this services file')
    .addOption(new Option('--agencies-encoding <encoding>', 'text encoding of the --agencies file (default: by its byte-order mark, else utf8; --encoding is for <path> only)').choices([...ENCODING_CHOICES]))
    .option('--with-db', 'also resolve references against the database')
    .addOption(strictOption())
    .addOption(maxIssuesOption());
  addReadOptions(file);
  widenFormatOption(file).addOption(outOption('write the HTML report (--format html) to this file, atomically'));
  file
    .addHelpText('after', '\nExit 0 when valid, 3 when not.\n\nExamples:\n  egovctl validate file services reg.csv --agencies agencies.csv\n  egovctl validate file services registry.xlsx --sheet Services --json\n  egovctl validate file agencies export.csv --encoding cp1251 --delimiter ";"\n  egovctl validate file services unicode.csv --encoding utf16le --agencies agencies.csv --agencies-encoding cp1251\n  gunzip -c reg.ndjson.gz | egovctl validate file services - --format ndjson --json\n  egovctl validate file services reg.csv --agencies agencies.csv --format html --out report.html\n  gunzip -c reg.ndjson.gz | egovctl validate file services - --format ndjson --format html > report.html\n  egovctl validate file applications applications.csv --services reg.csv --agencies agencies.csv\n  egovctl validate file applications applications.ndjson --with-db --json')
    .action(bind(validateFileCommand));

  const db = validate
    .command('db')
    .description('the rules on what the database holds, plus unused-agency')
    .addOption(new Option('--entity <entity>', 'only agencies or services').choices(['agencies', 'services']))
    .addOption(strictOption())
    .addOption(maxIssuesOption());
  addReportOptions(db)
    .addHelpText('after', '\nExit 0 when valid, 3 when not.\n\nExamples:\n  egovctl validate db\n  egovctl --all-targets validate db --strict --json\n  egovctl validate db --format html --out /srv/reports/registry-check.html\n  egovctl --all-targets validate db --format html --out /srv/reports/{target}-check-{date}.html')
    .action(bind(validateDbCommand));
}

interface FileOpts extends Omit<ReadFlags, 'format'> {
  format?: SplitFormat;
  out?: string;
  agencies?: string;
  services?: string;
  agenciesEncoding?: ReadFlags['encoding'];
  withDb?: boolean;
  strict?: boolean;
  maxIssues: number;
}

function entityArg(name: string): EntityName {
  if (!isEntityName(name)) throw new UsageError(`unknown entity "${name}": use agencies, services or applications`);
  return name;
}

function present(ctx: Ctx, r: ValidationReport): void {
  const table = renderIssues(r.issues, ctx.paint, ctx.width);
  if (table) ctx.report.write(`${table}\n`);
  const mark = r.valid ? ctx.paint.green('valid') : ctx.paint.red('not valid');
  ctx.report.write(`${r.entity} from ${r.source}: ${mark} — ${summaryLine(r, ctx.paint)}\n`);
  // --quiet: no report, but a failure still says so on standard error
  if (ctx.opts.quiet && !r.valid) ctx.logger.error(`${r.entity} from ${r.source}: not valid — ${summaryLine(r, ctx.errPaint)}`);
}

async function progressFor(ctx: Ctx, total: number | null) {
  const { createProgress } = await import('../src/output/progress.js');
  const progress = createProgress(ctx.stderr, 'validating', { enabled: !ctx.opts.quiet });
  progress.total(total, 'bytes');
  return progress;
}

async function validateFileCommand(ctx: Ctx, entityName: string, path: string, o: FileOpts): Promise<number> {
  const entity = entityArg(entityName);
  const ro = reportOutFrom(ctx, o.format?.report, o.out);
  const flags = { ...o, format: o.format?.read as ReadFlags['format'] };
  const { validateFile } = await import('../src/validate/validate-file.js');
  const read = readOptionsFrom(ctx, entity, path, flags);
  if (o.services && !namesServices(entity)) throw new UsageError('--services is for validate file applications: only applications name services by a file of their own');
  const run = async (lookup?: import('../src/records/agency-lookup.js').AgencyLookup, services?: import('../src/records/service-lookup.js').ServiceLookup) => {
    const progress = await progressFor(ctx, null);
    try {
      return await validateFile({
        ...read,
        // --encoding is the main file's: the agencies file has its own (issue 13).
        ...(o.agencies ? { agenciesFile: { ...readOptionsFrom(ctx, 'agencies', o.agencies, flags), format: undefined, sheet: undefined, encoding: o.agenciesEncoding ?? 'bom' } } : {}),
        ...(o.services ? { servicesFile: { ...readOptionsFrom(ctx, 'services', o.services, flags), format: undefined, sheet: undefined, encoding: 'bom' as const } } : {}),
        ...(lookup ? { agencyLookup: lookup } : {}),
        ...(services ? { serviceLookup: services } : {}),
        maxIssues: o.maxIssues,
        strict: !!o.strict,
        onProgress: (n, bytes) => progress.update(n, bytes),
      });
    } finally {
      progress.done();
    }
  };
  let report: ValidationReport;
  if (o.withDb) {
    const { agencyLookupFromDb } = await import('../src/records/validate-db.js');
    report = await runOnDb(ctx, ctx.singleTarget(), async (db) => {
      const services = namesServices(entity) ? await (await import('../src/applications/service-versions.js')).StoredServices.load(db.knex) : undefined;
      return { result: await run(await agencyLookupFromDb(db), services) };
    }, { schema: true, readOnly: false });
  } else {
    report = await run();
  }
  const { presentValidation } = await import('./validate-html.js');
  await presentValidation(ctx, report, ro, () => present(ctx, report));
  return report.valid ? 0 : 3;
}

async function validateDbCommand(ctx: Ctx, o: { entity?: EntityName; strict?: boolean; maxIssues: number; format?: ReportFormat; out?: string }): Promise<number> {
  const ro = reportOutFrom(ctx, o.format, o.out);
  const html = ro.format === 'html' ? await (await import('./validate-html.js')).htmlPerTarget(ctx, ro) : null;
  const { validateDb } = await import('../src/records/validate-db.js');
  return runTargets(
    ctx,
    async (target) => {
      const progress = await progressFor(ctx, null);
      try {
        const report = await runOnDb(ctx, target, async (db) => ({
          result: await validateDb(db, {
            ...(o.entity ? { entities: [o.entity] } : {}),
            maxIssues: o.maxIssues,
            strict: !!o.strict,
            signal: ctx.signal,
            onProgress: (n) => progress.update(n),
          }),
        }), { schema: true });
        await html?.write(target, report);
        return { result: report, exitCode: report.valid ? 0 : 3 };
      } finally {
        progress.done();
      }
    },
    (r, target) => (html ? html.present(target, r) : present(ctx, r)),
  );
}
