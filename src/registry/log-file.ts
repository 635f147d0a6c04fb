import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Knex } from 'knex';
import { openAtomicFile } from '../io/atomic-file.js';
import { ENTRIES_TABLE, ITEMS_TABLE } from './log-store.js';
import { CompactRange } from './log/compact-range.js';
import { formatLine } from './log/log-line.js';
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

/** The stored entries from..to (1-based, inclusive) in number order, a page at a time. */
export async function* storedLines(knex: Knex, from = 1, to = Number.MAX_SAFE_INTEGER): AsyncGenerator<StoredLine> {
  let after = from - 1;
  for (;;) {
    const rows = (await knex(`${ENTRIES_TABLE} as e`)
      .leftJoin(`${ITEMS_TABLE} as i`, 'i.hash', 'e.item')
      .select('e.number', 'e.bytes as entry', 'i.bytes as item')
      .where('e.number', '>', after)
      .andWhere('e.number', '<=', to)
      .orderBy('e.number')
      .limit(PAGE)) as Array<{ number: number | string; entry: string; item: string | null }>;
    for (const r of rows) yield { number: Number(r.number), entry: Buffer.from(r.entry, 'utf8'), item: r.item === null ? null : Buffer.from(r.item, 'utf8') };
    if (rows.length < PAGE) return;
    after = Number(rows[rows.length - 1]!.number);
  }
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
  for await (const l of storedLines(knex, from, to)) {
    range.append(leafHash(l.entry));
    if (!out.write(formatLine(l.entry, l.item))) await once(out, 'drain');
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
