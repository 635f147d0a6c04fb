// EGOVCTL_IMPORT_TIMING=1 prints how long each phase of an import takes (reading and
// COPY, each check, each merge statement) to standard error: for profiling, not for users.

const enabled = !!process.env.EGOVCTL_IMPORT_TIMING;

/** Runs `fn`, printing its duration under `label` when timing is on. */
export async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  if (!enabled) return fn();
  const t = performance.now();
  try {
    return await fn();
  } finally {
    const m = process.memoryUsage();
    const mb = (n: number) => (n / 1048576).toFixed(0);
    process.stderr.write(`import timing: ${label} ${(performance.now() - t).toFixed(0)} ms (rss ${mb(m.rss)} MB, heap ${mb(m.heapUsed)}, buffers ${mb(m.arrayBuffers)})\n`);
  }
}
