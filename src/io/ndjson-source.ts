// NDJSON records: one object a line; blank lines are skipped, a bad line is a
// malformed-record and reading goes on with the next. LF, CRLF and a lone CR end a line
// (JSON text holds no raw CR or LF, so none of them can be inside a record).
import { issue } from '../records/issues.js';
import { BadBytes, encodingIssue } from './bad-bytes.js';
import { PREFIX_CHARS } from './csv-parser.js';
import { MAX_ELEMENT_CHARS } from './json-array-parser.js';
import { parseObject } from './json-object.js';
import type { FormatContext, SourceRecord } from './record-source.js';

/** A line longer than this is reported with a prefix and dropped, not held. */
export const MAX_LINE_CHARS = MAX_ELEMENT_CHARS;

export async function* ndjsonRecords(ctx: FormatContext): AsyncGenerator<SourceRecord[]> {
  const bad = new BadBytes();
  // The line so far, in pieces: joined once it ends, so that a long line costs its length
  // and not its length times its chunks.
  let pieces: string[] = [];
  let held = 0;
  let lineStart = 0; // offset of the line in the whole text
  let line = 1;
  let dropping = false; // the rest of a line too long to keep
  let cr = false; // the last chunk ended with CR: an LF first in the next belongs to it

  const take = (text: string, start: number): SourceRecord | null => {
    const lineNo = line;
    const badBytes = bad.take(start, start + text.length);
    if (text.trim() === '') return null;
    if (badBytes) {
      ctx.issues.push(encodingIssue(ctx.encoding, { line: lineNo }, badBytes, start, text));
      ctx.skip();
      return null;
    }
    const parsed = parseObject(text);
    if (!parsed.ok) {
      ctx.issues.push(issue(parsed.code, { line: lineNo }, null, parsed.value ?? text.slice(0, PREFIX_CHARS), `line ${lineNo} ${parsed.message}`));
      ctx.skip();
      return null;
    }
    return { line: lineNo, raw: text, fields: parsed.value };
  };

  const tooLong = () => {
    const prefix = pieces.join('').slice(0, PREFIX_CHARS);
    ctx.issues.push(issue('malformed-record', { line }, null, prefix + '…',
      `line ${line} is longer than ${MAX_LINE_CHARS.toLocaleString('en-US')} characters, more than any record holds`));
    ctx.skip();
    bad.take(lineStart, lineStart + held); // its bad bytes are part of what is dropped
    pieces = [];
    dropping = true;
  };

  let offset = 0; // of the chunk in the whole text
  const lines = function* (text: string): Generator<SourceRecord> {
    let from = 0;
    if (cr && text.charCodeAt(0) === 0x0a) {
      from = 1;
      lineStart++;
    }
    cr = false;
    // The next LF and CR, each searched for once per occurrence: a file without CR would
    // otherwise be searched to the chunk's end for every line.
    let lf = -1;
    let crAt = -1;
    for (;;) {
      if (lf < from) lf = text.indexOf('\n', from) >>> 0; // none: 2^32 - 1, past any chunk
      if (crAt < from) crAt = text.indexOf('\r', from) >>> 0;
      const e = lf < crAt ? lf : crAt;
      if (e >= text.length) break;
      if (!dropping) {
        let rec: SourceRecord | null;
        if (pieces.length === 0) rec = take(text.slice(from, e), lineStart);
        else {
          pieces.push(text.slice(from, e));
          rec = take(pieces.join(''), lineStart);
        }
        if (rec) yield rec;
      } else bad.take(lineStart, offset + e);
      dropping = false;
      pieces = [];
      held = 0;
      line++;
      let next = e + 1;
      if (text.charCodeAt(e) === 0x0d) {
        if (next >= text.length) cr = true;
        else if (text.charCodeAt(next) === 0x0a) next++;
      }
      lineStart = offset + next;
      from = next;
    }
    if (from < text.length && !dropping) {
      pieces.push(text.slice(from));
      held += text.length - from;
      if (held > MAX_LINE_CHARS) tooLong();
    }
    if (dropping) bad.dropBefore(offset + text.length); // nothing of the line is kept, nor its bad bytes
  };

  for await (const chunk of ctx.text) {
    bad.add(chunk.bad);
    if (!chunk.text.length) continue;
    const batch: SourceRecord[] = [];
    for (const rec of lines(chunk.text)) batch.push(rec);
    offset += chunk.text.length;
    if (batch.length) yield batch;
  }
  if (pieces.length && !dropping) {
    const rec = take(pieces.join(''), lineStart);
    if (rec) yield [rec];
  }
}
