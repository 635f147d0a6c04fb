
// RFC 8785 (JCS): the one serialisation of items, entries and audit rows, so that anyone
// can recompute a hash from the values alone. For the values JSON can hold, JCS is
// ECMAScript's own serialisation (RFC 8785 §3.2.2: JSON.stringify's string escaping and
// Number::toString) with object members sorted by their UTF-16 code units (§3.2.3, which is
// what Array.prototype.sort does with strings) and no white space. Written here rather than
// taken from the `canonicalize` package (the RFC author's implementation, kept as a dev
// dependency that the tests compare this against): its per-character surrogate scan in
// JavaScript made it 3× slower than this, and the log canonicalises two objects per entry.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json | undefined };

// JSON.stringify writes a lone surrogate as the escape \udxxx (and every other \u escape
// it writes is a control character, below \u0020): one search of the finished text, after
// an even number of backslashes, finds any — cheaper than testing each string.
const LONE_SURROGATE_ESCAPE = /(?<!\\)(?:\\\\)*\\ud[89a-f][0-9a-f]{2}/;

function str(s: string): string {
  return JSON.stringify(s);
}

function checked(text: string): string {
  if (text.includes('\\ud') && LONE_SURROGATE_ESCAPE.test(text)) throw new TypeError('canonical JSON: a string with a lone surrogate has no UTF-8 form');
  return text;
}

function write(v: Json | undefined): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return str(v);
    case 'number':
      if (!Number.isFinite(v)) throw new TypeError(`canonical JSON: ${v} is not a JSON number`);
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(v)) {
        let out = '[';
        for (let i = 0; i < v.length; i++) out += (i ? ',' : '') + write(v[i]);
        return `${out}]`;
      }
      const keys = Object.keys(v).sort();
      let out = '{';
      let first = true;
      for (const k of keys) {
        const x = v[k];
        if (x === undefined) continue;
        out += `${first ? '' : ','}${str(k)}:${write(x)}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`canonical JSON: a ${typeof v} is not a JSON value`);
  }
}

/** The canonical text of a JSON value. Throws on NaN, Infinity, lone surrogates, non-JSON values. */
export function canonicalJson(value: Json): string {
  return checked(write(value));
}

/** The canonical UTF-8 bytes of a JSON value. */
export function canonicalBytes(value: Json): Buffer {
  return Buffer.from(checked(write(value)), 'utf8');
}
