// A progress bar on standard error, for long imports and exports (SPEC §5): only on a
// terminal, only past a few thousand records, redrawn at most ten times a second, and
// erased when done so the terminal shows just the result.

export interface Progress {
  total(n: number): void;
  update(done: number): void;
  done(): void;
}

export const PROGRESS_MIN_RECORDS = 5000;

export const noProgress: Progress = { total() {}, update() {}, done() {} };

export function createProgress(stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }, label: string, enabled: boolean): Progress {
  if (!enabled || !stream.isTTY) return noProgress;
  let total = 0;
  let current = 0;
  let last = 0;
  let drawn = false;
  const draw = () => {
    if (total < PROGRESS_MIN_RECORDS) return;
    const shown = Math.min(current, total);
    const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - label.length - 30));
    const filled = Math.round((shown / total) * width);
    const pct = Math.floor((shown / total) * 100);
    stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${shown}/${total}`);
    drawn = true;
  };
  return {
    total(n) {
      total = n;
    },
    update(done) {
      current = done;
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      draw();
    },
    done() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}
