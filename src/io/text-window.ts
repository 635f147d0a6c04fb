// The part of a push-based parser that keeps the text not yet parsed: decoded chunks come
// in, the parser consumes from `pos`, and what it has consumed is dropped on the next push
// (so a record may span chunks, and memory holds about one chunk). `base` turns offsets
// in `buf` into offsets in the whole stream, which is how issues are tied to records.

export abstract class TextWindow<T> {
  protected buf = '';
  protected pos = 0;
  /** offset of buf[0] in the whole stream */
  protected base = 0;

  /** Offset in the whole stream of the first text not yet consumed (all before it is done with). */
  consumed(): number {
    return this.base + this.pos;
  }

  /** Adds text; returns every item it completes. */
  push(text: string): T[] {
    if (this.pos > 0) {
      this.base += this.pos;
      this.buf = this.buf.slice(this.pos);
      this.pos = 0;
    }
    this.buf = this.buf.length ? this.buf + text : text;
    return this.drain(false);
  }

  /** Parses what `buf` holds from `pos`; `final`: no more text will come. */
  protected abstract drain(final: boolean): T[];
}
