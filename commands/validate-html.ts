import { redact } from '../src/config/redact.js';
import type { Target } from '../src/config/resolve.js';
import { UsageError } from '../src/errors.js';
import { summaryLine } from '../src/output/issues-view.js';
import { writeJson } from '../src/output/json.js';
import type { HtmlValidationReport } from '../src/output/html/validation-report.js';
import { toolVersion } from '../src/version.js';
import type { Ctx } from './context.js';
import { writeHtmlPage, type ReportOut } from './report-output.js';

// The HTML form of a validation report: to its --out file (atomically), or to standard
// output when that is a pipe. Returns the path written, or null for standard output.

export async function writeValidationHtml(ctx: Ctx, report: HtmlValidationReport, ro: ReportOut, out: string | null = ro.out): Promise<string | null> {
  const { renderValidationHtml } = await import('../src/output/html/validation-report.js');
  // as every text leaving the process (SPEC §5): a source that is a URL, or a value holding
  // a known password, never shows it
  const page = redact(renderValidationHtml(report, { generatedAt: new Date().toISOString(), toolVersion: toolVersion() }));
  return writeHtmlPage(ctx, page, out);
}

/** Presents a validation report as --format and --out ask: table, JSON, or the HTML page. */
export async function presentValidation(ctx: Ctx, report: HtmlValidationReport, ro: ReportOut, asTable: () => void): Promise<void> {
  if (ro.format === 'html') {
    const written = await writeValidationHtml(ctx, report, ro);
    if (written !== null) presentWritten(ctx, report, written);
    return;
  }
  if (ctx.opts.json) {
    writeJson(ctx.stdout, report);
    ctx.reported = true;
  } else asTable();
}

/**
 * After the page went to a file, standard output is free: the JSON report with --json (as
 * export's summary), else one line saying what was found and where the page is.
 */
export function presentWritten(ctx: Ctx, report: HtmlValidationReport, written: string, json = true): void {
  if (ctx.opts.json) {
    if (json) {
      writeJson(ctx.stdout, report);
      ctx.reported = true;
    }
    return;
  }
  if (ctx.opts.quiet) return;
  const mark = report.valid ? ctx.paint.green('valid') : ctx.paint.red('not valid');
  ctx.stdout.write(`${report.entity} from ${redact(report.source)}: ${mark} — ${summaryLine(report, ctx.paint)}\nHTML report: ${written}\n`);
}

/**
 * validate db's pages, one per target: with several targets --out must hold {target}
 * (and may hold {date}), as export's files do.
 */
export async function htmlPerTarget(ctx: Ctx, ro: ReportOut) {
  const targets = ctx.config().targets;
  const several = targets.length > 1;
  if (several && (ro.out === null || !ro.out.includes('{target}'))) {
    throw new UsageError('several targets need --out with a {target} placeholder, one page per target (like --out /srv/reports/{target}-check-{date}.html)');
  }
  const { expandOut } = await import('./export.js');
  const date = new Date().toISOString().slice(0, 10);
  const written = new Map<string, string | null>();
  return {
    async write(target: Target, report: HtmlValidationReport): Promise<void> {
      const out = ro.out === null ? null : expandOut(ro.out, target.name, date);
      written.set(target.name, await writeValidationHtml(ctx, report, ro, out));
    },
    present(target: Target, report: HtmlValidationReport): void {
      const w = written.get(target.name);
      if (w) presentWritten(ctx, report, w, false);
    },
  };
}
