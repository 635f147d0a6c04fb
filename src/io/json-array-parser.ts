// Splits a JSON array into the text of its elements without parsing the whole document,
// so that a 1 GB file streams: each element is cut out by bracket counting (strings
// skipped) and handed to JSON.parse on its own. Knows the line each element starts on.

import { TextWindow } from './text-window.js';

export interface JsonElement {
  kind: 'element';
  line: number;
  /** 1-based position in the array */
  record: number;
  start: number;
  end: number;
  raw: string;
}

export interface JsonProblem {
  kind: 'problem';
  line: number;
  record?: number;
  start: number;
  end: number;
  raw: string;
  message: string;
}

export type JsonItem = JsonElement | JsonProblem;

/** An element larger than this is taken for a broken file rather than buffered for ever. */
export const MAX_ELEMENT_CHARS = 1 << 22;

type Phase = 'start' | 'first' | 'element' | 'after' | 'done' | 'broken';

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

export class JsonArrayParser extends TextWindow<JsonItem> {
  private line = 1;
  private phase: Phase = 'start';
  private count = 0;
  /** where the scan of an element not yet complete stopped, to go on from there (see elementEnd) */
  private scan: Scan | null = null;

  /** Nothing more can come out: the reader may stop reading (and holding) text. */
  get stopped(): boolean {
    return this.phase === 'broken';
  }

  end(): JsonItem[] {
    const items = this.drain(true);
    if (this.phase === 'start') items.push(this.problem(this.pos, this.pos, 'the file is empty: expected a JSON array of objects'));
    else if (this.phase !== 'done' && this.phase !== 'broken') {
      items.push(this.problem(this.pos, this.pos, 'the file ends before the array is closed with ]'));
    }
    return items;
  }

  private problem(start: number, end: number, message: string, record?: number): JsonProblem {
    const p: JsonProblem = { kind: 'problem', line: this.line, start: this.base + start, end: this.base + end, raw: this.buf.slice(start, end), message };
    if (record !== undefined) p.record = record;
    return p;
  }

  protected drain(final: boolean): JsonItem[] {
    const items: JsonItem[] = [];
    const buf = this.buf;
    const len = buf.length;
    while (this.pos < len && this.phase !== 'broken') {
      const c = buf.charCodeAt(this.pos);
      if (isSpace(c)) {
        // LF, CRLF and a lone CR each end a line.
        if (c === 0x0a) this.line++;
        else if (c === 0x0d) {
          if (this.pos + 1 >= len && !final) break; // its LF may come with the next chunk
          if (buf.charCodeAt(this.pos + 1) !== 0x0a) this.line++;
        }
        this.pos++;
        continue;
      }
      switch (this.phase) {
        case 'start':
          if (c === 0x5b /* [ */) {
            this.phase = 'first';
            this.pos++;
          } else {
            const eol = buf.indexOf('\n', this.pos);
            items.push(this.problem(this.pos, eol === -1 ? len : eol,
              c === 0x7b ? 'expected a JSON array ([ … ]); a file of one object per line needs the .ndjson extension or --format ndjson' : 'expected a JSON array of objects'));
            this.phase = 'broken';
          }
          continue;
        case 'first':
          if (c === 0x5d /* ] */) {
            this.phase = 'done';
            this.pos++;
            continue;
          }
          this.phase = 'element';
          continue;
        case 'element': {
          if (c === 0x5d && this.count > 0) {
            // A trailing comma before ]: not JSON (RFC 8259), and a sign that a record may
            // have been cut out by hand: said, not guessed past.
            items.push(this.problem(this.pos, this.pos + 1, `a comma after record ${this.count} is followed by ] and no record: JSON allows no trailing comma`));
            this.phase = 'done';
            this.pos++;
            continue;
          }
          const item = this.element(buf, len, final);
          if (item === null) return items;
          items.push(item);
          continue;
        }
        case 'after':
          if (c === 0x2c /* , */) {
            this.phase = 'element';
            this.pos++;
          } else if (c === 0x5d) {
            this.phase = 'done';
            this.pos++;
          } else if (c === 0x7b) {
            // A missing comma between two objects: say so, and keep the object.
            items.push(this.problem(this.pos, this.pos + 1, `a comma is missing before record ${this.count + 1}`));
            this.phase = 'element';
          } else {
            const eol = buf.indexOf('\n', this.pos);
            items.push(this.problem(this.pos, eol === -1 ? len : eol, `expected , or ] after record ${this.count}`));
            this.phase = 'broken';
          }
          continue;
        case 'done': {
          const eol = buf.indexOf('\n', this.pos);
          items.push(this.problem(this.pos, eol === -1 ? len : eol, 'text after the end of the array'));
          this.phase = 'broken';
          continue;
        }
      }
    }
    return items;
  }

  /** Cuts out the element at this.pos; null when it is not complete yet. */
  private element(buf: string, len: number, final: boolean): JsonItem | null {
    const start = this.pos;
    this.scan ??= { at: 0, depth: 0 };
    const end = elementEnd(buf, start, len, this.scan);
    if (end === -1) {
      if (!final && len - start < MAX_ELEMENT_CHARS) return null;
      this.scan = null;
      this.count++;
      const p = this.problem(start, Math.min(len, start + 200), final
        ? `record ${this.count} is never closed`
        : `record ${this.count} is not closed within ${MAX_ELEMENT_CHARS.toLocaleString('en-US')} characters, more than any record holds; nothing after it is read`, this.count);
      this.phase = 'broken';
      return p;
    }
    // A bare value running to the end of the text so far may go on in the next chunk.
    if (!final && end >= len) {
      this.scan = null;
      return null;
    }
    this.count++;
    const line = this.line;
    const raw = buf.slice(start, end);
    for (let n = raw.indexOf('\n'); n !== -1; n = raw.indexOf('\n', n + 1)) this.line++;
    for (let n = raw.indexOf('\r'); n !== -1; n = raw.indexOf('\r', n + 1)) if (raw.charCodeAt(n + 1) !== 0x0a) this.line++;
    this.pos = end;
    this.scan = null;
    this.phase = 'after';
    return { kind: 'element', line, record: this.count, start: this.base + start, end: this.base + end, raw };
  }
}

/** Characters that matter for finding where an object or array ends. */
const STRUCTURE = /["{}[\]]/g;

/** Index of the closing quote of the string opening at `open`, or -1. */
function stringEnd(buf: string, open: number): number {
  let k = open + 1;
  for (;;) {
    k = buf.indexOf('"', k);
    if (k === -1) return -1;
    let bs = 0;
    while (buf.charCodeAt(k - 1 - bs) === 0x5c) bs++;
    if (bs % 2 === 0) return k; // not escaped by an odd number of backslashes
    k++;
  }
}

/** How far an element's scan got: offset from its start, and the depth there. */
interface Scan {
  at: number;
  depth: number;
}

/**
 * Where the element starting at `start` ends (exclusive), or -1 when the text so far does
 * not hold all of it; then `scan` says where to go on when more text has come, so that a
 * long element is scanned once, not once per chunk. Objects and arrays are skimmed with a
 * native regular expression from one bracket or quote to the next (3× faster than looking
 * at every character); JSON.parse checks the rest.
 */
function elementEnd(buf: string, start: number, len: number, scan: Scan): number {
  const c0 = buf.charCodeAt(start);
  if (c0 === 0x22) {
    const k = stringEnd(buf, start);
    return k === -1 ? -1 : k + 1;
  }
  if (c0 !== 0x7b && c0 !== 0x5b) {
    // A number or literal: up to a comma, a bracket or white space.
    for (let i = start; i < len; i++) {
      const c = buf.charCodeAt(i);
      if (c === 0x2c || c === 0x5d || c === 0x7d || isSpace(c)) return i;
    }
    return len;
  }
  let depth = scan.depth;
  STRUCTURE.lastIndex = start + scan.at;
  for (;;) {
    const m = STRUCTURE.exec(buf);
    if (m === null) {
      scan.at = len - start;
      scan.depth = depth;
      return -1;
    }
    const c = buf.charCodeAt(m.index);
    if (c === 0x22) {
      const k = stringEnd(buf, m.index);
      if (k === -1) {
        scan.at = m.index - start; // the string again, whole, next time
        scan.depth = depth;
        return -1;
      }
      STRUCTURE.lastIndex = k + 1;
    } else if (c === 0x7b || c === 0x5b) depth++;
    else if (--depth === 0) return m.index + 1;
  }
}
