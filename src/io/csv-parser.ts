// An RFC 4180 tokenizer that knows, for every record, the line it starts on, its original
// text and its place in the decoded stream: what the reject file, the messages (SPEC §2:
// "the line where the record starts") and encoding errors need.
//
// Why not papaparse, which tokenizes 1.2–2× faster in isolation (test/bench/csv-parsers.ts;
// csv-parse is 20× slower and out of the question)? Because it gets two cases of SPEC §2
// wrong: after an unclosed quote it swallows the rest of the file into one value (so no
// later record is read, and a 1 GB file ends up in memory), and it guesses one line end
// for the whole file, silently merging records of a file that mixes \r\n and \n. Line
// numbers and raw text would also need a second pass over its cursor positions. The
// tokenizer is ~15% of `validate file`; decoding UTF-8 costs more.
//
// It is push-based and synchronous: the reader feeds it decoded text and pulls the
// records out, so back-pressure stays with the reader's async iterator.

import { TextWindow } from './text-window.js';
import { utf16Units } from '../text/utf8-bytes.js';

export interface CsvRow {
  kind: 'row';
  /** 1-based line where the record starts */
  line: number;
  /** offsets of the record's text in the whole decoded stream: [start, end) */
  start: number;
  end: number;
  raw: string;
  cells: string[];
}

export interface CsvProblem {
  kind: 'problem';
  line: number;
  start: number;
  end: number;
  raw: string;
  message: string;
}

export type CsvItem = CsvRow | CsvProblem;

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/**
 * A record longer than this is reported (once, with a prefix of its text) and the rest of
 * it is dropped up to the next line end without being held: a registry record is at most
 * some ten thousand characters, and without a limit one stray quote, or a file with no
 * line end the reader knows, would make the parser hold the rest of a 1 GB file in memory.
 * It also bounds the work of parsing a record again as each chunk arrives.
 */
export const MAX_RECORD_CHARS = 1 << 20;

/** How much of a record too long to keep goes into its issue. */
export const PREFIX_CHARS = 200;

const NEED_MORE = null;

/** U+2026 … as a byte string (its UTF-8 E2 80 A6, one latin1 character a byte) */
const ELLIPSIS_BYTES = '\u00e2\u0080\u00a6';

/** Line ends in s: LF, CRLF and a lone CR each count once. */
function lineEnds(s: string): number {
  let n = 0;
  for (let k = s.indexOf('\n'); k !== -1; k = s.indexOf('\n', k + 1)) n++;
  for (let k = s.indexOf('\r'); k !== -1; k = s.indexOf('\r', k + 1)) if (s.charCodeAt(k + 1) !== LF) n++;
  return n;
}

export class CsvParser extends TextWindow<CsvItem> {
  private line = 1;
  private readonly delim: number;
  private readonly delimChar: string;
  /** the text is byte strings (text/utf8-bytes.ts): lengths are counted in characters of the text */
  private readonly bytes: boolean;
  /** dropping the rest of a record too long to keep, up to the next line end */
  private skipping = false;
  /** the record left waiting for more text ended inside a quoted value */
  private inQuote = false;
  /** the record left waiting for more text: its values so far, and where the next starts (from the record's start) */
  private pending: { cells: string[]; at: number; newlines: number; stray: number } | null = null;
  // The next LF, CR, delimiter and quote at or after the place last asked about, in the
  // text of one drain: each is searched for once per occurrence, not once per value (a
  // file without CR would otherwise be searched to its end for every line).
  private lf = -1;
  private cr = -1;
  private dl = -1;
  private qt = -1;

  constructor(delimiter: string = ',', bytes = false) {
    super();
    this.delim = delimiter.charCodeAt(0);
    this.delimChar = delimiter.charAt(0);
    this.bytes = bytes;
  }

  /** Is buf[start, end) shorter than MAX_RECORD_CHARS (UTF-16 units of the text)? */
  private short(buf: string, start: number, end: number): boolean {
    if (end - start < MAX_RECORD_CHARS) return true;
    return this.bytes && utf16Units(buf, start, end) < MAX_RECORD_CHARS;
  }

  private next(buf: string, ch: string, i: number, cached: number): number {
    if (cached >= i) return cached;
    const k = buf.indexOf(ch, i);
    return k === -1 ? buf.length : k;
  }

  /** The first line end (LF or CR) at or after i; buf.length when there is none. */
  private lineEnd(buf: string, i: number): number {
    this.lf = this.next(buf, '\n', i, this.lf);
    this.cr = this.next(buf, '\r', i, this.cr);
    return this.lf < this.cr ? this.lf : this.cr;
  }

  /** The input is complete: returns the last records. */
  end(): CsvItem[] {
    return this.drain(true);
  }

  protected drain(final: boolean): CsvItem[] {
    const items: CsvItem[] = [];
    const buf = this.buf;
    const len = buf.length;
    this.lf = this.cr = this.dl = this.qt = -1;
    while (this.pos < len) {
      if (this.skipping) {
        const e = this.lineEnd(buf, this.pos);
        this.pos = e; // what is dropped is never kept: the window lets it go on the next push
        if (e >= len) break;
        this.skipping = false;
      }
      // Blank lines separate nothing: skip them (a trailing one is common). A lone CR
      // ends a line as LF and CRLF do (old spreadsheet exports).
      const c = buf.charCodeAt(this.pos);
      if (c === LF) {
        this.pos++;
        this.line++;
        continue;
      }
      if (c === CR) {
        if (this.pos + 1 >= len && !final) break; // the LF may come with the next chunk
        this.pos += buf.charCodeAt(this.pos + 1) === LF ? 2 : 1;
        this.line++;
        continue;
      }
      this.inQuote = false;
      const item = this.record(buf, len, final);
      if (item === NEED_MORE) {
        if (this.short(buf, this.pos, len)) break;
        this.pending = null;
        items.push(this.tooLong(buf, len));
        continue;
      }
      items.push(item);
    }
    return items;
  }

  /**
   * The record at this.pos is longer than any record can be: report it with a prefix of
   * its text, and go on from its first line end (a stray quote then costs one line), or
   * drop text up to the next one when the window holds none.
   */
  private tooLong(buf: string, len: number): CsvProblem {
    const start = this.pos;
    const line = this.line;
    this.lf = this.cr = -1; // asked about an earlier place than before
    const e = this.lineEnd(buf, start + 1);
    this.pos = e;
    if (e >= len) this.skipping = true;
    const shown = this.prefixEnd(buf, start, e);
    const limit = `${MAX_RECORD_CHARS.toLocaleString('en-US')} characters`;
    return {
      kind: 'problem', line, start: this.base + start, end: this.base + shown, raw: buf.slice(start, shown) + (shown < e ? (this.bytes ? ELLIPSIS_BYTES : '…') : ''),
      message: this.inQuote
        ? `a quoted value opened on line ${line} is never closed within ${limit}, more than any record holds`
        : `the record on line ${line} is longer than ${limit}, more than any record holds (is it a CSV file?)`,
    };
  }

  /**
   * Where the first PREFIX_CHARS UTF-16 units of buf[start, e) end, never inside a
   * character: the same prefix whether the text is byte strings or decoded.
   */
  private prefixEnd(buf: string, start: number, e: number): number {
    if (!this.bytes) {
      const k = Math.min(e, start + PREFIX_CHARS);
      const last = buf.charCodeAt(k - 1);
      return k < e && last >= 0xd800 && last <= 0xdbff ? k - 1 : k;
    }
    let units = 0;
    let k = start;
    for (; k < e; k++) {
      const c = buf.charCodeAt(k);
      if ((c & 0xc0) === 0x80) continue;
      const u = c >= 0xf0 ? 2 : 1;
      if (units + u > PREFIX_CHARS) break;
      units += u;
    }
    return k;
  }

  /** Parses the record at this.pos; null when the text so far ends inside it. */
  private record(buf: string, len: number, final: boolean): CsvItem | null {
    const start = this.pos;
    const delim = this.delim;
    let cells: string[];
    let newlines: number; // line ends inside quoted values
    let stray: number; // the first value (1-based) that holds a quote without being quoted
    let i: number;
    const p = this.pending;
    if (p !== null) {
      // The values before the one the text ended in are parsed already: go on from there,
      // so that a record spanning many chunks is parsed about once, not once per chunk.
      this.pending = null;
      cells = p.cells;
      newlines = p.newlines;
      stray = p.stray;
      i = start + p.at;
    } else {
      cells = [];
      newlines = 0;
      stray = 0;
      i = start;
    }
    for (;;) {
      if (i < len && buf.charCodeAt(i) === QUOTE) {
        // Quoted value: find the closing quote, stepping over doubled ones.
        let j = i + 1;
        let escaped = false;
        let close = -1;
        for (;;) {
          const k = buf.indexOf('"', j);
          if (k === -1 || (k + 1 >= len && !final)) break;
          if (buf.charCodeAt(k + 1) === QUOTE) {
            escaped = true;
            j = k + 2;
            continue;
          }
          close = k;
          break;
        }
        if (close === -1) {
          this.inQuote = true;
          if (!final) return this.wait(start, i, cells, newlines, stray);
          return this.unclosed(buf, len, start);
        }
        const after = close + 1;
        const c = after < len ? buf.charCodeAt(after) : -1;
        // What follows may come with the next chunk (a CR's LF): the value again then.
        if (!final && (c === -1 || (c === CR && after + 1 >= len))) return this.wait(start, i, cells, newlines, stray);
        let value = buf.slice(i + 1, close);
        newlines += lineEnds(value);
        if (escaped) value = value.replaceAll('""', '"');
        cells.push(value);
        i = after;
        if (c === delim) {
          i++;
          continue;
        }
        if (c === LF) return this.row(stray, buf, start, i, i + 1, cells, newlines);
        if (c === CR) return this.row(stray, buf, start, i, buf.charCodeAt(i + 1) === LF ? i + 2 : i + 1, cells, newlines);
        if (c === -1) return this.row(stray, buf, start, len, len, cells, newlines);
        return this.skipLine(buf, len, start, i, newlines, final, `unexpected text after the closing quote of value ${cells.length}`);
      }
      // Unquoted value: up to the delimiter or the end of the line. indexOf runs natively,
      // and each of these is looked up once per occurrence (see lf, cr, dl, qt).
      const e = this.lineEnd(buf, i);
      this.dl = this.next(buf, this.delimChar, i, this.dl);
      const j = this.dl < e ? this.dl : e;
      this.qt = this.next(buf, '"', i, this.qt);
      // RFC 4180: a quote only opens a value. Kept as data, `AG-01, "Pasport berish"`
      // would store the quotes; quoting the value is what the writer meant. The record
      // ends where it would with the quote as data (so no later record is lost), and is
      // reported instead of read.
      if (this.qt < j && stray === 0) stray = cells.length + 1;
      if (j >= len) {
        if (!final) return this.wait(start, i, cells, newlines, stray);
        cells.push(buf.slice(i, len));
        return this.row(stray, buf, start, len, len, cells, newlines);
      }
      // A line end: a CR may be followed by its LF in the next chunk.
      if (j !== this.dl && !final && j + 1 >= len && buf.charCodeAt(j) === CR) return this.wait(start, i, cells, newlines, stray);
      cells.push(buf.slice(i, j));
      if (j === this.dl) {
        i = j + 1;
        continue;
      }
      if (buf.charCodeAt(j) === CR) {
        return this.row(stray, buf, start, j, buf.charCodeAt(j + 1) === LF ? j + 2 : j + 1, cells, newlines);
      }
      return this.row(stray, buf, start, j, j + 1, cells, newlines);
    }
  }

  /** The text ends inside the record, in the value starting at i: keep what is parsed before it. */
  private wait(start: number, i: number, cells: string[], newlines: number, stray: number): null {
    this.pending = { cells, at: i - start, newlines, stray };
    return NEED_MORE;
  }

  private row(stray: number, buf: string, start: number, end: number, next: number, cells: string[], newlines: number): CsvItem {
    const line = this.line;
    this.pos = next;
    this.line += newlines + 1;
    const raw = buf.slice(start, end);
    if (stray > 0) {
      return {
        kind: 'problem', line, start: this.base + start, end: this.base + end, raw,
        message: `value ${stray} holds a " but does not start with one: put the whole value in double quotes, with each " inside it doubled ("like ""this""")`,
      };
    }
    return { kind: 'row', line, start: this.base + start, end: this.base + end, raw, cells };
  }

  /** An unclosed quote at the end of the file: report it and start again on the line after the record's first. */
  private unclosed(buf: string, len: number, start: number): CsvProblem {
    const line = this.line;
    this.lf = this.cr = -1; // asked about an earlier place than before
    const end = this.lineEnd(buf, start);
    this.pos = end; // drain counts the line end
    const shown = Math.min(end, start + MAX_RECORD_CHARS);
    return {
      kind: 'problem', line, start: this.base + start, end: this.base + shown, raw: buf.slice(start, shown),
      message: `a quoted value opened on line ${line} is never closed`,
    };
  }

  /** Bad syntax at i: drop the rest of the physical line i is on. */
  private skipLine(buf: string, len: number, start: number, i: number, newlines: number, final: boolean, message: string): CsvProblem | null {
    const eol = this.lineEnd(buf, i);
    if (!final && (eol >= len || (eol === len - 1 && buf.charCodeAt(eol) === CR))) return NEED_MORE;
    const line = this.line;
    this.pos = eol; // drain counts the line end
    this.line += newlines;
    return { kind: 'problem', line, start: this.base + start, end: this.base + eol, raw: buf.slice(start, eol), message };
  }
}
