import type { Issue } from '../records/issues.js';
import type { Paint } from './logger.js';
import { renderTable } from './table.js';

/** The issues of a report as a table for a person: where, what, and what to do. */
export function renderIssues(issues: readonly Issue[], paint: Paint, width = 80): string {
  if (!issues.length) return '';
  const rows = issues.map((i) => [
    i.line === null ? '' : i.record !== undefined ? `${i.line} (#${i.record})` : i.cell !== undefined ? `${i.line} (${i.cell})` : String(i.line),
    i.severity === 'error' ? paint.red('error') : paint.yellow('warning'),
    i.code,
    i.key ?? '',
    i.field ?? '',
    i.message,
  ]);
  return renderTable(['line', 'severity', 'code', 'key', 'field', 'message'], rows, { width, wrapLast: true });
}

export interface Summary {
  records: number;
  errors: number;
  warnings: number;
  truncated: boolean;
  issues: readonly unknown[];
}

export function summaryLine(r: Summary, paint: Paint, what = 'record'): string {
  const n = (k: number, w: string) => `${k} ${w}${k === 1 ? '' : 's'}`;
  const e = r.errors ? paint.red(n(r.errors, 'error')) : n(0, 'error');
  const w = r.warnings ? paint.yellow(n(r.warnings, 'warning')) : n(0, 'warning');
  const more = r.truncated ? ` (showing the first ${r.issues.length}; --max-issues to see more)` : '';
  return `${n(r.records, what)}: ${e}, ${w}${more}`;
}
