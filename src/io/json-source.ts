// JSON array records: each element parsed on its own; one that is not an object, or not
// valid JSON, is a malformed-record with its line and record number.
import { issue } from '../records/issues.js';
import { BadBytes, encodingIssue } from './bad-bytes.js';
import { JsonArrayParser, type JsonItem } from './json-array-parser.js';
import type { FormatContext, SourceRecord } from './record-source.js';
import { parseObject } from './json-object.js';
import { PREFIX_CHARS } from './csv-parser.js';

export async function* jsonArrayRecords(ctx: FormatContext): AsyncGenerator<SourceRecord[]> {
  const parser = new JsonArrayParser();
  const bad = new BadBytes();

  const take = (item: JsonItem): SourceRecord | null => {
    const at = item.record === undefined ? { line: item.line } : { line: item.line, record: item.record };
    const badBytes = bad.take(item.start, item.end);
    if (badBytes) {
      ctx.issues.push(encodingIssue(ctx.encoding, at, badBytes, item.start, item.raw));
      if (item.record !== undefined) ctx.skip();
      return null;
    }
    if (item.kind === 'problem') {
      ctx.issues.push(issue('malformed-record', at, null, item.raw.slice(0, PREFIX_CHARS), item.message));
      if (item.record !== undefined) ctx.skip();
      return null;
    }
    const parsed = parseObject(item.raw);
    if (!parsed.ok) {
      ctx.issues.push(issue(parsed.code, at, null, parsed.value ?? item.raw.slice(0, PREFIX_CHARS), `record ${item.record} ${parsed.message}`));
      ctx.skip();
      return null;
    }
    return { line: item.line, record: item.record, raw: item.raw, fields: parsed.value };
  };

  for await (const chunk of ctx.text) {
    bad.add(chunk.bad);
    if (!chunk.text.length) continue;
    const batch: SourceRecord[] = [];
    for (const item of parser.push(chunk.text)) {
      const rec = take(item);
      if (rec) batch.push(rec);
    }
    if (batch.length) yield batch;
    // Past a broken array nothing more is read: not into memory, and not from the file
    // (a 600 MB NDJSON file named .json was held whole, only to be ignored).
    if (parser.stopped) return;
  }
  const last: SourceRecord[] = [];
  for (const item of parser.end()) {
    const rec = take(item);
    if (rec) last.push(rec);
  }
  if (last.length) yield last;
}
