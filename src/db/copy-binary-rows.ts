// The rows of `COPY … TO STDOUT (FORMAT binary)`, read back from its bytes (PostgreSQL's
// documentation, "Binary Format"): a signature, flags and a header extension; then each row
// as a 16-bit field count and, per field, a 32-bit length (-1 for NULL) and that many bytes;
// then the count -1. A text column's bytes are its text in the client encoding (UTF-8), as
// the server holds them: no escaping to undo, unlike COPY's text and CSV forms, so a value
// with a TAB or a line feed in it comes out as it is stored.

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const HEADER = SIGNATURE.length + 8;

export type CopyRow = Array<Buffer | null>;

export class CopyBinaryRows {
  private rest: Buffer | null = null;
  private header = false;
  private ended = false;

  /**
   * The rows completed by `chunk` (with what was left of the one before), each field a view
   * into those bytes (not a copy), null for SQL null.
   */
  push(chunk: Buffer): CopyRow[] {
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = null;
    const rows: CopyRow[] = [];
    let pos = 0;
    if (!this.header) {
      if (buf.length < HEADER) {
        this.rest = Buffer.from(buf);
        return rows;
      }
      if (!buf.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new Error('COPY binary: the output does not start with the PGCOPY signature');
      const ext = buf.readUInt32BE(SIGNATURE.length + 4);
      if (buf.length < HEADER + ext) {
        this.rest = Buffer.from(buf);
        return rows;
      }
      pos = HEADER + ext;
      this.header = true;
    }
    while (pos < buf.length) {
      if (this.ended) throw new Error('COPY binary: bytes after the trailer');
      if (buf.length - pos < 2) break;
      const n = buf.readInt16BE(pos);
      if (n === -1) {
        this.ended = true;
        pos += 2;
        continue;
      }
      // the whole row must be here before any of it is taken
      let p = pos + 2;
      let complete = true;
      for (let i = 0; i < n; i++) {
        if (buf.length - p < 4) {
          complete = false;
          break;
        }
        const len = buf.readInt32BE(p);
        p += 4 + (len > 0 ? len : 0);
        if (p > buf.length) {
          complete = false;
          break;
        }
      }
      if (!complete) break;
      const row: CopyRow = new Array(n);
      p = pos + 2;
      for (let i = 0; i < n; i++) {
        const len = buf.readInt32BE(p);
        p += 4;
        if (len < 0) row[i] = null;
        else {
          row[i] = buf.subarray(p, p + len);
          p += len;
        }
      }
      rows.push(row);
      pos = p;
    }
    // copied, so that the chunk it came from can be freed
    if (pos < buf.length) this.rest = Buffer.from(buf.subarray(pos));
    return rows;
  }

  /** Throws unless the bytes ended with the trailer, after a whole row. */
  end(): void {
    if (!this.ended || this.rest) throw new Error('COPY binary: the output ended inside a row, before its trailer');
  }
}

/** Every row of a COPY binary stream, a chunk's rows at a time. */
export async function* copyBinaryRows(chunks: AsyncIterable<Buffer>): AsyncGenerator<CopyRow[]> {
  const reader = new CopyBinaryRows();
  for await (const chunk of chunks) {
    const rows = reader.push(chunk);
    if (rows.length) yield rows;
  }
  reader.end();
}
