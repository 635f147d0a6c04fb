import { ITEM_SEPARATOR, field, inputFields, type EntityName } from '../records/fields.js';
import { toRow } from '../records/db-row.js';
import type { RecordValues } from '../records/fields.js';

// The staging table holds the file's valid records as database rows, plus the line each
// started on (for issues found by the set-based checks) and, when rejects are written,
// the original text.

export const STAGE = 'egovctl_import_stage';

/** The record's own columns, in field-table order (updated_at is set by the merge). */
export function dataColumns(entity: EntityName): string[] {
  return inputFields(entity).map((f) => f.name);
}

export function stageColumns(entity: EntityName, withRaw: boolean): string[] {
  return ['line', ...(withRaw ? ['raw'] : []), ...dataColumns(entity)];
}

/** One staging row, as values in stageColumns order. */
export function stageValues(entity: EntityName, cols: readonly string[], line: number, raw: string | null, values: RecordValues): unknown[] {
  const row = toRow(entity, values);
  row.line = line;
  row.raw = raw;
  return cols.map((c) => row[c] ?? null);
}

/** Double quotes for an identifier we control (field names and our own table names). */
export function q(name: string): string {
  return `"${name}"`;
}

/** What COPY's text format reads specially. */
const COPY_SPECIAL = /[\\\t\n\r]/;

/** A value in PostgreSQL's COPY text format: \N is null; backslash, tab and line ends escaped. */
export function copyText(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  const s = typeof v === 'string' ? v : String(v);
  if (!COPY_SPECIAL.test(s)) return s;
  return s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

/** copyText for a value known to need no escaping. */
function plainText(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  return typeof v === 'string' ? v : String(v);
}

export function copyLine(values: readonly unknown[]): string {
  let s = copyText(values[0]);
  for (let i = 1; i < values.length; i++) s += `\t${copyText(values[i])}`;
  return `${s}\n`;
}

/**
 * True when no value taken from a record's original text can hold a character COPY reads
 * specially, so that its values need no escaping one by one: one test of the record
 * instead of one per value (18 million at a million services, 0.9 s). It holds because
 * every character of a value is either in the record's text as it is, or comes from an
 * escape that needs a backslash there (JSON's \t, \n, \\); CSV unquoting only turns ""
 * into ". What checking adds — the | of a set, digits of a number — is never special;
 * a list is written as JSON, whose own escapes are checked separately.
 */
export function plainSource(text: string | null): boolean {
  // Four native searches for one character each: 0.3 s at a million records, against
  // 0.7 s for the regular expression /[\\\t\n\r]/.
  return text !== null && text.indexOf('\\') === -1 && text.indexOf('\n') === -1 && text.indexOf('\t') === -1 && text.indexOf('\r') === -1;
}

export type CopyEncoder = (line: number, raw: string | null, values: RecordValues, now: string, plain: boolean) => string;

/**
 * A compiled encoder of one record into a COPY text line, for the columns given ('line',
 * 'raw', the fields, 'updated_at'): the same values as stageValues, without building a row
 * object per record — a third of the import's own CPU time at a million records. `plain`:
 * plainSource() of the record's text (the values then skip copyText's test).
 */
export function copyEncoder(entity: EntityName, cols: readonly string[]): CopyEncoder {
  // One generated function with a named property load per column (the names come from the
  // field table, quoted with JSON.stringify): a loop over per-column closures reading
  // values[c] made every call site megamorphic (read, check and encode of 1M services:
  // 8.33 s against 7.71 s, medians of 3).
  const exprs = cols.map((c): string => {
    if (c === 'line') return 'String(line)';
    if (c === 'raw') return 'text(raw)';
    if (c === 'updated_at') return 'now';
    const f = field(entity, c)!;
    const v = `v[${JSON.stringify(c)}]`;
    if (f.type === 'set') return `set(${v})`;
    if (f.type === 'list') return `list(${v})`;
    return `text(${v})`;
  });
  const body = `return function encode(line, raw, v, now, plain) { const text = plain ? plainText : copyText; return ${exprs.join(" + '\\t' + ")} + '\\n'; };`;
  // A set's items are allowed values, never special.
  const set = (x: string[] | null | undefined): string => (x && x.length ? (x.length === 1 ? x[0]! : x.join(ITEM_SEPARATOR)) : '\\N');
  // JSON.stringify escapes every control character, so its text can hold only backslashes.
  const list = (x: string[] | null | undefined): string => {
    if (!x || !x.length) return '\\N';
    const json = JSON.stringify(x);
    return json.indexOf('\\') === -1 ? json : copyText(json);
  };
  return new Function('copyText', 'plainText', 'set', 'list', body)(copyText, plainText, set, list) as CopyEncoder;
}

/** A batch of COPY text rows, as the bytes to send. */
export interface CopyBatch {
  bytes: Buffer;
  rows: number;
  /** the database has these bytes: their buffer may be written again */
  release?: () => void;
  /** starts a new COPY statement, after loadStage's beforeSegment (an applications partition to make first) */
  barrier?: boolean;
}

/**
 * Buffer's own UTF-8 writer, without write()'s checks of its arguments (offset and room are
 * ours to keep right): 15 % of the encoding time. write() where a Node.js lacks it.
 */
const utf8Write: (this: Buffer, s: string, offset: number) => number =
  (Buffer.prototype as unknown as { utf8Write?: (this: Buffer, s: string, offset: number) => number }).utf8Write ??
  function (this: Buffer, s: string, offset: number) {
    return this.write(s, offset, 'utf8');
  };

/** Buffer's own latin1 writer, likewise: a byte string (text/utf8-bytes.ts) back to its bytes. */
const latin1Write: (this: Buffer, s: string, offset: number) => number =
  (Buffer.prototype as unknown as { latin1Write?: (this: Buffer, s: string, offset: number) => number }).latin1Write ??
  function (this: Buffer, s: string, offset: number) {
    return this.write(s, offset, 'latin1');
  };

/** Bytes of buffer space at a time: a few batches of rows. */
const SLAB = 4 << 20;
/** Spare buffers kept for reuse (rows in flight: a COPY statement's and the read-ahead, ~35 MB). */
const SPARE_SLABS = 16;

interface Slab {
  buf: Buffer;
  /** batches cut from it and not yet released */
  users: number;
  /** rows are still being written into it */
  current: boolean;
}

/**
 * COPY text lines written as UTF-8 straight into a shared buffer as they are made, and
 * handed out a batch at a time: no array of lines to join and encode again at the end
 * (read, check and encode of 1M services: 11.1 s of CPU → 10.0 s). A buffer whose batches
 * have all been released is written again rather than a new one allocated: a fresh 4 MB
 * every few thousand rows made V8 run a full garbage collection every ~10 MB of them
 * (75 at 1M services, 1.4 s of CPU; 4 when reused).
 */
export class CopyRows {
  private readonly spare: Buffer[] = [];
  private slab: Slab = this.newSlab(SLAB);
  private start = 0;
  private end = 0;
  rows = 0;

  /** Adds a line of text, or of a byte string (`bytes`: written as its own bytes). */
  add(line: string, bytes = false): void {
    const most = bytes ? line.length : line.length * 3; // UTF-8 takes at most 3 bytes per UTF-16 unit
    if (this.end + most > this.slab.buf.length) {
      // Another buffer, with the batch begun so far moved over; batches handed out keep theirs.
      const old = this.slab;
      const next = this.newSlab(Math.max(SLAB, 2 * (most + this.end - this.start)));
      this.end = old.buf.copy(next.buf, 0, this.start, this.end);
      this.start = 0;
      old.current = false;
      this.recycle(old);
      this.slab = next;
    }
    this.end += (bytes ? latin1Write : utf8Write).call(this.slab.buf, line, this.end);
    this.rows++;
  }

  /** The rows added since the last take. */
  take(): CopyBatch {
    const slab = this.slab;
    slab.users++;
    let released = false;
    const batch: CopyBatch = {
      bytes: slab.buf.subarray(this.start, this.end),
      rows: this.rows,
      release: () => {
        if (released) return;
        released = true;
        slab.users--;
        this.recycle(slab);
      },
    };
    this.start = this.end;
    this.rows = 0;
    return batch;
  }

  private newSlab(size: number): Slab {
    const buf = (size === SLAB ? this.spare.pop() : undefined) ?? Buffer.allocUnsafe(size);
    return { buf, users: 0, current: true };
  }

  private recycle(s: Slab): void {
    if (!s.current && s.users === 0 && s.buf.length === SLAB && this.spare.length < SPARE_SLABS) this.spare.push(s.buf);
  }
}
