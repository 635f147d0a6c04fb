import { UsageError } from '../errors.js';
import { formatOfName } from '../io/format-of-name.js';
import { isGzipName } from '../io/write-gzip.js';

export type ExportFormat = 'csv' | 'json' | 'ndjson' | 'xlsx' | 'cpsv-ap';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'json', 'ndjson', 'xlsx', 'cpsv-ap'];


export interface OutputChoice {
  format: ExportFormat;
  gzip: boolean;
  /** null: standard output */
  out: string | null;
}

/** --format wins; else the --out extension; else csv. `.gz` on --out means --gzip. */
export function chooseOutput(o: { format?: string; out?: string; gzip?: boolean }): OutputChoice {
  const out = o.out === undefined || o.out === '-' ? null : o.out;
  if (o.out === '') throw new UsageError('--out takes a file path (or - for standard output)');
  let format: ExportFormat;
  if (o.format !== undefined) {
    if (!(EXPORT_FORMATS as readonly string[]).includes(o.format)) throw new UsageError(`--format takes ${EXPORT_FORMATS.join(', ')}, not "${o.format}"`);
    format = o.format as ExportFormat;
  } else format = (out && formatOfName(out)) || 'csv';
  const gzip = !!o.gzip || (out !== null && isGzipName(out));
  // an .xlsx is a zip already: gzip around it is a file no spreadsheet program opens
  if (format === 'xlsx' && gzip) throw new UsageError('--gzip does not apply to xlsx: an .xlsx file is already compressed (a zip)');
  return { format, gzip, out };
}
