import type { Knex } from 'knex';
import { storedLineBatches } from './log-file.js';
import { ENTRIES_TABLE, HEADS_TABLE, hasLog, latestHead } from './log-store.js';
import { CompactRange, type CompactRangeState } from './log/compact-range.js';
import { EMPTY_ROOT, leafHash } from './log/merkle-hash.js';

// `doctor`'s line on the registry log: its size and root (the last stored head), and whether
// that head verifies. Checked the way the head was made: from the head before it (its stored
// compact range, which must give that head's own root) and the entries appended since,
// recomputed from their stored bytes — O(the last run's entries), not a pass over the whole
// log (which took doctor 70 s at 1,000,000 entries) — and the entries counted: exactly
// 1…size are stored. `registry verify` is the check of everything (every entry, item, head,
// and the tables against the log).

export interface LogStatus {
  size: number;
  root: string;
  /** the last head equals the root recomputed from the head before it and the entries after it, and entries 1…size are there */
  head_verifies: boolean;
  /** the size of the head the check started from (0: the whole log was recomputed) */
  checked_from: number;
}

export async function logStatus(knex: Knex): Promise<LogStatus | null> {
  if (!(await hasLog(knex))) return null;
  const head = await latestHead(knex);
  if (!head) return { size: 0, root: EMPTY_ROOT.toString('base64'), head_verifies: true, checked_from: 0 };
  const prev = (await knex(HEADS_TABLE).select('size', 'root', 'state').where('size', '<', head.size).orderBy('size', 'desc').first()) as
    | { size: number | string; root: string; state: string }
    | undefined;
  let range = CompactRange.empty();
  let ok = true;
  if (prev) {
    try {
      range = CompactRange.fromState(JSON.parse(prev.state) as CompactRangeState);
      ok = range.size === Number(prev.size) && range.root().toString('base64') === prev.root;
    } catch {
      ok = false;
    }
  }
  const from = range.size;
  let expected = from + 1;
  for await (const batch of storedLineBatches(knex, from + 1, head.size, { items: false })) {
    for (const l of batch) {
      if (l.number !== expected++) ok = false;
      range.append(leafHash(l.entry));
    }
  }
  const c = (await knex(ENTRIES_TABLE).count({ n: '*' }).min({ lo: 'number' }).max({ hi: 'number' })) as Array<{ n: number | string; lo: number | string | null; hi: number | string | null }>;
  const n = Number(c[0]?.n ?? 0);
  const gapless = n === head.size && (n === 0 || (Number(c[0]!.lo) === 1 && Number(c[0]!.hi) === n));
  ok = ok && gapless && range.size === head.size && range.root().toString('base64') === head.root;
  return { size: head.size, root: head.root, head_verifies: ok, checked_from: from };
}
