import canonicalize from 'canonicalize';

// RFC 8785 (JCS): the one serialisation of items, entries and audit rows, so that anyone
// can recompute a hash from the values alone. The `canonicalize` package (pinned 4.x: 5.x
// needs Node 22) is the RFC author's own JavaScript implementation; it relies on
// ECMAScript's Number serialisation, which RFC 8785 §3.2.2.3 adopts, and on JSON.stringify's
// string escaping, which is what §3.2.2.2 asks for. Our values never need its number path
// beyond integers: decimals travel as strings (a fee is exact text, not a double).

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The canonical text of a JSON value. Throws on NaN, Infinity, lone surrogates, undefined. */
export function canonicalJson(value: Json): string {
  const text = canonicalize(value);
  if (text === undefined) throw new Error('not a JSON value');
  return text;
}

/** The canonical UTF-8 bytes of a JSON value. */
export function canonicalBytes(value: Json): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}
