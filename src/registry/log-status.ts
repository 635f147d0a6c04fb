import type { Knex } from 'knex';
import { storedLines } from './log-file.js';
import { hasLog, latestHead } from './log-store.js';
import { CompactRange } from './log/compact-range.js';
import { EMPTY_ROOT, leafHash } from './log/merkle-hash.js';

// `doctor`'s line on the registry log: its size and root (the last stored head), and whether
// that head verifies — the root recomputed from the stored entries 1…size, the way
// `registry verify` does (one pass over the entries' bytes; items are not read here).

export interface LogStatus {
  size: number;
  root: string;
  /** the last head equals the root recomputed from the stored entries */
  head_verifies: boolean;
}

export async function logStatus(knex: Knex): Promise<LogStatus | null> {
  if (!(await hasLog(knex))) return null;
  const head = await latestHead(knex);
  if (!head) return { size: 0, root: EMPTY_ROOT.toString('base64'), head_verifies: true };
  const range = CompactRange.empty();
  let expected = 1;
  let gapless = true;
  for await (const l of storedLines(knex, 1, head.size)) {
    if (l.number !== expected++) gapless = false;
    range.append(leafHash(l.entry));
  }
  const ok = gapless && range.size === head.size && range.root().toString('base64') === head.root;
  return { size: head.size, root: head.root, head_verifies: ok };
}
