// Bytes → text, for UTF-8, UTF-16LE and Windows-1251, without ever silently replacing a
// byte that is not valid in the encoding: each one is reported with its position in the
// decoded text (as U+FFFD there), so that the parser can tie it to the record and line
// it belongs to and reject that record instead of importing garbled text.
import { isUtf8 } from 'node:buffer';
import { createRequire } from 'node:module';

// iconv-lite (CommonJS) is required when a Windows-1251 file is read, not by every import
// of a UTF-8 file (3 ms of start-up: issue 18)
const require = createRequire(import.meta.url);

export type Encoding = 'utf8' | 'utf16le' | 'utf16be' | 'cp1251';
export const ENCODINGS: readonly Encoding[] = ['utf8', 'utf16le', 'utf16be', 'cp1251'];

/**
 * The encoding a byte-order mark announces (UTF-8 EF BB BF, UTF-16LE FF FE, UTF-16BE
 * FE FF), else UTF-8: how a file read with no --encoding of its own (an --agencies file)
 * is read. `head` is the file's first bytes, at least 3 unless the file is shorter.
 */
export function encodingFromMark(head: Buffer): Encoding {
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf16be';
  return 'utf8';
}

export interface BadByte {
  /** offset in the whole decoded text (of all chunks) where U+FFFD stands for it */
  offset: number;
  /** the offending bytes, as hex (`0x98`, `0xD0 0x41`) */
  bytes: string;
}

export interface DecodedChunk {
  text: string;
  /** offsets of invalid bytes, ascending, in whole-text coordinates */
  bad: BadByte[];
}

/** `0x00`…`0xFF`, made once: a file of garbage has an invalid byte at every position. */
const HEX: readonly string[] = Array.from({ length: 256 }, (_, v) => '0x' + v.toString(16).toUpperCase().padStart(2, '0'));

function hex(b: Buffer, from: number, to: number): string {
  if (to === from + 1) return HEX[b[from]!]!;
  const parts: string[] = [];
  for (let i = from; i < to; i++) parts.push('0x' + b[i]!.toString(16).toUpperCase().padStart(2, '0'));
  return parts.join(' ');
}

/** Length of the UTF-8 sequence a lead byte announces; 0 for a byte that cannot lead. */
function utf8Length(b: number): number {
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) return 2;
  if (b >= 0xe0 && b <= 0xef) return 3;
  if (b >= 0xf0 && b <= 0xf4) return 4;
  return 0;
}

/** How many bytes at the end of `b` begin a sequence the next chunk completes. */
function incompleteUtf8Tail(b: Buffer): number {
  for (let k = 1; k <= Math.min(3, b.length); k++) {
    const c = b[b.length - k]!;
    if ((c & 0xc0) === 0x80) continue; // continuation byte: look further back
    const need = utf8Length(c);
    return need > k ? k : 0;
  }
  return 0;
}

/** Is b[i..i+n) a well-formed sequence (no overlong forms, no surrogates, ≤ U+10FFFF)? */
function validSequence(b: Buffer, i: number, n: number): boolean {
  if (i + n > b.length) return false;
  const c0 = b[i]!;
  for (let k = 1; k < n; k++) if ((b[i + k]! & 0xc0) !== 0x80) return false;
  if (n === 3) {
    const c1 = b[i + 1]!;
    if (c0 === 0xe0 && c1 < 0xa0) return false;
    if (c0 === 0xed && c1 >= 0xa0) return false;
  } else if (n === 4) {
    const c1 = b[i + 1]!;
    if (c0 === 0xf0 && c1 < 0x90) return false;
    if (c0 === 0xf4 && c1 >= 0x90) return false;
  }
  return true;
}

/** Where the bytes are that begin no well-formed sequence (each one an error of its own). */
function invalidBytes(b: Buffer): number[] {
  const at: number[] = [];
  for (let i = 0; i < b.length; ) {
    const n = utf8Length(b[i]!);
    if (n > 0 && validSequence(b, i, n)) i += n;
    else at.push(i++);
  }
  return at;
}

/** The slow path, only for a chunk that holds invalid bytes: each one U+FFFD. */
function decodeUtf8WithErrors(b: Buffer, base: number): DecodedChunk {
  let text = '';
  const bad: BadByte[] = [];
  let run = 0;
  for (const i of invalidBytes(b)) {
    text += b.toString('utf8', run, i);
    bad.push({ offset: base + text.length, bytes: hex(b, i, i + 1) });
    text += '\uFFFD';
    run = i + 1;
  }
  text += b.toString('utf8', run, b.length);
  return { text, bad };
}

/**
 * Whole UTF-8 bytes as text, each invalid byte one U+FFFD as the streaming decoder has it
 * (Buffer's toString replaces a cut sequence as one).
 */
export function decodeUtf8(b: Buffer): string {
  return isUtf8(b) ? b.toString('utf8') : decodeUtf8WithErrors(b, 0).text;
}

/** A stateful decoder: feed it chunks, then call end(). */
export interface Decoder {
  write(chunk: Buffer): DecodedChunk;
  end(): DecodedChunk;
}

const STREAM = { stream: true } as const;

/**
 * A decoder of UTF-8 into byte strings (utf8-bytes.ts): each byte one latin1 character,
 * the byte order mark dropped, offsets (of bad bytes too) counted in bytes. Invalid bytes
 * stay in the text as they were, and are reported just as createDecoder('utf8') does.
 */
export function createByteDecoder(): Decoder {
  let carry: Buffer = Buffer.alloc(0);
  let produced = 0;
  let first = true;
  const BOM = [0xef, 0xbb, 0xbf];
  return {
    write(chunk) {
      let b = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      if (first) {
        // The mark may come split over the first chunks.
        if (b.length < 3 && b.every((x, i) => x === BOM[i])) {
          carry = Buffer.from(b);
          return { text: '', bad: [] };
        }
        first = false;
        if (b[0] === BOM[0] && b[1] === BOM[1] && b[2] === BOM[2]) b = b.subarray(3);
      }
      const tail = incompleteUtf8Tail(b);
      carry = tail ? Buffer.from(b.subarray(b.length - tail)) : Buffer.alloc(0);
      if (tail) b = b.subarray(0, b.length - tail);
      const bad: BadByte[] = isUtf8(b) ? [] : invalidBytes(b).map((i) => ({ offset: produced + i, bytes: hex(b, i, i + 1) }));
      const text = b.toString('latin1');
      produced += text.length;
      return { text, bad };
    },
    end() {
      if (!carry.length) return { text: '', bad: [] };
      // A sequence the file cut short (or the start of a mark and nothing after it).
      const bad = [{ offset: produced, bytes: hex(carry, 0, carry.length) }];
      const text = carry.toString('latin1');
      produced += text.length;
      carry = Buffer.alloc(0);
      return { text, bad };
    },
  };
}

export function createDecoder(encoding: Encoding): Decoder {
  let carry: Buffer = Buffer.alloc(0);
  let produced = 0; // characters of text handed out so far
  let first = true;

  const stripBom = (text: string): string => {
    if (!first) return text;
    if (text.length === 0) return text; // the mark may still come with the next chunk
    first = false;
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  };
  const out = (text: string, bad: BadByte[]): DecodedChunk => {
    produced += text.length;
    return { text, bad };
  };

  if (encoding === 'utf8') {
    const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
    return {
      write(chunk) {
        let b = carry.length ? Buffer.concat([carry, chunk]) : chunk;
        const tail = incompleteUtf8Tail(b);
        carry = tail ? Buffer.from(b.subarray(b.length - tail)) : Buffer.alloc(0);
        if (tail) b = b.subarray(0, b.length - tail);
        // Fast path: isUtf8 (simdutf) proves the chunk valid, then the replacing decoder,
        // which then replaces nothing, decodes it: measured 2× faster than toString('utf8').
        // In streaming mode: Node 20's one-shot decode() takes another, slower path (724 MB
        // of registry: 1.5 s against 0.6 s). The chunk is whole and valid (its incomplete
        // tail is carried above), so the decoder keeps no state between chunks.
        if (isUtf8(b)) return out(stripBom(utf8.decode(b, STREAM)), []);
        const bomless = first && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? b.subarray(3) : b;
        if (bomless !== b || b.length > 0) first = false;
        const d = decodeUtf8WithErrors(bomless, produced);
        return out(d.text, d.bad);
      },
      end() {
        // Bytes left over are a sequence the file cut short.
        if (!carry.length) return out('', []);
        const bad = [{ offset: produced, bytes: hex(carry, 0, carry.length) }];
        carry = Buffer.alloc(0);
        return out('\uFFFD', bad);
      },
    };
  }

  if (encoding === 'utf16le' || encoding === 'utf16be') {
    const be = encoding === 'utf16be';
    return {
      write(chunk) {
        let b = carry.length ? Buffer.concat([carry, chunk]) : chunk;
        let keep = b.length % 2;
        // A high surrogate at the very end pairs with the first unit of the next chunk.
        if (b.length - keep >= 2) {
          const last = be ? b.readUInt16BE(b.length - keep - 2) : b.readUInt16LE(b.length - keep - 2);
          if (last >= 0xd800 && last <= 0xdbff) keep += 2;
        }
        carry = keep ? Buffer.from(b.subarray(b.length - keep)) : Buffer.alloc(0);
        if (keep) b = b.subarray(0, b.length - keep);
        if (be) b = Buffer.from(b).swap16(); // a copy: the chunk may be the caller's
        const text = stripBom(b.toString('utf16le'));
        return out(...loneSurrogates(text, produced));
      },
      end() {
        if (!carry.length) return out('', []);
        const bad = [{ offset: produced, bytes: hex(carry, 0, carry.length) }];
        carry = Buffer.alloc(0);
        return out('\uFFFD', bad);
      },
    };
  }

  // cp1251 is one byte a character and its only undefined byte (0x98) decodes to U+FFFD,
  // which no defined byte produces: every U+FFFD in the output is an error.
  const iconv = require('iconv-lite') as typeof import('iconv-lite');
  return {
    write(chunk) {
      const text = iconv.decode(chunk, 'cp1251');
      const bad: BadByte[] = [];
      for (let k = text.indexOf('\uFFFD'); k !== -1; k = text.indexOf('\uFFFD', k + 1)) {
        bad.push({ offset: produced + k, bytes: hex(chunk, k, k + 1) });
      }
      return out(text, bad);
    },
    end() {
      return out('', []);
    },
  };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Does the text hold a surrogate without its other half (which no encoding can write)? */
export function hasLoneSurrogate(text: string): boolean {
  LONE_SURROGATE.lastIndex = 0;
  return LONE_SURROGATE.test(text);
}

/** UTF-16 with an unpaired surrogate is not valid text: replace and report each. */
function loneSurrogates(text: string, base: number): [string, BadByte[]] {
  LONE_SURROGATE.lastIndex = 0;
  if (!LONE_SURROGATE.test(text)) return [text, []];
  const bad: BadByte[] = [];
  LONE_SURROGATE.lastIndex = 0;
  const fixed = text.replace(LONE_SURROGATE, (m, offset: number) => {
    const u = m.charCodeAt(0);
    bad.push({ offset: base + offset, bytes: hex(Buffer.from([u & 0xff, u >> 8]), 0, 2) });
    return '\uFFFD';
  });
  return [fixed, bad];
}
