import { csvCell, escapeFormula } from '../export/csv-cell.js';
import { NO_KEY } from '../output/html/discipline-report.js';
import type { Paint } from '../output/logger.js';
import { renderTable, type Cell } from '../output/table.js';
import type { DisciplineGroup, DisciplineReportDoc, DisciplineRow } from './discipline.js';

// The human and CSV forms of a discipline report (SPEC §10). The JSON form is the document
// itself; the HTML form is src/output/html/discipline-report.ts.

export const DISCIPLINE_COLUMNS = ['key', 'name', 'applications', 'decided', 'on_time', 'late', 'open', 'overdue', 'on_time_rate', 'median_days', 'p90_days', 'max_days_late'] as const;

const FIGURES = ['applications', 'decided', 'on_time', 'late', 'open', 'overdue', 'on_time_rate', 'median_days', 'p90_days', 'max_days_late'] as const;

/**
 * The groups as CSV, the columns in the order of §10, one line per group (no total line: a
 * cron job's file holds the groups; the total is in --json). A null is an empty cell; a
 * name that starts like a formula gets the export's `'` guard (SPEC §7).
 */
export function disciplineCsv(doc: DisciplineReportDoc): string {
  const lines = [DISCIPLINE_COLUMNS.join(',')];
  for (const g of doc.groups) {
    const cells = [csvCell(g.key), csvCell(g.name === null ? null : escapeFormula(g.name))];
    for (const f of FIGURES) cells.push(csvCell(g[f] === null ? null : String(g[f])));
    lines.push(cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}

const pct = (r: number | null) => (r === null ? '—' : (r * 100).toFixed(2));
const orDash = (v: number | null) => (v === null ? '—' : v);

function figures(r: DisciplineRow): Cell[] {
  return [r.applications, r.decided, r.on_time, r.late, r.open, r.overdue, pct(r.on_time_rate), orDash(r.median_days), orDash(r.p90_days), r.max_days_late];
}

/**
 * The report as a table for a terminal: a heading line, one row per group, the total last.
 * The figures are never cut at 80 columns (p50 is the median): the group's name (agency, service) is the last column, shown
 * when the terminal is wide enough for it, and wrapped there.
 */
export function disciplineTable(doc: DisciplineReportDoc, paint: Paint, width: number): string {
  const period = `${doc.from ?? 'first'} … ${doc.to ?? 'last'}`;
  const head = `discipline by ${doc.by}: submitted ${period} (${doc.time_zone}), open as of ${doc.as_of}`;
  if (!doc.groups.length) return `${head}\nno applications in this period\n`;
  const named = (doc.by === 'agency' || doc.by === 'service') && width >= 110;
  const cols = [doc.by, 'apps', 'decided', 'on time', 'late', 'open', 'overdue', 'rate %', 'p50', 'p90', 'max late', ...(named ? ['name'] : [])];
  const row = (g: DisciplineGroup): Cell[] => {
    const f = figures(g);
    if (g.late) f[3] = paint.red(String(g.late));
    if (g.overdue) f[5] = paint.yellow(String(g.overdue));
    return [g.key ?? NO_KEY, ...f, ...(named ? [g.name ?? ''] : [])];
  };
  const rows = doc.groups.map(row);
  rows.push([paint.bold('total'), ...figures(doc.total), ...(named ? [''] : [])]);
  return `${head}\n${renderTable(cols, rows, { width, wrapLast: named })}\n`;
}
