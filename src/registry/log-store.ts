import crypto from 'node:crypto';
import os from 'node:os';
import type { Knex } from 'knex';
import { BINARY_HEADER, BINARY_TRAILER, copyIn } from '../db/copy-in.js';
import { adapterOf, type DialectAdapter } from '../db/dialect/index.js';
import { fromRow } from '../records/db-row.js';
import { ENTITIES, type EntityName, type RecordValues } from '../records/fields.js';
import { CompactRange, type CompactRangeState } from './log/compact-range.js';
import { entryText, type Entry } from './log/entry.js';
import { itemBytes, itemHash, itemOf } from './log/item.js';
import { HASH_SIZE, leafHash } from './log/merkle-hash.js';
import { sqlItemExpression } from './log/sql-item.js';
import type { PrebuiltPuts } from './log-tap.js';
import { toBytes } from '../text/utf8-bytes.js';

// The registry log's tables (SPEC §9) and the one function that appends to them. Entries
// keep their canonical bytes and items theirs, so that what is verified, proved and
// written to the log file is exactly what was hashed, never a re-serialisation.

export const ENTRIES_TABLE = 'registry_log_entries';
export const ITEMS_TABLE = 'registry_log_items';
export const HEADS_TABLE = 'registry_log_heads';
/** In drop order (entries name items by hash; nothing refers to heads). */
export const LOG_TABLES = [ENTRIES_TABLE, ITEMS_TABLE, HEADS_TABLE] as const;

/** SPEC §9: `user@host` of the operating system. */
export function osActor(): string {
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    user = process.env.USER || process.env.LOGNAME || String(process.getuid?.() ?? 'unknown');
  }
  return `${user}@${os.hostname()}`;
}

export interface StoredHead {
  size: number;
  root: string;
  state: CompactRangeState;
  created_at: string;
}

/**
 * Serialises appends (PostgreSQL; SQLite's write transaction does already). Held to the end
 * of the transaction. A repeatable-read transaction takes it before its first query, so
 * that the head it reads is the latest; taking it again is a no-op.
 */
export async function lockLog(knex: Knex): Promise<void> {
  await adapterOf(knex).locks.lockTableForWrites(knex, HEADS_TABLE, 'egovctl_log_lock');
}

export async function hasLog(knex: Knex): Promise<boolean> {
  return knex.schema.hasTable(HEADS_TABLE);
}

/** The latest stored head, or the empty tree's. */
export async function latestHead(knex: Knex): Promise<StoredHead | null> {
  const row = (await knex(HEADS_TABLE).select('size', 'root', 'state', 'created_at').orderBy('size', 'desc').first()) as
    | { size: number | string; root: string; state: string; created_at: unknown }
    | undefined;
  if (!row) return null;
  return { size: Number(row.size), root: row.root, state: JSON.parse(row.state) as CompactRangeState, created_at: String(row.created_at instanceof Date ? row.created_at.toISOString() : row.created_at) };
}

/** Code order of SPEC §9: codes are ASCII, so UTF-16 order is byte order (not a collation's). */
export function byCode(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Rows read per query when the stored versions of changed records are read back. */
const READ_BATCH = 1000;
/** Entries (and items) inserted per statement. */
const WRITE_BATCH = 2000;

async function storedRows(knex: Knex, entity: EntityName, codes: readonly string[]): Promise<RecordValues[]> {
  const rows = (await knex(ENTITIES[entity].table).select('*').whereIn('code', codes as string[])) as Array<Record<string, unknown>>;
  return rows.map((r) => fromRow(entity, r)).sort((a, b) => byCode(String(a.code), String(b.code)));
}

interface Pending {
  entries: Array<{ e: Entry; text: string }>;
  items: Map<string, string>;
}

const ITEM_ROWS = { table: ITEMS_TABLE, columns: ['hash', 'bytes'], types: ['text', 'text'], ignoreDuplicates: true };
const ENTRY_ROWS = {
  table: ENTRIES_TABLE,
  columns: ['number', 'timestamp', 'actor', 'entity', 'key', 'op', 'item', 'bytes'].map((c) => `"${c}"`),
  types: ['bigint', 'text', 'text', 'text', 'text', 'text', 'text', 'text'],
  ignoreDuplicates: false,
};

async function flush(knex: Knex, adapter: DialectAdapter, p: Pending): Promise<void> {
  if (p.items.size) await adapter.sql.insertRows(knex, ITEM_ROWS, [...p.items]);
  if (p.entries.length) {
    const vals = (x: { e: Entry; text: string }) => [x.e.number, x.e.timestamp, x.e.actor, x.e.entity, x.e.key, x.e.op, x.e.item, x.text];
    await adapter.sql.insertRows(knex, ENTRY_ROWS, p.entries.map(vals));
  }
  p.entries = [];
  p.items = new Map();
}

/**
 * A put entry's text around its item hash, key and number: entryText (entry.ts) with those
 * three left out — `head` + hash + `","key":` + JSON key + `,"number":` + number + `tail` —
 * so that entries made in SQL or from a first load's digests are the one text entryText gives.
 */
function putTemplate(entity: EntityName, stamp: { timestamp: string; actor: string }): { head: string; tail: string } {
  const open = entryText({ number: 1, timestamp: stamp.timestamp, actor: stamp.actor, entity, op: 'put', key: 'K', item: 'I' });
  const head = open.slice(0, open.indexOf('"item":"') + '"item":"'.length);
  const tail = `,"op":"put","timestamp":${JSON.stringify(stamp.timestamp)}}`;
  if (!open.endsWith(tail) || !open.includes(`","key":"K","number":1${tail}`)) throw new Error('registry log: the entry form changed: putTemplate must follow');
  return { head, tail };
}

const chr = String.fromCharCode;
const int32 = (n: number) => chr((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
/** A text column of a binary COPY row: its UTF-8 length and bytes (a byte string). */
const field = (bytes: string) => int32(bytes.length) + bytes;
/** Bytes per chunk of the COPY of a first load's entries. */
const ENTRY_CHUNK_BYTES = 1 << 20;
/** `sha-256:` and 64 hex digits */
const ITEM_HASH_TEXT = 'sha-256:'.length + 64;

/**
 * A first load's puts (log-tap.ts: its items are stored already): the entries numbered from
 * `range.size` + 1 in code order, each leaf appended to `range`, the entries sent with one
 * binary COPY as they are made, so the server stores them while this process hashes the next.
 */
async function prebuiltPuts(knex: Knex, entity: EntityName, p: PrebuiltPuts, range: CompactRange, stamp: { timestamp: string; actor: string }): Promise<number> {
  const n = p.codes.length;
  if (n === 0) return 0;
  const { head, tail } = putTemplate(entity, stamp);
  const order = Array.from({ length: n }, (_, i) => i);
  const codes = p.codes;
  order.sort((a, b) => byCode(codes[a]!, codes[b]!));
  // the columns every entry of the run shares: timestamp, actor, entity, op
  const fixed = Buffer.from(field(toBytes(stamp.timestamp)) + field(toBytes(stamp.actor)) + field(entity) + field('put'), 'latin1');
  const headBytes = Buffer.from(toBytes(head), 'latin1');
  const tailBytes = toBytes(tail);
  // Each row written straight into the chunk; the entry's bytes hashed where they lie.
  function* chunks(): Generator<Buffer> {
    yield BINARY_HEADER;
    let out = Buffer.allocUnsafe(ENTRY_CHUNK_BYTES);
    let at = 0;
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      const key = toBytes(codes[i]!);
      const rest = `","key":${JSON.stringify(key)},"number":${range.size + 1}${tailBytes}`;
      const most = 2 + 12 + fixed.length + 4 + key.length + 4 + ITEM_HASH_TEXT + 4 + headBytes.length + ITEM_HASH_TEXT + rest.length;
      if (at + most > out.length) {
        yield out.subarray(0, at);
        out = Buffer.allocUnsafe(Math.max(ENTRY_CHUNK_BYTES, most));
        at = 0;
      }
      const number = range.size + 1;
      const hi = Math.floor(number / 4294967296);
      at = out.writeUInt16BE(8, at);
      at = out.writeInt32BE(8, at);
      at = out.writeUInt32BE(hi, at);
      at = out.writeUInt32BE(number - hi * 4294967296, at);
      at += fixed.copy(out, at);
      at = out.writeInt32BE(key.length, at);
      at += out.write(key, at, 'latin1');
      at = out.writeInt32BE(ITEM_HASH_TEXT, at);
      const hashAt = at;
      at += out.write('sha-256:', at, 'latin1');
      at += out.write(p.hex(i), at, 'latin1');
      const lengthAt = at;
      at += 4;
      const from = at;
      at += headBytes.copy(out, at);
      at += out.copy(out, at, hashAt, hashAt + ITEM_HASH_TEXT);
      at += out.write(rest, at, 'latin1');
      out.writeInt32BE(at - from, lengthAt);
      // the leaf: SHA-256 of 0x00 ‖ the entry's bytes (merkle-hash.ts), over the byte before
      // them set to 0 for the moment (it is the last byte of their length)
      const kept = out[from - 1]!;
      out[from - 1] = 0;
      range.append(crypto.hash('sha256', out.subarray(from - 1, at), 'buffer') as unknown as Buffer);
      out[from - 1] = kept;
    }
    yield out.subarray(0, at);
    yield BINARY_TRAILER;
  }
  await copyIn(knex as Knex.Transaction, `copy ${ENTRIES_TABLE} ("number", "timestamp", "actor", "entity", "op", "key", "item", "bytes") from stdin (format binary)`, chunks());
  return n;
}

/** Fewer puts than this are appended from JavaScript: the SQL form's catalog query would cost more. */
const SQL_MIN = 200;

/**
 * PostgreSQL: a run's puts of one entity appended by one statement — items built and
 * hashed (sql-item.ts), items and entries inserted, each entry's leaf hash returned, all
 * in the server; numbered from `base` + 1 in code order (byte order: COLLATE "C"). The
 * leaf hashes, 32 bytes each in number order; null when the SQL form cannot give the
 * bytes the JavaScript path gives (then nothing was written: the caller appends them from
 * JavaScript, which also reports what is wrong with such a row).
 */
async function sqlPuts(knex: Knex, entity: EntityName, puts: EntityChanges['puts'], base: number, stamp: { timestamp: string; actor: string }): Promise<Buffer | null> {
  const item = await sqlItemExpression(knex, entity, 's');
  if (!item) return null;
  const table = `"${ENTITIES[entity].table}"`;
  const bindings: Knex.RawBinding[] = [];
  let from: string;
  if (Array.isArray(puts)) {
    from = `${table} s join unnest(?::text[]) as u(code) on u.code = s.code`;
    bindings.push([...puts] as unknown as Knex.RawBinding);
  } else if ('updatedAt' in puts && puts.updatedAt) {
    from = `${table} s where s.updated_at = ?::timestamptz`;
    bindings.push(puts.updatedAt);
  } else from = `${table} s`;
  const { head, tail } = putTemplate(entity, stamp);
  // One pass: each row's item built once (OFFSET 0 keeps the planner from inlining it into
  // every use), hashed, numbered in code order, kept for the two inserts and the leaves.
  // Items go in in hash order, the order of their primary key's index (200,000 services
  // under load: 11.5 s with the sort, 16.3 s without); entries come out in number order.
  const sql = `with e as materialized (
      select number, key, hash, b, ? || hash || '","key":' || to_json(key)::text || ',"number":' || number::text || ? as bytes
        from (select key, b, hash, ? + row_number() over (order by key collate "C") as number
                from (select key, b, 'sha-256:' || encode(sha256(convert_to(b, 'UTF8')), 'hex') as hash
                        from (select s.code::text as key, ${item} as b from ${from} offset 0) x offset 0) y offset 0) z
    ), i as (
      insert into ${ITEMS_TABLE} (hash, bytes) select hash, b from e order by hash on conflict do nothing
    ), n as (
      insert into ${ENTRIES_TABLE} ("number", "timestamp", "actor", "entity", "key", "op", "item", "bytes")
      select number, ?, ?, ?, key, 'put', hash, bytes from e
    )
    select string_agg(sha256(decode('00', 'hex') || convert_to(bytes, 'UTF8')), ''::bytea order by number) as leaves from e`;
  bindings.unshift(head, tail, base);
  bindings.push(stamp.timestamp, stamp.actor, entity);
  await knex.raw('savepoint egovctl_log_sql');
  try {
    const r = (await knex.raw(sql, bindings)) as { rows: Array<{ leaves: Buffer | null }> };
    await knex.raw('release savepoint egovctl_log_sql');
    return r.rows[0]?.leaves ?? Buffer.alloc(0);
  } catch (err) {
    // 23502: a row whose bytes only JavaScript builds exactly (NULL bytes, NULL hash);
    // 22xxx: a value SQL cannot read (a list that is not JSON): JavaScript says what is wrong
    const code = String((err as { code?: string }).code ?? '');
    if (code !== '23502' && !code.startsWith('22')) throw err;
    await knex.raw('rollback to savepoint egovctl_log_sql');
    return null;
  }
}

/** What one run changed in one entity: codes deleted, codes put (their rows are read as stored). */
export interface EntityChanges {
  entity: EntityName;
  deletes: readonly string[];
  /**
   * the codes written; `all`: every row of the table (with updatedAt: every row of that
   * updated_at); `prebuilt`: a first load's codes and item digests, its items stored (log-tap.ts)
   */
  puts: readonly string[] | { all: true; updatedAt?: string } | { prebuilt: PrebuiltPuts };
}

export interface AppendResult {
  appended: number;
  size: number;
  root: string;
}

/**
 * Appends a run's entries and the new tree head, inside the run's transaction (`knex` is
 * it). Entity by entity in ENTITIES order, deletions before puts, each in code order, every
 * entry with the run's timestamp. PostgreSQL: the heads table is locked in exclusive mode
 * first, so concurrent runs append one after another and numbers stay gapless (a run that
 * rolls back releases the lock with its numbers unused); SQLite's write transaction
 * already serialises. The head comes from the stored compact range: O(appended · log n).
 */
export interface AppendOptions {
  /** PostgreSQL: build items in SQL — `auto` for runs of SQL_MIN puts or more (default); `never` is the JavaScript path (tests compare the two) */
  sql?: 'auto' | 'always' | 'never';
}

export async function appendEntries(knex: Knex, changes: readonly EntityChanges[], stamp: { timestamp: string; actor: string }, o: AppendOptions = {}): Promise<AppendResult | null> {
  const adapter = adapterOf(knex);
  const order = Object.keys(ENTITIES) as EntityName[];
  const sorted = changes.filter((c) => ENTITIES[c.entity].logged).sort((a, b) => order.indexOf(a.entity) - order.indexOf(b.entity));
  if (sorted.every((c) => c.deletes.length === 0 && Array.isArray(c.puts) && c.puts.length === 0)) return null;
  await lockLog(knex);
  // Many small queries follow: compiling any of them (JIT) would cost more than it saves.
  await adapter.planner.manySmallQueries(knex);
  const head = await latestHead(knex);
  const range = head ? CompactRange.fromState(head.state) : CompactRange.empty();
  const p: Pending = { entries: [], items: new Map() };
  let appended = 0;
  const add = async (entity: EntityName, op: 'put' | 'delete', key: string, item: string | null) => {
    const e: Entry = { number: range.size + 1, timestamp: stamp.timestamp, actor: stamp.actor, entity, op, key, item };
    const text = entryText(e);
    range.append(leafHash(Buffer.from(text, 'utf8')));
    p.entries.push({ e, text });
    appended++;
    if (p.entries.length >= WRITE_BATCH) await flush(knex, adapter, p);
  };
  for (const c of sorted) {
    for (const key of [...c.deletes].sort(byCode)) await add(c.entity, 'delete', key, null);
    const puts = c.puts;
    if ('prebuilt' in puts) {
      await flush(knex, adapter, p);
      if (adapter.sql.copyIn) {
        appended += await prebuiltPuts(knex, c.entity, puts.prebuilt, range, stamp);
        continue;
      }
      // its items are stored: the entries, in code order, as every run's
      const { codes, hex } = puts.prebuilt;
      const order = Array.from({ length: codes.length }, (_, i) => i).sort((a, b) => byCode(codes[a]!, codes[b]!));
      for (const i of order) await add(c.entity, 'put', codes[i]!, `sha-256:${hex(i)}`);
      continue;
    }
    const sql = o.sql ?? 'auto';
    if (adapter.sql.logItemsInSql && sql !== 'never' && (sql === 'always' || !Array.isArray(puts) || puts.length >= SQL_MIN)) {
      await flush(knex, adapter, p);
      const leaves = await sqlPuts(knex, c.entity, puts, range.size, stamp);
      if (leaves) {
        for (let at = 0; at < leaves.length; at += HASH_SIZE) range.append(leaves.subarray(at, at + HASH_SIZE));
        appended += leaves.length / HASH_SIZE;
        continue;
      }
    }
    // A table just loaded in bulk has no statistics yet: without them the planner scanned
    // the whole table for each batch of codes below (200,000 services: 35 s instead of 3).
    if ('all' in puts) await adapter.planner.analyze(knex, [ENTITIES[c.entity].table]);
    const codes = 'all' in puts
      ? ((await (puts.updatedAt ? knex(ENTITIES[c.entity].table).select('code').where('updated_at', puts.updatedAt) : knex(ENTITIES[c.entity].table).select('code'))) as Array<{ code: string }>).map((r) => r.code)
      : [...(puts as readonly string[])];
    codes.sort(byCode);
    for (let i = 0; i < codes.length; i += READ_BATCH) {
      for (const values of await storedRows(knex, c.entity, codes.slice(i, i + READ_BATCH))) {
        const bytes = itemBytes(itemOf(c.entity, values));
        const hash = itemHash(bytes);
        p.items.set(hash, bytes.toString('utf8'));
        await add(c.entity, 'put', String(values.code), hash);
      }
    }
  }
  await flush(knex, adapter, p);
  if (appended === 0) return null;
  // The same for the log's own tables, which `registry verify` and `export --as-of` join.
  if (appended >= 10_000) await adapter.planner.analyze(knex, [ENTRIES_TABLE, ITEMS_TABLE]);
  const root = range.root().toString('base64');
  await knex(HEADS_TABLE).insert({ size: range.size, root, state: JSON.stringify(range.state()), created_at: stamp.timestamp });
  return { appended, size: range.size, root };
}
