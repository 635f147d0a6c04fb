// CSV records: header check, then one SourceRecord per row, with malformed rows and rows
// holding invalid bytes turned into issues (and skipped) so that reading goes on.
import { ENTITIES } from '../records/fields.js';
import { issue } from '../records/issues.js';
import { BadBytes, encodingIssue } from './bad-bytes.js';
import { CsvParser, PREFIX_CHARS, type CsvItem } from './csv-parser.js';
import { checkHeader } from './header.js';
import { fromBytes, trimAscii } from '../text/utf8-bytes.js';
import type { FormatContext, SourceRecord } from './record-source.js';

export async function* csvRecords(ctx: FormatContext): AsyncGenerator<SourceRecord[]> {
  const parser = new CsvParser(ctx.delimiter, ctx.bytes);
  // Byte strings (text/utf8-bytes.ts): what goes into an issue is decoded, and cells are trimmed
  // of ASCII white space only (checkRecord decides about the rest).
  const text = ctx.bytes ? fromBytes : (s: string) => s;
  const trim = ctx.bytes ? trimAscii : (s: string) => s.trim();
  const bad = new BadBytes();
  let columns: string[] | null = null;
  let codeIndex = -1;
  let makeFields: ((cells: Array<string | null>) => Record<string, unknown>) | null = null;
  let stop = false;

  // Returns the record to yield, or null; sets `stop` when the header is unusable.
  const take = (item: CsvItem): SourceRecord | null => {
    const badBytes = bad.take(item.start, item.end);
    if (columns === null) {
      if (badBytes) {
        ctx.issues.push(encodingIssue(ctx.encoding, { line: item.line }, badBytes, item.start, item.raw));
        stop = true;
        return null;
      }
      if (item.kind === 'problem') {
        ctx.issues.push(issue('malformed-record', { line: item.line }, null, shown(text(item.raw)), `the header line is not valid CSV: ${item.message}`));
        stop = true;
        return null;
      }
      const header = checkHeader(ctx.entity, item.cells.map(text));
      if (header.issues.length) {
        for (const i of header.issues) ctx.issues.push(i); // not push(...): 120,000 columns overflow the stack
        stop = true; // with a wrong header every value could land in the wrong field
        return null;
      }
      columns = header.columns;
      codeIndex = columns.indexOf(ENTITIES[ctx.entity].key);
      makeFields = recordMaker(columns);
      return null;
    }
    const cell = item.kind === 'row' && codeIndex >= 0 ? item.cells[codeIndex] : undefined;
    const key = cell === undefined ? null : text(cell).trim() || null;
    if (badBytes) {
      ctx.issues.push(encodingIssue(ctx.encoding, { line: item.line, key }, badBytes, item.start, item.raw));
      ctx.skip();
      return null;
    }
    if (item.kind === 'problem') {
      ctx.issues.push(issue('malformed-record', { line: item.line }, null, shown(text(item.raw)), item.message));
      ctx.skip();
      return null;
    }
    const cells = item.cells;
    if (cells.length !== columns.length) {
      ctx.issues.push(issue('malformed-record', { line: item.line, key }, null, shown(text(item.raw)),
        `the record has ${cells.length} ${cells.length === 1 ? 'value' : 'values'} but the header has ${columns.length} columns`));
      ctx.skip();
      return null;
    }
    for (let i = 0; i < cells.length; i++) {
      const v = trim(cells[i]!);
      cells[i] = v === '' ? (null as unknown as string) : v;
    }
    return { line: item.line, raw: item.raw, fields: makeFields!(cells) };
  };

  for await (const chunk of ctx.text) {
    bad.add(chunk.bad);
    const batch: SourceRecord[] = [];
    for (const item of chunk.text.length ? parser.push(chunk.text) : []) {
      const rec = take(item);
      if (stop) return;
      if (rec) batch.push(rec);
    }
    bad.dropBefore(parser.consumed());
    if (batch.length) yield batch;
  }
  const last: SourceRecord[] = [];
  for (const item of parser.end()) {
    const rec = take(item);
    if (stop) return;
    if (rec) last.push(rec);
  }
  if (last.length) yield last;
  if (columns === null) {
    ctx.issues.push(issue('header-missing-column', { line: 1 }, null, null,
      'the file is empty: its first line must be the header with the field names'));
  }
}

/** A record's text for an issue: whole unless it is far longer than a record should be. */
function shown(raw: string): string {
  return raw.length > SHOWN_WHOLE ? raw.slice(0, PREFIX_CHARS) + '…' : raw;
}

const SHOWN_WHOLE = 1 << 14;

/**
 * Builds the fields object of a row with one object literal, so that every record has
 * the same hidden class: assigning columns by name in a loop made V8 fall back to slow
 * keyed stores (~8% of validation time). The names are field names that passed the
 * header check, and are quoted with JSON.stringify besides.
 */
function recordMaker(columns: readonly string[]): (cells: Array<string | null>) => Record<string, unknown> {
  const body = `return {${columns.map((c, i) => `${JSON.stringify(c)}: c[${i}]`).join(', ')}};`;
  return new Function('c', body) as (cells: Array<string | null>) => Record<string, unknown>;
}
