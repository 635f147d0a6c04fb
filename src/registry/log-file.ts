import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Knex } from 'knex';
import { copyBinaryRows } from '../db/copy-binary-rows.js';
import { adapterOf } from '../db/dialect/index.js';
import { openAtomicFile } from '../io/atomic-file.js';
import { ENTRIES_TABLE, ITEMS_TABLE } from './log-store.js';
import { CompactRange } from './log/compact-range.js';
import { formatLines } from './log/log-line.js';
import { leafHash } from './log/merkle-hash.js';

// The stored log as the log file of SPEC §9 — the entries' and items' stored bytes, as they
// are (never re-serialised: the file must show what the database holds, even when it is
// wrong). `registry log`, the backup before the log migration is undone, and `registry
// verify` against the database all read the log through here.

const PAGE = 5000;

export interface StoredLine {
  number: number;
  entry: Buffer;
  /** null for a delete, and for a put whose item is missing from the items table */
  item: Buffer | null;
}

function bound(n: number, name: string): number {
  if (!Number.isSafeInteger(n)) throw new Error(`log lines: ${name} ${n} is not a whole number`);
  return n;
}

/**
 * The stored entries from..to (1-based, inclusive) in number order, a batch at a time.
 * Where the dialect has COPY, in one statement whose binary form carries the stored text
 * exactly (what COPY's text form would escape, a TAB or LF in an edited row, stays as it
 * is); elsewhere (or with `pages`, which tests compare it with) a page of PAGE at a time.
 * With `items: false` the items are not read (every line's item is null): what the tree needs.
 */
export async function* storedLineBatches(knex: Knex, from = 1, to = Number.MAX_SAFE_INTEGER, o: { pages?: boolean; items?: boolean } = {}): AsyncGenerator<StoredLine[]> {
  const items = o.items !== false;
  const copyOut = adapterOf(knex).bulk.copyOut;
  if (copyOut && !o.pages) {
    // COPY takes no bound values: the bounds are checked to be whole numbers
    const sql = `copy (select e.number::text, e.bytes, ${items ? 'i.bytes' : 'null'} from ${ENTRIES_TABLE} e ${items ? `left join ${ITEMS_TABLE} i on i.hash = e.item` : ''}
      where e.number >= ${bound(from, 'from')} and e.number <= ${bound(to, 'to')} order by e.number) to stdout (format binary)`;
    for await (const rows of copyBinaryRows(copyOut(knex, sql))) {
      yield rows.map((r) => ({ number: Number(r[0]!.toString('latin1')), entry: r[1]!, item: r[2] }));
    }
    return;
  }
  let after = from - 1;
  for (;;) {
    let q = knex(`${ENTRIES_TABLE} as e`).select('e.number', 'e.bytes as entry');
    q = items ? q.leftJoin(`${ITEMS_TABLE} as i`, 'i.hash', 'e.item').select('i.bytes as item') : q.select(knex.raw('null as item'));
    const rows = (await q
      .where('e.number', '>', after)
      .andWhere('e.number', '<=', to)
      .orderBy('e.number')
      .limit(PAGE)) as Array<{ number: number | string; entry: string; item: string | null }>;
    if (rows.length) yield rows.map((r) => ({ number: Number(r.number), entry: Buffer.from(r.entry, 'utf8'), item: r.item === null ? null : Buffer.from(r.item, 'utf8') }));
    if (rows.length < PAGE) return;
    after = Number(rows[rows.length - 1]!.number);
  }
}

/** The stored entries from..to (1-based, inclusive) in number order. */
export async function* storedLines(knex: Knex, from = 1, to = Number.MAX_SAFE_INTEGER): AsyncGenerator<StoredLine> {
  for await (const batch of storedLineBatches(knex, from, to)) yield* batch;
}

/** The log file's bytes, entries from..to, a batch at a time. */
export async function* logFileChunks(knex: Knex, from?: number, to?: number): AsyncGenerator<Buffer> {
  for await (const batch of storedLineBatches(knex, from, to)) yield formatLines(batch);
}

export interface LogFileResult {
  path: string;
  entries: number;
  /** the size and root of the tree over the lines written (the log's when from is 1) */
  size: number;
  root: string;
}

/** Writes the lines to a stream; the root of the tree over them. */
export async function writeLog(knex: Knex, out: Writable, from?: number, to?: number): Promise<{ entries: number; root: string }> {
  const range = CompactRange.empty();
  for await (const batch of storedLineBatches(knex, from, to)) {
    for (const l of batch) range.append(leafHash(l.entry));
    if (!out.write(formatLines(batch))) await once(out, 'drain');
  }
  return { entries: range.size, root: range.root().toString('base64') };
}

/** The log file, atomically (a reader never sees part of it). */
export async function writeLogFile(knex: Knex, file: string, from?: number, to?: number): Promise<LogFileResult> {
  const f = await openAtomicFile(file);
  try {
    const r = await writeLog(knex, f.stream, from, to);
    await f.commit();
    return { path: f.path, entries: r.entries, size: r.entries, root: r.root };
  } catch (err) {
    await f.abort();
    throw err;
  }
}
