// A line of the log file of SPEC §9: the entry's bytes, a TAB, the item's bytes (nothing
// for a delete), LF. Canonical JSON escapes every control character, so neither a TAB nor
// a LF can occur inside the JSON: the first TAB and the LF are the separators.

const TAB = 0x09;
const LF = 0x0a;

export function formatLine(entry: Uint8Array, item: Uint8Array | null): Buffer {
  const parts: Uint8Array[] = [entry, Buffer.of(TAB)];
  if (item) parts.push(item);
  parts.push(Buffer.of(LF));
  return Buffer.concat(parts);
}

/** Many lines at once, into one buffer (formatLine's bytes, concatenated). */
export function formatLines(lines: ReadonlyArray<{ entry: Uint8Array; item: Uint8Array | null }>): Buffer {
  let size = 0;
  for (const l of lines) size += l.entry.length + (l.item ? l.item.length : 0) + 2;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const l of lines) {
    out.set(l.entry, at);
    at += l.entry.length;
    out[at++] = TAB;
    if (l.item) {
      out.set(l.item, at);
      at += l.item.length;
    }
    out[at++] = LF;
  }
  return out;
}

/** Splits a line (without its LF) into entry and item bytes; null item when nothing follows the TAB. */
export function splitLine(line: Buffer): { entry: Buffer; item: Buffer | null } | null {
  const tab = line.indexOf(TAB);
  if (tab < 0) return null;
  const item = line.subarray(tab + 1);
  return { entry: line.subarray(0, tab), item: item.length ? item : null };
}

export interface Line {
  line: Buffer;
  /** 1-based */
  number: number;
  /** false for a final piece that has no LF (a file cut short, or written by something else) */
  complete: boolean;
}

/**
 * The lines of a byte stream, with their numbers, a chunk's lines at a time (one await per
 * chunk, not per line). Each line is a view into the chunk (or into the piece carried over).
 */
export async function* readLineBatches(chunks: AsyncIterable<Buffer>): AsyncGenerator<Line[]> {
  let rest: Buffer | null = null;
  let n = 0;
  for await (const chunk of chunks) {
    const buf: Buffer = rest ? Buffer.concat([rest, chunk]) : chunk;
    const lines: Line[] = [];
    let from = 0;
    for (let i = buf.indexOf(LF, from); i >= 0; i = buf.indexOf(LF, from)) {
      lines.push({ line: buf.subarray(from, i), number: ++n, complete: true });
      from = i + 1;
    }
    // copy the tail so that the chunk it came from can be freed
    rest = from < buf.length ? Buffer.from(buf.subarray(from)) : null;
    if (lines.length) yield lines;
  }
  if (rest && rest.length) yield [{ line: rest, number: ++n, complete: false }];
}

/**
 * The lines of a byte stream, each with its 1-based number; `complete` is false for a final
 * piece that has no LF (a file cut short, or written by something else).
 */
export async function* readLines(chunks: AsyncIterable<Buffer>): AsyncGenerator<Line> {
  for await (const batch of readLineBatches(chunks)) yield* batch;
}
