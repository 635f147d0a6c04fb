import type { Issue } from '../../records/issues.js';
import type { ValidationReport } from '../../records/report.js';
import { RULE_MEANINGS, ruleMeaning } from '../../records/rule-meanings.js';
import { html, when, type Html } from './escape.js';
import { page } from './page.js';
import { table, type Column } from './table.js';
import { totals, type Total } from './totals.js';

// The validation report of SPEC §3 as one page a clerk reads (§11): the totals first,
// then the issues grouped by code — errors before warnings, in the order of the spec's
// table — each group with its severity, its count and what the code means.

/** An issue as readers give it: the XLSX reader adds `cell`, validate db adds `entity`. */
export type ReportIssue = Issue & { cell?: string | null; entity?: string };

export interface HtmlValidationReport extends Omit<ValidationReport, 'issues'> {
  issues: readonly ReportIssue[];
  entities?: Record<string, { records: number; errors: number; warnings: number }>;
}

export interface ValidationPageOptions {
  /** ISO 8601: when the validation ran */
  generatedAt: string;
  toolVersion?: string;
}

const ORDER = new Map(Object.keys(RULE_MEANINGS).map((c, i) => [c, i]));

export interface IssueGroup {
  code: string;
  severity: Issue['severity'];
  issues: ReportIssue[];
}

export function groupIssues(issues: readonly ReportIssue[]): IssueGroup[] {
  const by = new Map<string, IssueGroup>();
  for (const i of issues) {
    let g = by.get(i.code);
    if (!g) by.set(i.code, (g = { code: i.code, severity: i.severity, issues: [] }));
    g.issues.push(i);
  }
  const rank = (g: IssueGroup) => ORDER.get(g.code) ?? Number.MAX_SAFE_INTEGER;
  return [...by.values()].sort((a, b) =>
    a.severity !== b.severity ? (a.severity === 'error' ? -1 : 1) : rank(a) - rank(b) || a.code.localeCompare(b.code));
}

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
const anchor = (code: string) => `code-${code.replace(/[^a-z0-9-]/gi, '_')}`;

function issueColumns(g: IssueGroup): Column<ReportIssue>[] {
  const cols: Column<ReportIssue>[] = [];
  if (g.issues.some((i) => i.entity)) cols.push({ head: 'entity', cell: (i) => i.entity ?? null });
  if (g.issues.some((i) => i.line !== null)) {
    cols.push({ head: 'line', num: true, cell: (i) => (i.line === null ? null : i.record !== undefined ? `${i.line} (#${i.record})` : i.line) });
  }
  if (g.issues.some((i) => i.cell)) cols.push({ head: 'cell', cell: (i) => i.cell ?? null });
  cols.push(
    { head: 'key', cell: (i) => i.key, max: 40, nowrap: true },
    { head: 'field', cell: (i) => i.field, max: 40 },
    { head: 'value', cell: (i) => i.value, max: 60 },
    { head: 'message', cell: (i) => i.message, max: 300 },
  );
  return cols;
}

function group(g: IssueGroup): Html {
  const meaning = ruleMeaning(g.code);
  return html`<section class="group" id="${anchor(g.code)}" data-code="${g.code}">
<h2><code>${g.code}</code> <span class="badge ${g.severity}">${g.severity}</span> <span class="count">${plural(g.issues.length, 'issue')}</span></h2>
${meaning ? html`<p class="meaning">${meaning}</p>` : ''}
${table(issueColumns(g), g.issues)}
</section>
`;
}

export function renderValidationHtml(r: HtmlValidationReport, o: ValidationPageOptions): string {
  const groups = groupIssues(r.issues);
  const verdict = r.valid
    ? html`<span class="verdict ok">valid</span>`
    : html`<span class="verdict bad">not valid</span>`;
  const items: Total[] = [
    { label: 'result', value: verdict },
    { label: 'records', value: r.records },
    { label: 'errors', value: r.errors, ...(r.errors ? { tone: 'err' as const } : {}) },
    { label: 'warnings', value: r.warnings, ...(r.warnings ? { tone: 'warn' as const } : {}) },
    { label: 'entity', value: r.entity },
    { label: 'checked at', value: when(o.generatedAt) },
    { label: 'issues listed', value: r.truncated ? `${r.issues.length} of ${r.errors + r.warnings} (truncated)` : r.issues.length ? `all ${r.issues.length}` : 'none' },
    { label: 'source', value: r.source, tone: 'wide' },
  ];
  for (const [name, c] of Object.entries(r.entities ?? {})) {
    items.push({ label: name, value: `${plural(c.records, 'record')}: ${plural(c.errors, 'error')}, ${plural(c.warnings, 'warning')}` });
  }
  const strictNote = !r.valid && r.errors === 0 ? html`<p class="note">No errors, but warnings fail this validation (--strict).</p>` : '';
  const truncNote = r.truncated
    ? html`<p class="note">The list is cut at ${r.issues.length} issues (--max-issues); the error and warning totals above count them all, the counts per code below count the listed ones.</p>`
    : '';
  const toc = groups.length > 1
    ? html`<nav class="toc" aria-label="codes"><ul>${groups.map((g) => html`<li><a href="#${anchor(g.code)}">${g.code}</a> <span class="count">${g.issues.length}</span></li>`)}</ul></nav>`
    : '';
  const body = html`<h1>Validation of ${r.entity} — ${r.source}</h1>
<section class="summary" aria-label="totals">${totals(items)}${strictNote}${truncNote}</section>
${toc}
${groups.length ? groups.map(group) : r.errors + r.warnings ? html`<p class="note">No issue is listed (--max-issues 0); the totals above count them.</p>` : html`<p class="none-found">No issues found.</p>`}`;
  return page({
    title: `${r.valid ? 'valid' : 'not valid'}: ${r.entity} — ${r.source}`,
    body,
    footer: html`egovctl${o.toolVersion ? ` ${o.toolVersion}` : ''} validate, ${when(o.generatedAt)}.${r.issues.some((i) => i.line !== null) ? ' Lines are those of the file (the header is line 1).' : ''}`,
  });
}
