// The codes of a million records, as compactly as the cross-checks can afford: all in one
// byte buffer with offsets, plus an open-addressing hash of first occurrences. A Map of
// strings costs ~75 bytes a code in V8; this costs ~25 (measured: 1M services went from
// 282 MB to well under 200 MB peak RSS).

function hashOf(s: string): number {
  // FNV-1a over UTF-16 units: codes are short, and this runs once per record.
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

function grow<T extends Int32Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  let n = a.length * 2;
  while (n < need) n *= 2;
  const b = new Int32Array(n) as T;
  b.set(a);
  return b;
}

export class KeyTable {
  private bytes = Buffer.allocUnsafe(1 << 16);
  private used = 0;
  /** byte range of each entry; start -1 for an entry without a key */
  private starts = new Int32Array(1024);
  private ends = new Int32Array(1024);
  private hashes = new Int32Array(1024);
  private count = 0;
  /** entry index + 1 of the first occurrence of each distinct key; 0 = empty */
  private slots = new Int32Array(1 << 12);
  private distinct = 0;
  private readonly scratch = Buffer.allocUnsafe(256);

  get size(): number {
    return this.count;
  }

  /**
   * Appends an entry (null for a record without a key) and returns the index of the
   * first earlier entry with the same key, or -1 when it is the first.
   */
  push(key: string | null): number {
    const index = this.count++;
    this.starts = grow(this.starts, this.count);
    this.ends = grow(this.ends, this.count);
    this.hashes = grow(this.hashes, this.count);
    if (key === null) {
      this.starts[index] = -1;
      this.ends[index] = -1;
      return -1;
    }
    const max = Buffer.byteLength(key, 'utf8');
    if (this.used + max > this.bytes.length) {
      let n = this.bytes.length * 2;
      while (n < this.used + max) n *= 2;
      const b = Buffer.allocUnsafe(n);
      this.bytes.copy(b, 0, 0, this.used);
      this.bytes = b;
    }
    const start = this.used;
    this.used += this.bytes.write(key, start, 'utf8');
    this.starts[index] = start;
    this.ends[index] = this.used;
    const h = hashOf(key);
    this.hashes[index] = h;
    const first = this.lookup(key, h, index);
    if (first === -1) this.insert(index, h);
    return first;
  }

  /** The first entry holding this key, or -1. */
  find(key: string): number {
    return this.lookup(key, hashOf(key), -1);
  }

  get(index: number): string | null {
    const start = this.starts[index]!;
    return start < 0 ? null : this.bytes.toString('utf8', start, this.ends[index]!);
  }

  /** Distinct keys, each once, in the order first seen. */
  *distinctKeys(): IterableIterator<string> {
    for (let i = 0; i < this.count; i++) {
      const k = this.get(i);
      if (k !== null && this.lookup(k, this.hashes[i]!, -1) === i) yield k;
    }
  }

  /** `self` is the entry just written for `key`, to compare bytes against. */
  private lookup(key: string, h: number, self: number): number {
    const mask = this.slots.length - 1;
    let bytes: Buffer | null = null;
    let len = 0;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const slot = this.slots[s]!;
      if (slot === 0) return -1;
      const other = slot - 1;
      if (this.hashes[other] !== h) continue;
      const os = this.starts[other]!;
      const oe = this.ends[other]!;
      if (bytes === null) {
        if (self >= 0) {
          bytes = this.bytes;
        } else {
          len = Buffer.byteLength(key, 'utf8');
          bytes = len <= this.scratch.length ? this.scratch : Buffer.allocUnsafe(len);
          bytes.write(key, 0, 'utf8');
        }
      }
      const equal = self >= 0
        ? this.bytes.compare(this.bytes, os, oe, this.starts[self]!, this.ends[self]!) === 0
        : oe - os === len && this.bytes.compare(bytes, 0, len, os, oe) === 0;
      if (equal) return other;
    }
  }

  private insert(index: number, h: number): void {
    if (++this.distinct * 2 > this.slots.length) this.rehash();
    const mask = this.slots.length - 1;
    let s = h & mask;
    while (this.slots[s] !== 0) s = (s + 1) & mask;
    this.slots[s] = index + 1;
  }

  private rehash(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    const mask = this.slots.length - 1;
    for (const slot of old) {
      if (slot === 0) continue;
      let s = this.hashes[slot - 1]! & mask;
      while (this.slots[s] !== 0) s = (s + 1) & mask;
      this.slots[s] = slot;
    }
  }
}
