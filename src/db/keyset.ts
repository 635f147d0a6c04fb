import type { Knex } from 'knex';

// Keyset pagination: a long ordered read as pages of a bounded size, each the rows after
// the last key of the one before (`where key > ?`, on the key's index), never an OFFSET
// that rereads what came before. Memory stays flat for millions of rows; every page is
// read in the caller's transaction, so the pages are of one snapshot when it is one.

export interface KeysetRead<R, K> {
  /** the rows after `after` (null: from the start) in key order, at most `limit` of them */
  page(after: K | null, limit: number): Promise<R[]>;
  /** the key of a row, to start the next page after it */
  key(row: R): K;
  pageSize: number;
  /** at most this many rows in all (default: every row) */
  limit?: number;
  /** checked before each page: a long read stops at the interrupt */
  signal?: AbortSignal;
}

/** Every row of the read, page by page. */
export async function* pagesByKey<R, K>(read: KeysetRead<R, K>): AsyncGenerator<R> {
  let after: K | null = null;
  let left = read.limit ?? Infinity;
  while (left > 0) {
    read.signal?.throwIfAborted();
    const want = Math.min(read.pageSize, left);
    const rows = await read.page(after, want);
    yield* rows;
    left -= rows.length;
    if (rows.length < want) return;
    after = read.key(rows[rows.length - 1]!);
  }
}

/** `q` narrowed to the rows after `after` in the order of `cols` (a row comparison for several). */
export function whereAfter(q: Knex.QueryBuilder, cols: readonly string[], after: readonly unknown[] | null): Knex.QueryBuilder {
  if (after === null) return q;
  if (cols.length === 1) return q.where(cols[0]!, '>', after[0] as Knex.Value);
  return q.whereRaw(`(${cols.join(', ')}) > (${cols.map(() => '?').join(', ')})`, after as Knex.Value[]);
}
