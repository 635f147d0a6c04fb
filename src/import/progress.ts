// A progress line for imports on a terminal (SPEC §5): records read, records/s and, when
// the file's size is known, the share done and an ETA. Nothing at all without a terminal.
// Redrawn at most a few times a second, so that it costs nothing next to the import.

export interface Progress {
  tick(records: number, bytesRead: number): void;
  phase(label: string): void;
  done(): void;
}

export const noProgress: Progress = { tick() {}, phase() {}, done() {} };

function duration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  const m = Math.floor(s / 60);
  return m ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

export function createProgress(stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }, bytesTotal: number | null, now = () => Date.now()): Progress {
  if (!stream.isTTY) return noProgress;
  const started = now();
  let last = 0;
  let shown = false;
  let label = 'importing';
  const draw = (records: number, bytes: number) => {
    const secs = (now() - started) / 1000;
    const rate = secs > 0 ? records / secs : 0;
    let line = `${label}: ${records.toLocaleString('en')} records, ${Math.round(rate).toLocaleString('en')}/s`;
    if (bytesTotal && bytesTotal > 0) {
      const share = Math.min(1, bytes / bytesTotal);
      const width = 24;
      const full = Math.round(share * width);
      const eta = share > 0 ? secs / share - secs : NaN;
      line = `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${(share * 100).toFixed(0).padStart(3)}% ${line}, ETA ${duration(eta)}`;
    }
    const cols = stream.columns ?? 100;
    stream.write(`\r${line.slice(0, cols - 1)}\x1b[K`);
    shown = true;
  };
  let lastRecords = 0;
  let lastBytes = 0;
  return {
    tick(records, bytes) {
      lastRecords = records;
      lastBytes = bytes;
      const t = now();
      if (t - last < 200) return;
      last = t;
      draw(records, bytes);
    },
    phase(l) {
      label = l;
      draw(lastRecords, lastBytes);
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}
