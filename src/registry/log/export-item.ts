import { isUtf8 } from 'node:buffer';
import { decimalFromNumber, formatDecimal } from '../../records/decimal.js';
import { ENTITIES, type EntityName, type FieldDef } from '../../records/fields.js';

// The item bytes of one line of an NDJSON export, built from the line's own bytes: the
// values' JSON text moved into the item's member order, nulls and empty lists left out,
// decimals quoted — no decoding, parsing and re-serialising of every record (which was most
// of `registry verify`'s time). Only for a line exactly as export writes it: every field,
// in field order, no white space, valid UTF-8, each string already in its canonical
// escaping. For any other line the answer is null and the caller takes the exact way
// (JSON.parse → itemOf → itemBytes); for a line it answers, its bytes are that way's bytes
// (tests hold the two to each other over many lines, hostile ones included).

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const BRACE_OPEN = 0x7b;
const BRACE_CLOSE = 0x7d;

type Kind = 'string' | 'decimal' | 'integer' | 'array';

interface Plan {
  fields: Array<{ key: Buffer; kind: Kind }>;
  /** field indexes in the item's member order (RFC 8785: names by UTF-16 code units; ASCII here) */
  sorted: number[];
  /** `"name":` of each field, for the item */
  names: Buffer[];
  /** field index by name */
  index: Map<string, number>;
  /** scratch, per field (exportItem runs to its end without yielding: one set is enough) */
  starts: Int32Array;
  ends: Int32Array;
  texts: Array<string | undefined>;
}

function kindOf(f: FieldDef): Kind {
  if (f.type === 'set' || f.type === 'list') return 'array';
  if (f.type === 'decimal') return 'decimal';
  if (f.type === 'integer') return 'integer';
  return 'string';
}

const plans = new Map<EntityName, Plan>();

function planOf(entity: EntityName): Plan {
  let p = plans.get(entity);
  if (p) return p;
  const defs = ENTITIES[entity].fields;
  const fields = defs.map((f, i) => ({ key: Buffer.from(`${i ? ',' : '{'}${JSON.stringify(f.name)}:`), kind: kindOf(f) }));
  const sorted = defs.map((_, i) => i).sort((a, b) => (defs[a]!.name < defs[b]!.name ? -1 : defs[a]!.name > defs[b]!.name ? 1 : 0));
  p = { fields, sorted, names: defs.map((f) => Buffer.from(`${JSON.stringify(f.name)}:`)), index: new Map(defs.map((f, i) => [f.name, i])), starts: new Int32Array(defs.length), ends: new Int32Array(defs.length), texts: new Array(defs.length) };
  plans.set(entity, p);
  return p;
}

// the escapes JSON.stringify writes for a control character other than \b \t \n \f \r
const SHORT_ESCAPES = new Set([0x22, 0x5c, 0x62, 0x66, 0x6e, 0x72, 0x74]); // " \ b f n r t
const HEX = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66);

/**
 * Where the next backslash of the line is, at or after a position: found once and reused,
 * since searching to the end of the line for each string cost a pass over the line per field.
 * Reset (bsLine = null) at the start of each line's scan, which runs to its end without yielding.
 */
let bsLine: Buffer | null = null;
let bsAt = -1;

function nextBackslash(b: Buffer, p: number): number {
  if (bsLine !== b) {
    bsLine = b;
    bsAt = b.indexOf(BACKSLASH);
  }
  if (bsAt >= 0 && bsAt < p) bsAt = b.indexOf(BACKSLASH, p);
  return bsAt;
}

/**
 * The end (after the closing quote) of the string starting at `at`, or -1 when an escape in
 * it is not the one JSON.stringify writes (\u0041, \/, an upper-case or surrogate \u…).
 */
function stringEnd(b: Buffer, at: number): number {
  let p = at + 1;
  for (;;) {
    const q = b.indexOf(QUOTE, p);
    if (q < 0) return -1;
    const s = nextBackslash(b, p);
    if (s < 0 || s > q) return q + 1;
    const c = b[s + 1]!;
    if (SHORT_ESCAPES.has(c)) {
      p = s + 2;
      continue;
    }
    // \u00XX: a control character, lower-case hex, not one of the short escapes
    if (c !== 0x75 || b[s + 2] !== 0x30 || b[s + 3] !== 0x30 || (b[s + 4] !== 0x30 && b[s + 4] !== 0x31) || !HEX(b[s + 5]!)) return -1;
    const code = parseInt(b.toString('latin1', s + 4, s + 6), 16);
    if (code === 0x08 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d) return -1;
    p = s + 6;
  }
}

/** After the `[` of a non-empty array of strings at `pos`: the position after its `]`, or -1 when it is not one. */
function stringsEnd(b: Buffer, pos: number): number {
  for (;;) {
    if (b[pos] !== QUOTE) return -1;
    pos = stringEnd(b, pos);
    if (pos < 0) return -1;
    if (b[pos] === COMMA) pos++;
    else if (b[pos] === 0x5d) return pos + 1;
    else return -1;
  }
}

/** Copies b[from, to) into out at `at`: short pieces by a loop (no view made for them). */
function put(out: Buffer, at: number, b: Uint8Array, from: number, to: number): number {
  if (to - from > 48) {
    out.set(b.subarray(from, to), at);
    return at + to - from;
  }
  for (let i = from; i < to; i++) out[at++] = b[i]!;
  return at;
}

const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

function isNumberByte(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45;
}

/**
 * A byte below 0x20 anywhere (JSON has none unescaped). Four bytes at a time: a word has a
 * byte below n (n ≤ 128) exactly when (x − 0x01010101·n) & ~x & 0x80808080 is not 0
 * ("Bit Twiddling Hacks", hasless) — twice as fast as a byte loop or a regular expression.
 */
function hasControl(b: Buffer): boolean {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const words = b.length - 3;
  let i = 0;
  for (; i < words; i += 4) {
    const x = v.getUint32(i, true);
    if (((x - 0x20202020) & ~x & 0x80808080) !== 0) return true;
  }
  for (; i < b.length; i++) if (b[i]! < 0x20) return true;
  return false;
}

/** b[at…] starts with `key`: a loop, cheaper than Buffer.compare's argument checks for a few bytes. */
function startsWith(b: Buffer, at: number, key: Buffer): boolean {
  if (b.length - at < key.length) return false;
  for (let i = 0; i < key.length; i++) if (b[at + i] !== key[i]) return false;
  return true;
}

export interface ExportItem {
  key: string;
  bytes: Buffer;
}

/** The item of an NDJSON export line (without its LF; a trailing comma, as in a JSON array export, allowed), or null: take the exact way. */
export function exportItem(entity: EntityName, line: Buffer): ExportItem | null {
  let b = line;
  if (b.length && b[b.length - 1] === COMMA) b = b.subarray(0, b.length - 1);
  if (b.length < 2 || b[0] !== BRACE_OPEN || b[b.length - 1] !== BRACE_CLOSE || hasControl(b) || !isUtf8(b)) return null;
  const plan = planOf(entity);
  const n = plan.fields.length;
  bsLine = null;
  // per field: the value's bytes [start, end) in the line, or start -1 for no value; numbers their item text
  const { starts, ends, texts } = plan;
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const { key, kind } = plan.fields[i]!;
    if (!startsWith(b, pos, key)) return null;
    pos += key.length;
    texts[i] = undefined;
    const c = b[pos];
    if (c === 0x6e) {
      if (b[pos + 1] !== 0x75 || b[pos + 2] !== 0x6c || b[pos + 3] !== 0x6c) return null;
      starts[i] = -1;
      pos += 4;
      continue;
    }
    if (kind === 'string') {
      if (c !== QUOTE) return null;
      const end = stringEnd(b, pos);
      if (end < 0) return null;
      starts[i] = pos;
      ends[i] = end;
      pos = end;
    } else if (kind === 'array') {
      if (c !== 0x5b) return null;
      if (b[pos + 1] === 0x5d) {
        starts[i] = -1; // an empty set or list is no value (item.ts)
        pos += 2;
        continue;
      }
      const start = pos;
      pos = stringsEnd(b, pos + 1);
      if (pos < 0) return null;
      starts[i] = start;
      ends[i] = pos;
    } else {
      const start = pos;
      while (pos < b.length && isNumberByte(b[pos]!)) pos++;
      const raw = b.toString('latin1', start, pos);
      if (!NUMBER.test(raw)) return null;
      const v = Number(raw);
      if (kind === 'integer') {
        if (!Number.isSafeInteger(v)) return null;
        texts[i] = String(v);
      } else {
        const d = decimalFromNumber(v);
        if (!d) return null;
        texts[i] = `"${formatDecimal(d)}"`;
      }
      starts[i] = start;
    }
  }
  if (pos !== b.length - 1) return null;
  // the code: a string without escapes
  if (starts[0]! < 0 || plan.fields[0]!.kind !== 'string') return null;
  const rawKey = b.subarray(starts[0]! + 1, ends[0]! - 1);
  if (rawKey.includes(BACKSLASH)) return null;
  let size = 2;
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (starts[i]! < 0) continue;
    count++;
    size += plan.names[i]!.length + (texts[i] !== undefined ? Buffer.byteLength(texts[i]!) : ends[i]! - starts[i]!);
  }
  size += Math.max(0, count - 1);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  out[at++] = BRACE_OPEN;
  let first = true;
  for (const i of plan.sorted) {
    if (starts[i]! < 0) continue;
    if (!first) out[at++] = COMMA;
    first = false;
    const name = plan.names[i]!;
    at = put(out, at, name, 0, name.length);
    const t = texts[i];
    if (t !== undefined) at += out.write(t, at, 'latin1');
    else at = put(out, at, b, starts[i]!, ends[i]!);
  }
  out[at++] = BRACE_CLOSE;
  if (at !== size) throw new Error(`export item: ${at} bytes written of ${size}`);
  return { key: rawKey.toString('utf8'), bytes: out };
}

// The other way: an item's bytes as the NDJSON export line of its record (log-source.ts,
// `export --as-of`): members put back in field order, null for a field the item leaves out,
// decimals unquoted into JSON numbers. Only for an item in the form the log writes (each
// member once, a known field, of its field's kind, strings in canonical escaping, valid
// UTF-8); otherwise null, and the caller parses the item and formats its values. Where it
// answers, its bytes are that way's bytes (tests hold the two to each other).

const NULL = Buffer.from('null');

export function exportLine(entity: EntityName, item: Buffer, canonicalDecimal: (text: string) => string): Buffer | null {
  const b = item;
  if (b.length < 2 || b[0] !== BRACE_OPEN || b[b.length - 1] !== BRACE_CLOSE || hasControl(b) || !isUtf8(b)) return null;
  const plan = planOf(entity);
  const n = plan.fields.length;
  const { starts, ends, texts } = plan;
  starts.fill(-1);
  bsLine = null;
  let pos = 1;
  if (b[pos] !== BRACE_CLOSE) {
    for (;;) {
      if (b[pos] !== QUOTE) return null;
      const nameEnd = b.indexOf(QUOTE, pos + 1);
      if (nameEnd < 0 || b[nameEnd + 1] !== 0x3a) return null;
      const i = plan.index.get(b.toString('latin1', pos + 1, nameEnd));
      if (i === undefined || starts[i]! >= 0) return null;
      pos = nameEnd + 2;
      const kind = plan.fields[i]!.kind;
      const start = pos;
      texts[i] = undefined;
      const c = b[pos];
      if (kind === 'string' || kind === 'decimal') {
        if (c !== QUOTE) return null;
        pos = stringEnd(b, pos);
        if (pos < 0) return null;
        if (kind === 'decimal') {
          const raw = b.toString('latin1', start + 1, pos - 1);
          if (!/^[0-9.+-]+$/.test(raw)) return null;
          try {
            texts[i] = canonicalDecimal(raw);
          } catch {
            return null;
          }
        }
      } else if (kind === 'array') {
        if (c !== 0x5b) return null;
        pos = b[pos + 1] === 0x5d ? pos + 2 : stringsEnd(b, pos + 1);
        if (pos < 0) return null;
      } else {
        while (pos < b.length && isNumberByte(b[pos]!)) pos++;
        const raw = b.toString('latin1', start, pos);
        const v = Number(raw);
        if (!NUMBER.test(raw) || !Number.isFinite(v)) return null;
        texts[i] = String(v);
      }
      starts[i] = start;
      ends[i] = pos;
      if (b[pos] === COMMA) pos++;
      else if (b[pos] === BRACE_CLOSE) break;
      else return null;
    }
  }
  if (pos !== b.length - 1) return null;
  let size = 2; // } and LF
  for (let i = 0; i < n; i++) {
    size += plan.fields[i]!.key.length;
    size += starts[i]! < 0 ? NULL.length : texts[i] !== undefined ? texts[i]!.length : ends[i]! - starts[i]!;
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const key = plan.fields[i]!.key;
    at = put(out, at, key, 0, key.length);
    if (starts[i]! < 0) at = put(out, at, NULL, 0, NULL.length);
    else if (texts[i] !== undefined) at += out.write(texts[i]!, at, 'latin1');
    else at = put(out, at, b, starts[i]!, ends[i]!);
  }
  out[at++] = BRACE_CLOSE;
  out[at++] = 0x0a;
  if (at !== size) throw new Error(`export line: ${at} bytes written of ${size}`);
  return out;
}
