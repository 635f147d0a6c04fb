// The log's snapshot while a file is read: for each key, the hash of its latest item and
// the line it is on — kept as 32 bytes and a number per key in flat arrays, not as objects,
// so a 1,000,000-entry log stays within a flat, modest memory.

const CHUNK = 1 << 16;

export class KeyHashes {
  private readonly slots = new Map<string, number>();
  private readonly hashes: Buffer[] = [];
  private readonly lines: Float64Array[] = [];
  /** per slot: 1 once the record was found in the export (marks, not a second set of keys) */
  private readonly marks: Uint8Array[] = [];
  private used = 0;

  get size(): number {
    return this.slots.size;
  }

  set(key: string, hash: Buffer, line: number): void {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.used++;
      if (slot % CHUNK === 0) {
        this.hashes.push(Buffer.alloc(CHUNK * 32));
        this.lines.push(new Float64Array(CHUNK));
        this.marks.push(new Uint8Array(CHUNK));
      }
      this.slots.set(key, slot);
    }
    hash.copy(this.hashes[Math.floor(slot / CHUNK)]!, (slot % CHUNK) * 32);
    this.lines[Math.floor(slot / CHUNK)]![slot % CHUNK] = line;
  }

  delete(key: string): void {
    // The slot is not reused: deletes are rare next to puts.
    this.slots.delete(key);
  }

  get(key: string): { hash: Buffer; line: number } | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    const c = Math.floor(slot / CHUNK);
    const at = slot % CHUNK;
    return { hash: this.hashes[c]!.subarray(at * 32, at * 32 + 32), line: this.lines[c]![at]! };
  }

  /** Marks the key found; false when it was marked already (the export holds it twice). */
  mark(key: string): boolean {
    const slot = this.slots.get(key)!;
    const m = this.marks[Math.floor(slot / CHUNK)]!;
    if (m[slot % CHUNK]) return false;
    m[slot % CHUNK] = 1;
    return true;
  }

  /** The keys never marked, with their lines. */
  *unmarked(): Generator<{ key: string; line: number }> {
    for (const [key, slot] of this.slots) {
      if (!this.marks[Math.floor(slot / CHUNK)]![slot % CHUNK]) yield { key, line: this.lines[Math.floor(slot / CHUNK)]![slot % CHUNK]! };
    }
  }
}
