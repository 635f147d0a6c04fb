import { inputFields, type EntityName } from '../records/fields.js';
import { toRow } from '../records/db-row.js';
import type { RecordValues } from '../records/fields.js';

// The staging table holds the file's valid records as database rows, plus the line each
// started on (for issues found by the set-based checks) and, when rejects are written,
// the original text.

export const STAGE = 'egovctl_import_stage';

/** The record's own columns, in field-table order (updated_at is set by the merge). */
export function dataColumns(entity: EntityName): string[] {
  return inputFields(entity).map((f) => f.name);
}

export function stageColumns(entity: EntityName, withRaw: boolean): string[] {
  return ['line', ...(withRaw ? ['raw'] : []), ...dataColumns(entity)];
}

/** One staging row, as values in stageColumns order. */
export function stageValues(entity: EntityName, cols: readonly string[], line: number, raw: string | null, values: RecordValues): unknown[] {
  const row = toRow(entity, values);
  row.line = line;
  row.raw = raw;
  return cols.map((c) => row[c] ?? null);
}

/** Double quotes for an identifier we control (field names and our own table names). */
export function q(name: string): string {
  return `"${name}"`;
}

const COPY_SPECIAL = /[\\\t\n\r]/;

/** A value in PostgreSQL's COPY text format: \N is null; backslash, tab and line ends escaped. */
export function copyText(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  const s = typeof v === 'string' ? v : String(v);
  if (!COPY_SPECIAL.test(s)) return s;
  return s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

export function copyLine(values: readonly unknown[]): string {
  let s = copyText(values[0]);
  for (let i = 1; i < values.length; i++) s += `\t${copyText(values[i])}`;
  return `${s}\n`;
}
