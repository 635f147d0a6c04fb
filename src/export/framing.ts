import { Transform, type TransformCallback } from 'node:stream';

// Sources give one record per line. These frame them: a CSV header first; for a JSON
// array, `[`, the records separated by `,` and `]`, one record per line:
//   [\n{…},\n{…}\n]\n        (no records: []\n)
// JSON lines never hold a raw line feed (JSON escapes it), so every \n ends a record.

const NL = 0x0a;

export class PrefixStream extends Transform {
  private sent = false;
  constructor(private readonly prefix: Buffer) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    if (!this.sent) {
      this.sent = true;
      this.push(this.prefix);
    }
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    if (!this.sent) this.push(this.prefix);
    cb();
  }
}

export class JsonArrayStream extends Transform {
  private started = false;
  /** a record's closing \n held back until we know whether another record follows */
  private held = false;

  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    if (!chunk.length) return cb();
    const parts: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      parts.push(Buffer.from('[\n'));
    }
    if (this.held) parts.push(Buffer.from(',\n'));
    this.held = chunk[chunk.length - 1] === NL;
    const body = this.held ? chunk.subarray(0, chunk.length - 1) : chunk;
    let from = 0;
    for (let i = body.indexOf(NL); i >= 0; i = body.indexOf(NL, i + 1)) {
      parts.push(body.subarray(from, i), Buffer.from(',\n'));
      from = i + 1;
    }
    parts.push(body.subarray(from));
    cb(null, Buffer.concat(parts));
  }

  override _flush(cb: TransformCallback): void {
    cb(null, Buffer.from(this.started ? '\n]\n' : '[]\n'));
  }
}

/** Counts line feeds as they pass: records for JSON lines, an estimate for CSV (progress). */
export class LineCounter extends Transform {
  lines = 0;
  constructor(private readonly onLines: (n: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    for (let i = chunk.indexOf(NL); i >= 0; i = chunk.indexOf(NL, i + 1)) this.lines++;
    this.onLines(this.lines);
    cb(null, chunk);
  }
}
