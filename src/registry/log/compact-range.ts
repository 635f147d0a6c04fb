import { EMPTY_ROOT, HASH_SIZE, nodeHash } from './merkle-hash.js';

// The incremental tree head: the roots of the perfect subtrees that make up a tree of
// `size` leaves, one for each 1 bit of size, largest (leftmost) first — the "compact
// range" [0, size) of transparency-dev/merkle, the frontier of Certificate Transparency
// logs. Appending a leaf merges equal-sized subtrees as a binary counter carries, so a new
// head after k appends costs O(k + log n) hashes, never a pass over the log; the state is
// at most 64 hashes, small enough to store beside each tree head.

export interface CompactRangeState {
  size: number;
  /** base64 hashes of the perfect subtrees, leftmost (largest) first */
  hashes: string[];
}

function popcount(n: number): number {
  let c = 0;
  for (let x = n; x > 0; x = Math.floor(x / 2)) c += x % 2;
  return c;
}

export class CompactRange {
  private constructor(private n: number, private readonly stack: Buffer[]) {}

  static empty(): CompactRange {
    return new CompactRange(0, []);
  }

  static fromState(s: CompactRangeState): CompactRange {
    if (!Number.isSafeInteger(s.size) || s.size < 0) throw new Error(`compact range: bad size ${s.size}`);
    if (s.hashes.length !== popcount(s.size)) throw new Error(`compact range: ${s.hashes.length} hashes for size ${s.size}, want ${popcount(s.size)}`);
    const stack = s.hashes.map((h) => {
      const b = Buffer.from(h, 'base64');
      if (b.length !== HASH_SIZE) throw new Error('compact range: a hash is not 32 bytes');
      return b;
    });
    return new CompactRange(s.size, stack);
  }

  get size(): number {
    return this.n;
  }

  state(): CompactRangeState {
    return { size: this.n, hashes: this.stack.map((h) => h.toString('base64')) };
  }

  clone(): CompactRange {
    return new CompactRange(this.n, [...this.stack]);
  }

  /** Appends one leaf hash (already 0x00-prefixed and hashed). */
  append(leaf: Buffer): void {
    let h = leaf;
    // Each trailing 1 bit of the old size is a subtree of the new leaf's height: merge it.
    for (let s = this.n; s % 2 === 1; s = (s - 1) / 2) h = nodeHash(this.stack.pop()!, h);
    this.stack.push(h);
    this.n++;
  }

  /** The root of the tree so far: the subtrees folded right to left. */
  root(): Buffer {
    if (this.stack.length === 0) return EMPTY_ROOT;
    let h = this.stack[this.stack.length - 1]!;
    for (let i = this.stack.length - 2; i >= 0; i--) h = nodeHash(this.stack[i]!, h);
    return h;
  }
}
