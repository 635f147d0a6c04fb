import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { BINARY_HEADER, BINARY_TRAILER, copyIn } from '../db/copy-in.js';
import { adapterOf } from '../db/dialect/index.js';
import type { EntityName, RecordValues } from '../records/fields.js';
import { fromBytes, toBytes } from '../text/utf8-bytes.js';
import { itemTextBuilder, type ItemTextBuilder } from './log/item-text.js';

// The registry log of a first load (import straight into an empty table, PostgreSQL),
// taken as the records go by rather than read back afterwards. The appended log is the
// one appendEntries writes from the stored rows — the same items, entries, numbers and
// head (test/integration/log-tap.test.ts compares the two) — but its cost is not: building
// every item in SQL from the loaded table, hashing it, sorting it and inserting it took the
// server 10–12 s for 200,000 services, after a load of 5 s. Here each item is built from
// the record's checked values while the import has them (item-text.ts), hashed in this
// process, and sent with COPY between the load's own COPY statements; what is kept until
// the end is each record's code and the item's 32-byte digest, from which appendEntries
// numbers the entries in code order (log-store.ts: `prebuilt`).
//
// Only where no item of this entity can be in the log yet (no entry of the entity): an
// item is stored once per hash, and COPY cannot skip one that is already there.

/** An item hash: `sha-256:` and 64 hex digits. */
const HASH_PREFIX = 'sha-256:';
const HASH_TEXT = HASH_PREFIX.length + 64;
const DIGESTS_PER_BLOCK = 32_768;

/** What a first load appends: each record's code and its item's SHA-256, in the order loaded. */
export interface PrebuiltPuts {
  codes: string[];
  /** the lowercase hex of the i-th code's item digest */
  hex(i: number): string;
}

/** Keeps, for each record taken, its code and its item's digest; the subclasses store the items. */
export abstract class LogItemTap {
  protected readonly build: ItemTextBuilder;
  private readonly codes: string[] = [];
  /** 32 bytes per code, in blocks (no copy as they grow) */
  private readonly blocks: Buffer[] = [];
  /** items taken since the last flush */
  pending = 0;
  /** flushes made */
  flushes = 0;

  constructor(protected readonly itemsTable: string, entity: EntityName, protected readonly now: string) {
    this.build = itemTextBuilder(entity);
  }

  /** A record as written: `asBytes` when its text values are byte strings. */
  abstract add(values: RecordValues, asBytes: boolean): void;

  /** Stores the items taken since the last flush. */
  abstract flush(trx: Knex.Transaction, signal?: AbortSignal): Promise<void>;

  protected keep(code: string, digest: Buffer): void {
    const i = this.codes.length;
    if (i % DIGESTS_PER_BLOCK === 0) this.blocks.push(Buffer.allocUnsafe(32 * DIGESTS_PER_BLOCK));
    digest.copy(this.blocks[this.blocks.length - 1]!, (i % DIGESTS_PER_BLOCK) * 32);
    // a code is short: a copy of its own, never a slice that keeps the file's text alive
    this.codes.push(code.length >= 13 ? Buffer.from(code, 'latin1').toString('latin1') : code);
    this.pending++;
  }

  /** Every item stored; what the entries are made from. */
  async finish(trx: Knex.Transaction): Promise<PrebuiltPuts> {
    await this.flush(trx);
    this.release();
    const blocks = this.blocks;
    const hex = (i: number) => {
      const at = (i % DIGESTS_PER_BLOCK) * 32;
      return blocks[Math.floor(i / DIGESTS_PER_BLOCK)]!.toString('hex', at, at + 32);
    };
    return { codes: this.codes, hex };
  }

  /** Lets go of what only taking items needed. */
  protected release(): void {}

  get taken(): number {
    return this.codes.length;
  }
}

/** Bytes of a chunk of COPY rows. */
const CHUNK = 1 << 20;

/** PostgreSQL: the items go with binary COPY, between the load's own COPY statements. */
export class CopyItemTap extends LogItemTap {
  /** the COPY rows of the items taken since the last flush: full chunks (each to its end), then `chunk` up to `used` */
  private full: Array<{ chunk: Buffer; end: number }> = [];
  private chunk: Buffer = Buffer.allocUnsafe(CHUNK);
  private used = 0;
  /** chunks a finished flush gave back (memory stays at about two flushes' worth of items) */
  private free: Buffer[] = [];

  protected override release(): void {
    this.free = [];
    this.chunk = Buffer.alloc(0);
  }

  add(values: RecordValues, asBytes: boolean): void {
    const text = this.build(values, this.now);
    const bytes = asBytes ? text : toBytes(text);
    const need = 2 + 4 + bytes.length + 4 + HASH_TEXT;
    if (this.used + need > this.chunk.length) {
      if (this.used) this.full.push({ chunk: this.chunk, end: this.used });
      this.chunk = need <= CHUNK ? (this.free.pop() ?? Buffer.allocUnsafe(CHUNK)) : Buffer.allocUnsafe(need);
      this.used = 0;
    }
    // a row: 2 fields; the item's bytes; its hash, from those bytes where they now are
    const r = this.chunk;
    let at = this.used;
    r.writeInt16BE(2, at);
    r.writeInt32BE(bytes.length, at + 2);
    at += 6;
    const from = at;
    at += r.write(bytes, at, 'latin1');
    const digest = crypto.hash('sha256', r.subarray(from, at), 'buffer') as unknown as Buffer;
    r.writeInt32BE(HASH_TEXT, at);
    at += 4;
    at += r.write(HASH_PREFIX, at, 'latin1');
    at += r.write(digest.toString('hex'), at, 'latin1');
    this.used = at;
    this.keep(String(values.code), digest);
  }

  /**
   * Sends the items taken since the last flush (one COPY statement), between the load's own,
   * in the order loaded. (Sorted by hash, the order of the items' primary key, the server
   * stored 200,000 of them in 2.2 s instead of 2.6 s; but the sort and the copy it needs cost
   * this process more than that, and both cores are busy during a load.)
   */
  async flush(trx: Knex.Transaction, signal?: AbortSignal): Promise<void> {
    if (!this.pending) return;
    this.flushes++;
    // The records read ahead while this COPY runs go into other chunks.
    const sent = this.used ? [...this.full, { chunk: this.chunk, end: this.used }] : this.full;
    this.full = [];
    this.chunk = this.free.pop() ?? Buffer.allocUnsafe(CHUNK);
    this.used = 0;
    this.pending = 0;
    await copyIn(trx, `copy ${this.itemsTable} (bytes, hash) from stdin (format binary)`, [BINARY_HEADER, ...sent.map((c) => c.chunk.subarray(0, c.end)), BINARY_TRAILER], signal);
    // the server has every byte of them: their chunks take the next items
    for (const c of sent) if (c.chunk.length === CHUNK) this.free.push(c.chunk);
  }
}

/** Elsewhere (SQLite): the items are inserted a few thousand at a time, as the records are staged. */
export class RowItemTap extends LogItemTap {
  private rows: Array<[string, string]> = [];

  add(values: RecordValues, asBytes: boolean): void {
    const text = this.build(values, this.now);
    // a string is hashed as its UTF-8; a byte string is its UTF-8 already
    const digest = crypto.hash('sha256', asBytes ? Buffer.from(text, 'latin1') : text, 'buffer') as unknown as Buffer;
    this.rows.push([`${HASH_PREFIX}${digest.toString('hex')}`, asBytes ? fromBytes(text) : text]);
    this.keep(String(values.code), digest);
  }

  async flush(trx: Knex.Transaction): Promise<void> {
    if (!this.pending) return;
    this.flushes++;
    // in hash order, the order of the items' primary key: each batch walks its index once
    const rows = this.rows.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    this.rows = [];
    this.pending = 0;
    // (a code twice is the import's to report: its second item is the first's, left out)
    await adapterOf(trx).sql.insertRows(trx, { table: this.itemsTable, columns: ['hash', 'bytes'], types: ['text', 'text'], ignoreDuplicates: true }, rows);
  }
}
