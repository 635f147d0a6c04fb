import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { UsageError } from '../src/errors.js';
import type { Ctx } from './context.js';
import { outOption } from './options.js';

// How a report leaves the tool (validate; later report discipline): `--format table|json|html`
// and `--out <path>`. An HTML page is for a file or a pipe, never for a terminal; --out
// writes it atomically, and standard output is then free for the --json report (as with
// export's summary).

export type ReportFormat = 'table' | 'json' | 'html';
export const REPORT_FORMATS: readonly ReportFormat[] = ['table', 'json', 'html'];

/** `--format table|json|html` and `--out`, for a command that reads no file (validate db). */
export function addReportOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--format <format>', 'the report: table (default), json (as --json) or html').choices(REPORT_FORMATS))
    .addOption(outOption('write the HTML report to this file, atomically'));
}

export interface SplitFormat {
  read?: string;
  report?: ReportFormat;
}

/**
 * `validate file` already takes --format for the file it reads (csv, json, ndjson…). The
 * same flag also takes table or html for the report, and may be given twice
 * (`--format ndjson --format html`). `json` keeps its old meaning there, the file's
 * format; the JSON report is --json. The file formats are those the read options declare,
 * so a reader added there is accepted here too.
 */
export function widenFormatOption(cmd: Command): Command {
  const opt = cmd.options.find((o) => o.long === '--format');
  if (!opt) throw new Error('widenFormatOption: the command has no --format');
  const readFormats = [...(opt.argChoices ?? [])];
  // the read options' own check of a file format (choices, or a parser of their own)
  const readParse = opt.parseArg as ((value: string, previous: unknown) => unknown) | undefined;
  const reportFormats = ['table', 'html'];
  if (readFormats.length) opt.argChoices = [...readFormats, ...reportFormats];
  opt.description = `${opt.description}; or the report: table (default) or html (may be given twice, like --format ndjson --format html)`;
  opt.argParser((value: string, previous: unknown): SplitFormat => {
    const prev = (previous ?? {}) as SplitFormat;
    if (reportFormats.includes(value)) {
      if (prev.report && prev.report !== value) throw new InvalidArgumentError(`two report formats: ${prev.report} and ${value}`);
      return { ...prev, report: value as ReportFormat };
    }
    let read = value;
    if (readFormats.length) {
      if (!readFormats.includes(value)) throw new InvalidArgumentError(`Allowed choices are ${[...readFormats, ...reportFormats].join(', ')}.`);
    } else if (readParse) {
      try {
        read = String(readParse.call(opt, value, undefined));
      } catch (err) {
        throw new InvalidArgumentError(`${(err as Error).message.replace(/\.$/, '')}; or a report format: ${reportFormats.join(', ')}.`);
      }
    }
    if (prev.read && prev.read !== read) throw new InvalidArgumentError(`two file formats: ${prev.read} and ${read}`);
    return { ...prev, read };
  });
  return cmd;
}

export interface ReportOut {
  format: ReportFormat;
  /** absolute path of --out; null: standard output */
  out: string | null;
}

function isTerminal(s: NodeJS.WritableStream): boolean {
  return !!(s as { isTTY?: boolean }).isTTY;
}

/**
 * Checks --format and --out before any work is done. `--format json` turns --json on, so
 * the report and any failure come as the JSON documents of SPEC §8.
 */
export function reportOutFrom(ctx: Ctx, format: ReportFormat | undefined, out: string | undefined): ReportOut {
  const f = format ?? (ctx.opts.json ? 'json' : 'table');
  if (f === 'json') ctx.opts.json = true;
  const file = out === undefined || out === '-' ? null : path.resolve(ctx.cwd, out);
  if (out !== undefined && f !== 'html') {
    throw new UsageError('--out writes the HTML report: add --format html (the JSON report goes to standard output with --json)');
  }
  if (f === 'html' && file === null) {
    if (ctx.opts.json) throw new UsageError('the HTML report and --json cannot both go to standard output: write the page with --out <file>');
    if (isTerminal(ctx.stdout)) throw new UsageError('an HTML report is not for a terminal: write it with --out <file> (or redirect standard output)');
  }
  return { format: f, out: file };
}

/**
 * Writes a rendered page where --out said: atomically to its file, or to standard output
 * (a pipe: reportOutFrom refused a terminal). Returns the path, or null for standard output.
 */
export async function writeHtmlPage(ctx: Ctx, html: string, out: string | null): Promise<string | null> {
  if (out === null) {
    ctx.stdout.write(html);
    // standard output holds the page: nothing may follow it, not even a JSON error
    ctx.reported = true;
    return null;
  }
  const { writeFileAtomic } = await import('../src/io/atomic-file.js');
  await writeFileAtomic(out, html);
  return out;
}
