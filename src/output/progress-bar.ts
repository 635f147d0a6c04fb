// A progress line on a terminal for long runs (SPEC §5): records, records/s, and a bar with
// an ETA when the total is known. Nothing at all when standard error is not a terminal.

export interface Progress {
  update(records: number, bytes?: number): void;
  done(): void;
}

export interface ProgressOptions {
  label: string;
  /** total bytes (or records) when known: shows a bar and an ETA */
  total: number | null;
  enabled: boolean;
  /** start drawing only after this many records ("more than a few thousand") */
  minRecords?: number;
}

const NOOP: Progress = { update() {}, done() {} };

export function createProgress(stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }, opts: ProgressOptions): Progress {
  if (!opts.enabled || !stream.isTTY) return NOOP;
  const start = Date.now();
  const min = opts.minRecords ?? 5000;
  let last = 0;
  let drawn = false;
  const draw = (records: number, bytes?: number) => {
    const secs = (Date.now() - start) / 1000;
    const rate = secs > 0 ? Math.round(records / secs) : 0;
    let line = `${opts.label}: ${records.toLocaleString('en')} records, ${rate.toLocaleString('en')}/s`;
    if (opts.total && bytes !== undefined && bytes > 0) {
      const frac = Math.min(1, bytes / opts.total);
      const width = 20;
      const fill = Math.round(frac * width);
      const eta = frac > 0 ? Math.max(0, Math.round(secs / frac - secs)) : 0;
      line = `${opts.label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${Math.round(frac * 100)}% ${records.toLocaleString('en')} records, ${rate.toLocaleString('en')}/s, ETA ${eta}s`;
    }
    const cols = stream.columns ?? 100;
    stream.write(`\r${line.slice(0, cols - 1).padEnd(Math.min(cols - 1, line.length + 2))}`);
    drawn = true;
  };
  return {
    update(records, bytes) {
      if (records < min) return;
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      draw(records, bytes);
    },
    done() {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}
