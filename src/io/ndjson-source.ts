// NDJSON records: one object a line; blank lines are skipped, a bad line is a
// malformed-record and reading goes on with the next.
import { issue } from '../records/issues.js';
import { BadBytes, encodingIssue } from './bad-bytes.js';
import { parseObject } from './json-object.js';
import type { FormatContext, SourceRecord } from './read-records.js';

export async function* ndjsonRecords(ctx: FormatContext): AsyncGenerator<SourceRecord[]> {
  const bad = new BadBytes();
  let rest = '';
  let restStart = 0; // offset of rest[0] in the whole text
  let line = 1;

  const take = (text: string, start: number): SourceRecord | null => {
    const lineNo = line++;
    const raw = text.endsWith('\r') ? text.slice(0, -1) : text;
    const badBytes = bad.take(start, start + raw.length);
    if (raw.trim() === '') return null;
    if (badBytes) {
      ctx.issues.push(encodingIssue(ctx.encoding, { line: lineNo }, badBytes, start, raw));
      ctx.skip();
      return null;
    }
    const parsed = parseObject(raw);
    if (typeof parsed === 'string') {
      ctx.issues.push(issue('malformed-record', { line: lineNo }, null, raw.slice(0, 200), `line ${lineNo} ${parsed}`));
      ctx.skip();
      return null;
    }
    return { line: lineNo, raw, fields: parsed };
  };

  for await (const chunk of ctx.text) {
    bad.add(chunk.bad);
    if (!chunk.text.length) continue;
    const text = rest.length ? rest + chunk.text : chunk.text;
    const batch: SourceRecord[] = [];
    let from = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
      const rec = take(text.slice(from, nl), restStart + from);
      if (rec) batch.push(rec);
      from = nl + 1;
    }
    rest = text.slice(from);
    restStart += from;
    if (batch.length) yield batch;
  }
  if (rest.length) {
    const rec = take(rest, restStart);
    if (rec) yield [rec];
  }
}
