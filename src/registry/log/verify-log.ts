import { isUtf8 } from 'node:buffer';
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { EntityName } from '../../records/fields.js';
import { openCheckpoint, type Checkpoint } from './checkpoint.js';
import { CompactRange } from './compact-range.js';
import { ENTRY_FIELDS, isCanonicalEntry, parseEntry, type Entry } from './entry.js';
import { KeyHashes } from './key-hashes.js';
import { LogIssues, logIssue, type LogIssue } from './log-issues.js';
import { readLineBatches, splitLine, type Line } from './log-line.js';
import { EMPTY_ROOT, leafHash } from './merkle-hash.js';
import { hex8, type VerifierKey } from './note-keys.js';
import { NoteError } from './signed-note.js';
import { compareSnapshot } from './snapshot-check.js';

// `registry verify --log`: the log file checked on its own, streaming, with memory that does
// not grow with the log (only the snapshot, when asked for, keeps one hash per key).
// Every entry is read once: its syntax (canonical bytes), its number (gapless from 1), its
// item (re-hashed), its leaf (into the incremental head); at each checkpoint's size the root
// is compared. The same code path as the writer's, so building and checking cannot drift.

export interface CheckpointInput {
  file: string;
  bytes: Buffer;
}

/** An export to hold to the log's snapshot: a file, or the bytes of one as they are made. */
export interface SnapshotInput {
  entity: EntityName;
  /** how messages name it */
  name: string;
  file?: string;
  /** the export's bytes, asked for once the log has been read (the database form: a table as export writes it) */
  bytes?: () => AsyncIterable<Buffer>;
  /** told how many records it holds, once compared */
  records?: (n: number) => void;
}

export interface VerifyLogOptions {
  /** the log file (read a second time only to say which fields of a differing record differ); with logBytes, what names it */
  log: string;
  /**
   * The log file's bytes, read from elsewhere than the file `log` (the database form: the
   * stored log, streamed), and how to read them again; the same bytes go through the same
   * checks as a file's.
   */
  logBytes?: { read: () => AsyncIterable<Buffer> };
  checkpoints?: readonly CheckpointInput[];
  keys?: readonly VerifierKey[];
  snapshot?: { file: string; entity: EntityName } | null;
  /** more snapshots, each of its entity (registry verify against a database: its tables) */
  snapshots?: readonly SnapshotInput[];
  /** tree heads stored with the log, each checked as a checkpoint's root is */
  heads?: ReadonlyArray<{ size: number; root: Buffer; name: string }>;
  maxIssues?: number;
}

export interface CheckpointResult {
  file: string;
  origin: string | null;
  size: number | null;
  root: string | null;
  /** names+hashes of the keys whose signatures verified; empty when no --key was given */
  signed_by: string[];
  signature: 'verified' | 'not-checked' | 'bad';
  root_matches: boolean | null;
}

export interface LogVerifyReport {
  valid: boolean;
  entity: EntityName | null;
  source: string;
  records: number;
  errors: number;
  warnings: number;
  truncated: boolean;
  issues: LogIssue[];
  size: number;
  root: string;
  checkpoints: CheckpointResult[];
  snapshot: { source: string; entity: EntityName; records: number } | null;
}

const CODE_MARK = Buffer.from('"code":"');

/**
 * The item's code, read from its bytes without decoding the whole item: in canonical JSON
 * an unescaped `"code":"` can only be the member itself (a quote inside a string is
 * escaped), and a code needs no escapes; anything else takes the slow, exact way.
 */
function itemCode(item: Buffer): string | null {
  const at = item.indexOf(CODE_MARK);
  const end = at < 0 ? -1 : item.indexOf(0x22, at + CODE_MARK.length);
  const raw = end < 0 ? null : item.toString('utf8', at + CODE_MARK.length, end);
  if (raw !== null && !raw.includes('\\')) return raw;
  try {
    const code = (JSON.parse(item.toString('utf8')) as { code?: unknown }).code;
    return typeof code === 'string' ? code : null;
  } catch {
    return null;
  }
}

/**
 * isCanonicalEntry, without serialising the entry through the general writer: the bytes
 * are the canonical form exactly when they are valid UTF-8 (decoding is then one-to-one),
 * the members came in canonical order (parseEntry has made sure they are exactly the
 * entry's) and JSON.stringify of the parsed object — which writes members in the order
 * they came, and strings and numbers as RFC 8785 does — gives the text back. A \u escape
 * goes the exact way (which refuses a lone surrogate as it always has).
 */
function canonicalEntry(e: Entry, text: string, bytes: Buffer): boolean {
  if (text.includes('\\u')) return isCanonicalEntry(e, bytes);
  const keys = Object.keys(e);
  for (let i = 0; i < ENTRY_FIELDS.length; i++) if (keys[i] !== ENTRY_FIELDS[i]) return false;
  return JSON.stringify(e) === text && isUtf8(bytes);
}

/** SHA-256 in one call (crypto.hash: no Hash object per item). */
function sha256(b: Uint8Array): Buffer {
  return crypto.hash('sha256', b, 'buffer') as unknown as Buffer;
}

export async function verifyLog(o: VerifyLogOptions): Promise<LogVerifyReport> {
  const issues = new LogIssues(o.maxIssues ?? 1000);
  const keys = o.keys ?? [];
  const results: CheckpointResult[] = [];
  // checkpoints waiting for their size, by size
  const pending = new Map<number, Array<{ c: Checkpoint; r: CheckpointResult }>>();

  for (const cp of o.checkpoints ?? []) {
    const r: CheckpointResult = { file: cp.file, origin: null, size: null, root: null, signed_by: [], signature: keys.length ? 'bad' : 'not-checked', root_matches: null };
    results.push(r);
    try {
      const { checkpoint: c, note } = openCheckpoint(cp.bytes, keys);
      r.origin = c.origin;
      r.size = c.size;
      r.root = c.root.toString('base64');
      if (note) {
        r.signature = 'verified';
        r.signed_by = note.sigs.map((s) => `${s.name}+${hex8(s.hash)}`);
      }
      const list = pending.get(c.size) ?? [];
      list.push({ c, r });
      pending.set(c.size, list);
    } catch (err) {
      const why = err instanceof NoteError ? err.message : `the checkpoint is malformed: ${(err as Error).message}`;
      issues.add(logIssue('bad-signature', null, null, null, cp.file, `checkpoint ${cp.file}: ${why}`));
    }
  }

  const range = CompactRange.empty();
  let matchedUpTo = 0;
  // The root is computed only at a checkpoint's size: it is log n hashes, not one.
  const checkAt = (size: number, root: () => Buffer) => {
    if (!pending.has(size)) return;
    for (const { c, r } of pending.get(size)!) {
      const have = root();
      r.root_matches = have.equals(c.root);
      if (r.root_matches) matchedUpTo = size;
      else {
        // A checkpoint that matched at a smaller size bounds where the change is.
        const where = matchedUpTo > 0 ? `an entry from ${matchedUpTo + 1} to ${size} (lines ${matchedUpTo + 1}–${size}; the checkpoint of size ${matchedUpTo} matches)` : `an entry from 1 to ${size} (lines 1–${size})`;
        issues.add(logIssue('root-mismatch', size === 0 ? null : size, null, null, r.file,
          `checkpoint ${r.file}: the root of the first ${size} entries is ${have.toString('base64')}, the checkpoint says ${c.root.toString('base64')}: ${where} was changed, removed or added`));
      }
    }
    pending.delete(size);
  };
  const heads = new Map<number, Array<{ root: Buffer; name: string }>>();
  for (const h of o.heads ?? []) heads.set(h.size, [...(heads.get(h.size) ?? []), h]);
  const checkHeads = (size: number, root: () => Buffer) => {
    const list = heads.get(size);
    if (!list) return;
    const have = root();
    for (const h of list) {
      if (!have.equals(h.root)) {
        issues.add(logIssue('root-mismatch', size === 0 ? null : size, null, 'root', h.root.toString('base64'),
          `${h.name} of size ${size} says root ${h.root.toString('base64')}, the root of the first ${size} entries is ${have.toString('base64')}: the head, or an entry up to ${size}, was changed`));
      }
    }
    heads.delete(size);
  };
  const checkAll = (size: number, root: () => Buffer) => {
    let memo: Buffer | null = null;
    const once = () => (memo ??= root());
    checkAt(size, once);
    checkHeads(size, once);
  };
  checkAll(0, () => EMPTY_ROOT);

  const snapEntity = o.snapshot?.entity ?? null;
  const snapshot = snapEntity ? new KeyHashes() : null;
  // every snapshot's key hashes, by entity (one pass over the log serves them all)
  const byEntity = new Map<EntityName, KeyHashes[]>();
  if (snapshot && snapEntity) byEntity.set(snapEntity, [snapshot]);
  const tableSnaps = (o.snapshots ?? []).map((s) => ({ ...s, hashes: new KeyHashes() }));
  for (const s of tableSnaps) byEntity.set(s.entity, [...(byEntity.get(s.entity) ?? []), s.hashes]);
  let expected = 1;
  const bytes = o.logBytes ? o.logBytes.read() : fs.createReadStream(o.log, { highWaterMark: 1 << 20 });
  const logAgain = o.logBytes ? o.logBytes.read : o.log;
  // false once the file ends inside a line: nothing after it is read
  const check = ({ line, number, complete }: Line): boolean => {
    if (!complete) {
      issues.add(logIssue('malformed-record', number, null, null, null, `line ${number} (entry ${expected}) has no line feed: the file ends inside it (cut short?)`));
      return false;
    }
    const parts = splitLine(line);
    if (!parts) {
      issues.add(logIssue('malformed-record', number, null, null, null, `line ${number} (entry ${expected}) has no TAB between the entry and the item`));
      range.append(leafHash(line));
      expected++;
      checkAll(range.size, () => range.root());
      return true;
    }
    range.append(leafHash(parts.entry));
    const text = parts.entry.toString('utf8');
    const parsed = parseEntry(text);
    if ('error' in parsed) {
      issues.add(logIssue('malformed-record', number, null, null, null, `line ${number} (entry ${expected}): ${parsed.error}`));
      expected++;
      checkAll(range.size, () => range.root());
      return true;
    }
    const e = parsed.entry;
    if (!canonicalEntry(e, text, parts.entry)) {
      issues.add(logIssue('malformed-record', number, e.key, null, null, `line ${number} (entry ${e.number}): the entry's bytes are not its RFC 8785 canonical UTF-8`));
    }
    if (e.number !== expected) {
      issues.add(logIssue('log-gap', number, e.key, 'number', String(e.number),
        e.number > expected ? `line ${number}: entry ${e.number} follows entry ${expected - 1}: entries ${expected}–${e.number - 1} are missing` : `line ${number}: entry ${e.number} after entry ${expected - 1}: numbers go back or repeat`));
    }
    expected = e.number + 1;
    if (e.op === 'put') {
      if (!parts.item) {
        issues.add(logIssue('item-mismatch', number, e.key, 'item', e.item, `line ${number} (entry ${e.number}, ${e.entity} ${e.key}): the item is missing`));
      } else {
        const h = sha256(parts.item);
        if (`sha-256:${h.toString('hex')}` !== e.item) {
          issues.add(logIssue('item-mismatch', number, e.key, 'item', e.item, `line ${number} (entry ${e.number}, ${e.entity} ${e.key}): the item hashes to sha-256:${h.toString('hex')}, not to the entry's ${e.item}`));
        } else {
          const code = itemCode(parts.item);
          if (code !== e.key) issues.add(logIssue('item-mismatch', number, e.key, 'code', code, `line ${number} (entry ${e.number}): the item's code ${code ?? '(none)'} is not the entry's key ${e.key}`));
          for (const k of byEntity.get(e.entity) ?? []) k.set(e.key, h, number);
        }
      }
    } else {
      if (parts.item) issues.add(logIssue('malformed-record', number, e.key, null, null, `line ${number} (entry ${e.number}): a delete has an item after the TAB`));
      for (const k of byEntity.get(e.entity) ?? []) k.delete(e.key);
    }
    checkAll(range.size, () => range.root());
    return true;
  };
  reading: for await (const batch of readLineBatches(bytes)) {
    for (const l of batch) if (!check(l)) break reading;
  }
  for (const [size, list] of heads) {
    for (const h of list) issues.add(logIssue('root-mismatch', null, null, 'size', String(size), `${h.name} is of size ${size}, but the log holds only ${range.size} entries: entries after ${range.size} were removed`));
  }

  for (const [size, list] of pending) {
    for (const { r } of list) {
      r.root_matches = false;
      issues.add(logIssue('root-mismatch', null, null, null, r.file, `checkpoint ${r.file} is of size ${size}, but the log holds only ${range.size} complete entries: it was cut short after entry ${range.size}`));
    }
  }

  let snap: LogVerifyReport['snapshot'] = null;
  if (o.snapshot && snapshot) {
    const records = await compareSnapshot(logAgain, o.snapshot.file, o.snapshot.entity, snapshot, (i) => issues.add(i));
    snap = { source: o.snapshot.file, entity: o.snapshot.entity, records };
  }
  for (const t of tableSnaps) {
    const n = await compareSnapshot(logAgain, t.bytes ?? t.file!, t.entity, t.hashes, (i) => issues.add(i), t.name);
    t.records?.(n);
  }

  return {
    valid: issues.errors === 0,
    entity: o.snapshot?.entity ?? null,
    source: o.log,
    records: range.size,
    errors: issues.errors,
    warnings: issues.warnings,
    truncated: issues.truncated,
    issues: issues.list,
    size: range.size,
    root: range.root().toString('base64'),
    checkpoints: results,
    snapshot: snap,
  };
}
