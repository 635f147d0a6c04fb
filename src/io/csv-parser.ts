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
import { utf16Units } from './utf8-bytes.js';

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
 * A quoted value longer than this is taken for an unclosed quote: a registry field is at
 * most a few thousand characters, and without a limit one stray quote would make the
 * parser hold the rest of a 1 GB file in memory.
 */
export const MAX_RECORD_CHARS = 1 << 20;

const NEED_MORE = null;

export class CsvParser extends TextWindow<CsvItem> {
  private line = 1;
  private readonly delim: number;
  private readonly delimChar: string;
  /** the text is byte strings (utf8-bytes.ts): lengths are counted in characters of the text */
  private readonly bytes: boolean;

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

  /** The input is complete: returns the last records. */
  end(): CsvItem[] {
    return this.drain(true);
  }

  protected drain(final: boolean): CsvItem[] {
    const items: CsvItem[] = [];
    const buf = this.buf;
    const len = buf.length;
    while (this.pos < len) {
      // Blank lines separate nothing: skip them (a trailing one is common).
      const c = buf.charCodeAt(this.pos);
      if (c === LF) {
        this.pos++;
        this.line++;
        continue;
      }
      if (c === CR && this.pos + 1 < len && buf.charCodeAt(this.pos + 1) === LF) {
        this.pos += 2;
        this.line++;
        continue;
      }
      if (c === CR && this.pos + 1 >= len) {
        if (!final) break; // the LF may come with the next chunk
        this.pos++; // a lone CR ending the file ends nothing
        continue;
      }
      const item = this.record(buf, len, final);
      if (item === NEED_MORE) break;
      items.push(item);
    }
    return items;
  }

  /** Parses the record at this.pos; null when the text so far ends inside it. */
  private record(buf: string, len: number, final: boolean): CsvItem | null {
    const start = this.pos;
    const delim = this.delim;
    const cells: string[] = [];
    let newlines = 0; // line ends inside quoted values
    let i = start;
    let nl = -1; // the next line end at or after i, once looked up
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
          if (!final && this.short(buf, start, len)) return NEED_MORE;
          return this.unclosed(buf, len, start);
        }
        let value = buf.slice(i + 1, close);
        for (let n = value.indexOf('\n'); n !== -1; n = value.indexOf('\n', n + 1)) newlines++;
        if (escaped) value = value.replaceAll('""', '"');
        cells.push(value);
        i = close + 1;
        const c = i < len ? buf.charCodeAt(i) : -1;
        if (c === delim) {
          i++;
          continue;
        }
        if (c === LF) return this.row(buf, start, i, i + 1, cells, newlines);
        if (c === CR && i + 1 < len && buf.charCodeAt(i + 1) === LF) return this.row(buf, start, i, i + 2, cells, newlines);
        if (c === -1 || (c === CR && i + 1 >= len)) {
          if (!final) return NEED_MORE;
          return this.row(buf, start, c === CR ? i : len, len, cells, newlines);
        }
        return this.skipLine(buf, len, start, newlines, final, `unexpected text after the closing quote of value ${cells.length}`);
      }
      // Unquoted value: up to the delimiter or the end of the line. indexOf runs natively,
      // and the next line end is looked up once per line, not once per value.
      if (nl < i) {
        nl = buf.indexOf('\n', i);
        if (nl === -1) nl = len;
      }
      let j = buf.indexOf(this.delimChar, i);
      if (j === -1 || j > nl) j = nl;
      const c = j < len ? buf.charCodeAt(j) : -1;
      if (j >= len) {
        if (!final) return NEED_MORE;
        cells.push(stripCr(buf.slice(i, len)));
        return this.row(buf, start, len, len, cells, newlines);
      }
      if (c === delim) {
        cells.push(buf.slice(i, j));
        i = j + 1;
        continue;
      }
      // LF: the record ends; a CR before it belongs to the line end, not the value.
      const valueEnd = j > i && buf.charCodeAt(j - 1) === CR ? j - 1 : j;
      cells.push(buf.slice(i, valueEnd));
      return this.row(buf, start, valueEnd, j + 1, cells, newlines);
    }
  }

  private row(buf: string, start: number, end: number, next: number, cells: string[], newlines: number): CsvRow {
    const line = this.line;
    this.pos = next;
    this.line += newlines + 1;
    return { kind: 'row', line, start: this.base + start, end: this.base + end, raw: buf.slice(start, end), cells };
  }

  /** An unclosed quote: report it and start again on the line after the record's first. */
  private unclosed(buf: string, len: number, start: number): CsvProblem {
    const line = this.line;
    const lf = buf.indexOf('\n', start);
    const end = lf === -1 ? len : lf;
    this.pos = lf === -1 ? len : lf + 1;
    this.line++;
    return {
      kind: 'problem', line, start: this.base + start, end: this.base + end, raw: stripCr(buf.slice(start, end)),
      message: `a quoted value opened on line ${line} is never closed`,
    };
  }

  /** Bad syntax after a quoted value: drop the rest of the physical line. */
  private skipLine(buf: string, len: number, start: number, newlines: number, final: boolean, message: string): CsvProblem | null {
    // The value before may have held line ends: find the end of the line the error is on.
    let from = start;
    for (let n = 0; n < newlines; n++) from = buf.indexOf('\n', from) + 1;
    const eol = buf.indexOf('\n', from);
    if (eol === -1 && !final) return NEED_MORE;
    const line = this.line;
    const end = eol === -1 ? len : eol;
    this.pos = eol === -1 ? len : eol + 1;
    this.line += newlines + 1;
    return { kind: 'problem', line, start: this.base + start, end: this.base + end, raw: stripCr(buf.slice(start, end)), message };
  }
}

function stripCr(s: string): string {
  return s.length && s.charCodeAt(s.length - 1) === CR ? s.slice(0, -1) : s;
}
