import { barChart, percent } from './bar-chart.js';
import { html, when } from './escape.js';
import { page } from './page.js';
import { table, type Column } from './table.js';
import { totals, type Total } from './totals.js';

// `report discipline --format html` (SPEC §10, §11): the totals, a bar chart of on-time
// rates per group, and the table of every column. Written against the JSON shape of §10,
// so that the command hands over the very document it prints with --json.

export interface DisciplineRow {
  applications: number;
  decided: number;
  on_time: number;
  late: number;
  open: number;
  overdue: number;
  /** on_time / decided to 4 decimals; null when nothing was decided */
  on_time_rate: number | null;
  median_days: number | null;
  p90_days: number | null;
  max_days_late: number;
}

export interface DisciplineGroup extends DisciplineRow {
  /** null only by agency: applications with no handled_by whose service is no longer in the registry */
  key: string | null;
  name: string | null;
}

export interface DisciplineReportDoc {
  from: string | null;
  to: string | null;
  as_of: string;
  by: 'agency' | 'service' | 'region' | 'channel' | 'month' | string;
  time_zone: string;
  groups: readonly DisciplineGroup[];
  total: DisciplineRow;
}

export interface DisciplinePageOptions {
  /** ISO 8601: when the report was made (a tile and the footer say it) */
  generatedAt?: string;
  toolVersion?: string;
  /** the database the report was made from (a target name; no secrets) */
  source?: string;
}

/** the group of applications whose handling agency is not known (SPEC §10 leaves it open; README) */
export const NO_KEY = '(service no longer in the registry)';

const rate = (r: number | null) => (r === null ? null : percent(r));
const days = (d: number | null) => (d === null ? null : d);

export function renderDisciplineHtml(report: DisciplineReportDoc, o: DisciplinePageOptions = {}): string {
  const t = report.total;
  const period = `${report.from ?? 'the first application'} – ${report.to ?? 'the last application'}`;
  const items: Total[] = [
    { label: 'period (submitted)', value: period },
    { label: 'as of', value: report.as_of },
    { label: 'grouped by', value: report.by },
    { label: 'time zone', value: report.time_zone },
    { label: 'applications', value: t.applications },
    { label: 'decided', value: t.decided },
    { label: 'on time', value: t.on_time },
    { label: 'late', value: t.late, ...(t.late ? { tone: 'err' as const } : {}) },
    { label: 'on-time rate', value: t.on_time_rate === null ? 'no decisions' : percent(t.on_time_rate) },
    { label: 'open', value: t.open },
    { label: 'overdue', value: t.overdue, ...(t.overdue ? { tone: 'warn' as const } : {}) },
    { label: 'most days late', value: t.max_days_late },
  ];
  if (o.generatedAt) items.push({ label: 'made at', value: when(o.generatedAt) });
  if (o.source) items.push({ label: 'source', value: o.source, tone: 'wide' });
  const keyText = (g: DisciplineGroup) => g.key ?? NO_KEY;
  const label = (g: DisciplineGroup) => (g.name ? `${keyText(g)} — ${g.name}` : keyText(g));
  const cols: Column<DisciplineGroup>[] = [
    { head: 'key', cell: (g) => (g.key === null ? html`<span class="none">${NO_KEY}</span>` : g.key), max: 40, nowrap: true },
    ...(report.groups.some((g) => g.name !== null) ? [{ head: 'name', cell: (g: DisciplineGroup) => g.name, max: 60 }] : []),
    { head: 'applications', num: true, cell: (g) => g.applications },
    { head: 'decided', num: true, cell: (g) => g.decided },
    { head: 'on time', num: true, cell: (g) => g.on_time },
    { head: 'late', num: true, cell: (g) => g.late },
    { head: 'open', num: true, cell: (g) => g.open },
    { head: 'overdue', num: true, cell: (g) => g.overdue },
    { head: 'on-time rate', num: true, cell: (g) => rate(g.on_time_rate) ?? html`<span class="none">no decisions</span>` },
    { head: 'median days', num: true, cell: (g) => days(g.median_days) },
    { head: 'p90 days', num: true, cell: (g) => days(g.p90_days) },
    { head: 'max days late', num: true, cell: (g) => g.max_days_late },
  ];
  const body = html`<h1>Execution discipline by ${report.by}, ${period}</h1>
<section class="summary" aria-label="totals">${totals(items)}</section>
${report.groups.length
    ? html`<h2>On-time rate by ${report.by}</h2>
${barChart(report.groups.map((g) => ({ label: label(g), rate: g.on_time_rate })), { title: `On-time rate of decided applications by ${report.by}` })}
<h2>Every ${report.by}</h2>
${table(cols, report.groups)}`
    : html`<p class="none-found">No applications were submitted in this period.</p>`}
<p class="note">On time: decided on or before the deadline (due_on), dates in ${report.time_zone}. Open: received or in progress on ${report.as_of}; overdue: open past the deadline. Days are counted from the local submission date to the local decision date; p90 is the value at rank ⌈0.9·n⌉.</p>`;
  return page({
    title: `Execution discipline by ${report.by}, ${period}`,
    body,
    footer: html`egovctl${o.toolVersion ? ` ${o.toolVersion}` : ''} report discipline${o.generatedAt ? html`, ${when(o.generatedAt)}` : ''}.`,
  });
}
