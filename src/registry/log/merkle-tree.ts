import { EMPTY_ROOT, leafHash, nodeHash, splitPoint } from './merkle-hash.js';

// The Merkle Tree Hash of RFC 6962 §2.1, written as the definition reads. It is the
// reference the incremental head is checked against, and what proofs are made from
// when the leaf hashes are at hand.

/** Hashes of a contiguous run of leaves [start, end) of a tree, however they are stored. */
export interface NodeSource {
  /** MTH(D[start:end]) for 0 ≤ start < end ≤ size */
  subtree(start: number, end: number): Buffer;
}

/** MTH of leaf hashes [start, end), by the recursive definition. */
export function subtreeRoot(leaves: readonly Buffer[], start: number, end: number): Buffer {
  const n = end - start;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leaves[start]!;
  const k = splitPoint(n);
  return nodeHash(subtreeRoot(leaves, start, start + k), subtreeRoot(leaves, start + k, end));
}

/** The root of a tree over these leaf hashes. */
export function rootOfLeafHashes(leaves: readonly Buffer[]): Buffer {
  return subtreeRoot(leaves, 0, leaves.length);
}

/** The root of a tree over these leaf data. */
export function rootOfLeaves(data: readonly Uint8Array[]): Buffer {
  return rootOfLeafHashes(data.map((d) => leafHash(d)));
}

/** A NodeSource over leaf hashes in memory. */
export function memoryNodes(leaves: readonly Buffer[]): NodeSource {
  return { subtree: (start, end) => subtreeRoot(leaves, start, end) };
}
