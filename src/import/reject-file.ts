import { once } from 'node:events';
import type { Issue } from '../records/issues.js';
import { outputError, startAtomicFile, type AtomicFile } from '../io/atomic-file.js';

// The --reject-file: NDJSON, one line per skipped record, in the order found:
//   {"line": 17, "record": null, "raw": "<the record's original text>", "errors": [{"code", "field", "value", "message"}]}
// `raw` is null when the reader could not cut the record out (a malformed record it
// skipped). Written atomically (io/atomic-file.ts), renamed into place when the import ends, whatever its
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
  private readonly f: AtomicFile;
  count = 0;

  constructor(readonly file: string) {
    // (a constructor cannot wait for the file to open: an error in opening it is said by
    // the first write, or by close())
    this.f = startAtomicFile(file, { mkdir: 0o777, mode: 0o600, devices: false });
  }

  private check(): void {
    const failed = this.f.failure();
    if (failed) throw outputError(this.file, failed);
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
    const out = this.f.stream;
    // (once() rejects on 'error': the error is kept by the writer and said by check())
    if (!out.write(`${line}\n`)) await Promise.race([once(out, 'drain'), once(out, 'close')]).catch(() => {});
    this.check();
  }

  /** Renames the file into place (the atomic writer maps its errors to the user's terms). */
  async close(): Promise<void> {
    await this.f.commit();
  }

  discard(): void {
    void this.f.abort();
  }
}
