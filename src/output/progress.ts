// The one progress line on standard error for long imports, exports and validations
// (SPEC §5): records done and records/s, and — once the size is known, in bytes of the
// input or records of the output — a bar, the share done and an ETA. Only on a terminal,
// only past a few thousand records, redrawn at most five times a second, erased when done.

export interface Progress {
  /** the size, when known: bytes of the input (import, validate) or records of the output (export) */
  total(n: number | null, unit?: 'bytes' | 'records'): void;
  update(records: number, bytes?: number): void;
  /** what is being done now ("checking", "merging") */
  phase(label: string): void;
  done(): void;
}

export const PROGRESS_MIN_RECORDS = 5000;

export const noProgress: Progress = { total() {}, update() {}, phase() {}, done() {} };

export interface ProgressOptions {
  enabled?: boolean;
  /** draw from this many records on (tests set 0) */
  minRecords?: number;
  now?: () => number;
}

function duration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  const m = Math.floor(s / 60);
  return m ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

export function createProgress(stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }, label: string, opts: ProgressOptions = {}): Progress {
  if (opts.enabled === false || !stream.isTTY) return noProgress;
  const now = opts.now ?? Date.now;
  const min = opts.minRecords ?? PROGRESS_MIN_RECORDS;
  const started = now();
  let size: number | null = null;
  let unit: 'bytes' | 'records' = 'records';
  let records = 0;
  let bytes = 0;
  let last = 0;
  let shown = false;
  let what = label;
  const draw = () => {
    if (records < min && !(unit === 'records' && size !== null && size >= min)) return;
    const secs = (now() - started) / 1000;
    // Records counted on the way out are an estimate (a CSV record with a line break in a
    // value counts twice): against a known number of records, never show more than it.
    const n = unit === 'records' && size !== null && size >= 0 ? Math.min(records, size) : records;
    const rate = secs > 0 ? n / secs : 0;
    let line = `${what}: ${n.toLocaleString('en')} records, ${Math.round(rate).toLocaleString('en')}/s`;
    if (size && size > 0) {
      const share = Math.min(1, (unit === 'bytes' ? bytes : n) / size);
      const width = 24;
      const full = Math.round(share * width);
      const eta = share > 0 ? secs / share - secs : NaN;
      line = `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${(share * 100).toFixed(0).padStart(3)}% ${line}, ETA ${duration(eta)}`;
    }
    const cols = stream.columns ?? 100;
    stream.write(`\r${line.slice(0, cols - 1)}\x1b[K`);
    shown = true;
  };
  return {
    total(n, u = 'records') {
      size = n;
      unit = u;
    },
    update(r, b) {
      records = r;
      if (b !== undefined) bytes = b;
      const t = now();
      if (t - last < 200) return;
      last = t;
      draw();
    },
    phase(l) {
      what = l;
      draw();
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}
