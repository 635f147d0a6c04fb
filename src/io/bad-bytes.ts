// Ties invalid bytes found by the decoder to the record that holds them.
import type { BadByte, Encoding } from '../text/decode.js';
import { issue, type Issue } from '../records/issues.js';

const BYTES_SHOWN = 8;

const NAMES: Record<Encoding, string> = { utf8: 'UTF-8', utf16le: 'UTF-16LE', utf16be: 'UTF-16BE', cp1251: 'Windows-1251 (cp1251)' };

export class BadBytes {
  private queue: BadByte[] = [];
  private head = 0;

  add(bad: readonly BadByte[]): void {
    if (bad.length === 0) return;
    if (this.head > 1024) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    for (const b of bad) this.queue.push(b);
  }

  /**
   * Forgets the invalid bytes before `offset` (text a reader has dropped without a record:
   * the rest of a record too long to keep). Without it, a long run of invalid bytes that no
   * record takes would pile up here, one object a byte.
   */
  dropBefore(offset: number): void {
    while (this.head < this.queue.length && this.queue[this.head]!.offset < offset) this.head++;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
  }

  /** The invalid bytes inside [start, end) of the decoded text; earlier ones are dropped. */
  take(start: number, end: number): BadByte[] | null {
    let found: BadByte[] | null = null;
    while (this.head < this.queue.length) {
      const b = this.queue[this.head]!;
      if (b.offset >= end) break;
      this.head++;
      if (b.offset >= start) (found ??= []).push(b);
    }
    return found;
  }
}

/**
 * One encoding-error for a record. The line is where the record starts (SPEC §2); the
 * message names the physical line of the first bad byte when the record spans lines.
 */
export function encodingIssue(
  encoding: Encoding, at: { line: number; record?: number; key?: string | null },
  bad: BadByte[], start: number, raw: string,
): Issue {
  const first = bad[0]!;
  let line = at.line;
  const upto = Math.min(first.offset - start, raw.length);
  for (let n = raw.indexOf('\n'); n !== -1 && n < upto; n = raw.indexOf('\n', n + 1)) line++;
  // A Cyrillic line read in the wrong encoding has hundreds: the first few say enough.
  const bytes = bad.slice(0, BYTES_SHOWN).map((b) => b.bytes).join(' ') + (bad.length > BYTES_SHOWN ? ' …' : '');
  // The two usual causes, named: "Unicode text" from office programs is UTF-16LE with the
  // mark FF FE, and older ones save Windows Cyrillic.
  const hint = encoding !== 'utf8' ? ''
    : first.offset === 0 && first.bytes === '0xFF' ? '; the file looks like UTF-16: use --encoding utf16le'
      : first.offset === 0 && first.bytes === '0xFE' ? '; the file looks like UTF-16 (big-endian): use --encoding utf16be'
      : '; if the file was saved as Windows Cyrillic, use --encoding cp1251';
  return issue('encoding-error', at, null, bytes,
    `line ${line} has ${bad.length === 1 ? 'a byte' : 'bytes'} (${bytes}) not valid in ${NAMES[encoding]}${hint}`);
}
