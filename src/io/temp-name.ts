import fs from 'node:fs';
import path from 'node:path';

// Temporary files beside their target, named `.<name>.egovctl-tmp-<pid>-<n>`: hidden, unique
// per run, and telling which process made them. A run killed with SIGKILL cannot remove its
// own; the next run that writes the same target finds them and removes those whose process
// is gone (never a live run's).

const MARK = '.egovctl-tmp-';
let counter = 0;

export function tempPathFor(target: string): string {
  const abs = path.resolve(target);
  return path.join(path.dirname(abs), `.${path.basename(abs)}${MARK}${process.pid}-${counter++}`);
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // someone else's live process
  }
}

/** Removes the temporary files of `target` left by runs that are no longer running; returns them. */
export function removeStaleTemps(target: string): string[] {
  const abs = path.resolve(target);
  const dir = path.dirname(abs);
  const prefix = `.${path.basename(abs)}${MARK}`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const m = /^(\d+)-\d+$/.exec(n.slice(prefix.length));
    if (!m || alive(Number(m[1]))) continue;
    try {
      fs.rmSync(path.join(dir, n), { force: true });
      removed.push(path.join(dir, n));
    } catch {
      // not ours to remove (permissions): leave it
    }
  }
  return removed;
}
