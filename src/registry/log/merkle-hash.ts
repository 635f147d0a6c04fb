import crypto from 'node:crypto';

// RFC 6962 §2.1 hashing: a leaf is SHA-256(0x00 ‖ data), an interior node
// SHA-256(0x01 ‖ left ‖ right). The prefixes keep a leaf from passing for a node
// (second-preimage resistance); the tree of no leaves has the root SHA-256("").

export const HASH_SIZE = 32;
const LEAF = Buffer.from([0x00]);
const NODE = Buffer.from([0x01]);

export const EMPTY_ROOT: Buffer = crypto.createHash('sha256').digest();

// The prefix and the input copied into one buffer and hashed in one call (crypto.hash):
// a Hash object per leaf and per node was most of the cost of hashing a tree of small leaves.
const scratch = Buffer.allocUnsafe(4096);

function prefixed(prefix: number, a: Uint8Array, b?: Uint8Array): Buffer {
  const n = 1 + a.length + (b ? b.length : 0);
  scratch[0] = prefix;
  scratch.set(a, 1);
  if (b) scratch.set(b, 1 + a.length);
  return crypto.hash('sha256', scratch.subarray(0, n), 'buffer') as unknown as Buffer;
}

export function leafHash(data: Uint8Array): Buffer {
  if (data.length >= scratch.length) return crypto.createHash('sha256').update(LEAF).update(data).digest();
  return prefixed(0x00, data);
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length + right.length >= scratch.length) return crypto.createHash('sha256').update(NODE).update(left).update(right).digest();
  return prefixed(0x01, left, right);
}

/** The largest power of two smaller than n (n ≥ 2): RFC 6962's split point k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
