import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import type { Issue } from '../records/issues.js';

// The --reject-file: NDJSON, one line per skipped record, in the order found:
//   {"line": 17, "record": null, "raw": "<the record's original text>", "errors": [{"code", "field", "value", "message"}]}
// `raw` is null when the reader could not cut the record out (a malformed record it
// skipped). Written to a temporary name and renamed when the import ends, whatever its
// outcome, so that the file is whole and lists every bad record even when there were too
// many of them to skip.

export interface RejectEntry {
  line: number | null;
  record?: number;
  raw: string | null;
  errors: Issue[];
}

export class RejectFile {
  private readonly tmp: string;
  private readonly out: fs.WriteStream;
  count = 0;

  constructor(readonly file: string) {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.tmp = `${file}.${process.pid}.tmp`;
    this.out = fs.createWriteStream(this.tmp);
  }

  async write(e: RejectEntry): Promise<void> {
    this.count++;
    const line = JSON.stringify({
      line: e.line,
      record: e.record ?? null,
      raw: e.raw,
      errors: e.errors.map((i) => ({ code: i.code, field: i.field, value: i.value, message: i.message })),
    });
    if (!this.out.write(`${line}\n`)) await once(this.out, 'drain');
  }

  async close(): Promise<void> {
    this.out.end();
    await once(this.out, 'close');
    fs.renameSync(this.tmp, this.file);
  }

  discard(): void {
    this.out.destroy();
    fs.rmSync(this.tmp, { force: true });
  }
}
