import crypto from 'node:crypto';

// RFC 6962 §2.1 hashing: a leaf is SHA-256(0x00 ‖ data), an interior node
// SHA-256(0x01 ‖ left ‖ right). The prefixes keep a leaf from passing for a node
// (second-preimage resistance); the tree of no leaves has the root SHA-256("").

export const HASH_SIZE = 32;
const LEAF = Buffer.from([0x00]);
const NODE = Buffer.from([0x01]);

export const EMPTY_ROOT: Buffer = crypto.createHash('sha256').digest();

export function leafHash(data: Uint8Array): Buffer {
  return crypto.createHash('sha256').update(LEAF).update(data).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return crypto.createHash('sha256').update(NODE).update(left).update(right).digest();
}

/** The largest power of two smaller than n (n ≥ 2): RFC 6962's split point k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
