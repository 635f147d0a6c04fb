import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import type { Issue } from '../records/issues.js';
import { outputError } from '../io/atomic-file.js';
import { removeStaleTemps, tempPathFor } from '../io/temp-name.js';

// The --reject-file: NDJSON, one line per skipped record, in the order found:
//   {"line": 17, "record": null, "raw": "<the record's original text>", "errors": [{"code", "field", "value", "message"}]}
// `raw` is null when the reader could not cut the record out (a malformed record it
// skipped). Written to a temporary name and renamed when the import ends, whatever its
// outcome, so that the file is whole and lists every bad record even when there were too
// many of them to skip. Private to the user (0600): it holds the records' original text.
// A write error (a full disk) is an error of the import (exit 2), never a crash.

export interface RejectEntry {
  line: number | null;
  record?: number;
  raw: string | null;
  errors: Issue[];
}

export class RejectFile {
  private readonly tmp: string;
  private readonly out: fs.WriteStream;
  private failed: unknown = null;
  count = 0;

  constructor(readonly file: string) {
    try {
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    } catch (err) {
      throw outputError(file, err);
    }
    removeStaleTemps(file);
    this.tmp = tempPathFor(file);
    this.out = fs.createWriteStream(this.tmp, { mode: 0o600 });
    this.out.on('error', (err) => (this.failed ??= err));
  }

  private check(): void {
    if (this.failed) throw outputError(this.file, this.failed);
  }

  async write(e: RejectEntry): Promise<void> {
    this.check();
    this.count++;
    const line = JSON.stringify({
      line: e.line,
      record: e.record ?? null,
      raw: e.raw,
      errors: e.errors.map((i) => ({ code: i.code, field: i.field, value: i.value, message: i.message })),
    });
    // (once() rejects on 'error': the error is kept by the listener and said by check())
    if (!this.out.write(`${line}\n`)) await Promise.race([once(this.out, 'drain'), once(this.out, 'close')]).catch(() => {});
    this.check();
  }

  async close(): Promise<void> {
    if (!this.out.closed) {
      const closed = once(this.out, 'close').catch(() => {});
      this.out.end();
      await closed;
    }
    try {
      this.check();
      const fd = fs.openSync(this.tmp, 'r');
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(this.tmp, this.file);
    } catch (err) {
      this.discard();
      throw outputError(this.file, err);
    }
  }

  discard(): void {
    this.out.destroy();
    fs.rmSync(this.tmp, { force: true });
  }
}
