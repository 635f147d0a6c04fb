import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Knex } from 'knex';

const require = createRequire(import.meta.url);

/** COPY's binary format: each statement's data starts with the signature, 32-bit flags and header extension length… */
export const BINARY_HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
/** …and ends with a field count of -1. */
export const BINARY_TRAILER = Buffer.from([0xff, 0xff]);

/**
 * PostgreSQL: one `COPY … FROM STDIN` statement on the transaction's own connection, fed
 * from `chunks` (with back-pressure: the chunks are made only as fast as the server takes
 * them). For the paths that only PostgreSQL takes (the direct load and its registry log).
 */
export async function copyIn(trx: Knex.Transaction, sql: string, chunks: Iterable<Buffer> | AsyncIterable<Buffer>, signal?: AbortSignal, highWaterMark = 4 * 1024 * 1024): Promise<void> {
  const conn = (await trx.client.acquireConnection()) as import('pg').Client;
  const { from: copyFrom } = require('pg-copy-streams') as typeof import('pg-copy-streams');
  const copy = conn.query(copyFrom(sql, { highWaterMark }));
  const source = Readable.from(chunks, { objectMode: false });
  await (signal ? pipeline(source, copy, { signal }) : pipeline(source, copy));
}
