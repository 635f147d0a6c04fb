// Byte strings: text read as latin1, one character per byte of the file's UTF-8, which
// `import` of a CSV file uses on its fast path (io/read-records.ts: utf8Bytes). Decoding a
// chunk so is a copy, and writing a byte string back as latin1 gives the file's own bytes:
// on 150 MB of the benchmark's services, 35–77 ms against 300 ms of UTF-8 decoding, and
// 110–140 ms against 270–300 ms of UTF-8 encoding. A whole import of 1M services took
// 12.0 s of this process's CPU instead of 16.6 s. Everything a parser looks for (delimiters, quotes, line ends, the
// | of sets and lists, the digits and capitals of codes) is ASCII, and a byte below 0x80
// never occurs inside a multi-byte sequence, so parsing and those checks behave exactly as
// on the decoded text. What differs is counted and trimmed text: the helpers here say when
// a byte string can be taken as it is, and decode it when it cannot.

import { decodeUtf8 } from './decode.js';

/** An ASCII string is its own byte string. */
const NOT_ASCII = /[^\x00-\x7f]/;

/** The text a byte string stands for (an invalid byte as U+FFFD, as the text reader has it). */
export function fromBytes(s: string): string {
  return NOT_ASCII.test(s) ? decodeUtf8(Buffer.from(s, 'latin1')) : s;
}

/** The byte string of a text (its UTF-8, one latin1 character a byte). */
export function toBytes(s: string): string {
  return NOT_ASCII.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s;
}

/** A byte string, or any value; strings decoded (for values leaving the fast path). */
export function fromBytesValue<T>(v: T): T | string {
  return typeof v === 'string' ? fromBytes(v) : v;
}

const isAsciiSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);

/** ASCII white space cut from both ends (what trim() cuts of a text that is ASCII). */
export function trimAscii(s: string): string {
  let a = 0;
  let z = s.length;
  while (a < z && isAsciiSpace(s.charCodeAt(a))) a++;
  while (z > a && isAsciiSpace(s.charCodeAt(z - 1))) z--;
  return a === 0 && z === s.length ? s : s.slice(a, z);
}

/**
 * JavaScript's trim() (the white space of String.prototype.trim) of a byte string, or null
 * when that needs the decoded text: trim() itself would cut a byte 0xA0 (NO-BREAK SPACE in
 * latin1) off the end of "Р" (D0 A0), and would miss U+3000. ASCII white space is cut
 * here; an edge character outside ASCII that is white space (U+00A0, U+2000…) gives null.
 */
export function trimBytes(s: string): string | null {
  const t = trimAscii(s);
  if (t.length && (spaceAt(t, 0) || spaceBefore(t, t.length))) return null;
  return t;
}

/** White space other than ASCII, as /\s/ and trim() know it (Zs, U+FEFF, U+2028, U+2029). */
const WIDE_SPACE = /^\s$/;

/** Is the character whose UTF-8 starts at i white space? */
function spaceAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c < 0x80) return false;
  // Only lead bytes C2 (U+00A0), E1 (U+1680), E2 (U+2000–U+205F), E3 (U+3000) and EF
  // (U+FEFF) begin white space; Cyrillic (D0, D1) and ʻ ʼ (CA) never do.
  if (c !== 0xc2 && (c < 0xe1 || c > 0xe3) && c !== 0xef) return false;
  const n = c === 0xc2 ? 2 : 3;
  return WIDE_SPACE.test(fromBytes(s.slice(i, i + n)));
}

/** Is the character whose UTF-8 ends just before z white space? */
function spaceBefore(s: string, z: number): boolean {
  if (s.charCodeAt(z - 1) < 0x80) return false;
  let i = z - 1;
  while (i > 0 && z - i < 4 && (s.charCodeAt(i) & 0xc0) === 0x80) i--;
  return spaceAt(s, i);
}

/**
 * UTF-16 units of the text a byte string stands for: a byte that does not continue a
 * sequence starts one character, of two units when it starts four bytes (beyond U+FFFF).
 */
export function utf16Units(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if ((c & 0xc0) !== 0x80) n += c >= 0xf0 ? 2 : 1;
  }
  return n;
}

/**
 * What decodeRecord reads and gives of a record: the shape of a reader's record
 * (records/source-record.ts), written out, as text/ imports nothing of the tool.
 */
export interface ByteRecord {
  line: number;
  record?: number;
  raw: string;
  fields: Record<string, unknown>;
}

/** A record of byte strings, decoded. */
export function decodeRecord(rec: ByteRecord): ByteRecord {
  const fields: Record<string, unknown> = {};
  for (const k in rec.fields) fields[k] = fromBytesValue(rec.fields[k]);
  const out: ByteRecord = { line: rec.line, raw: fromBytes(rec.raw), fields };
  if (rec.record !== undefined) out.record = rec.record;
  return out;
}
