import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { EntityName, RecordValues } from '../../records/fields.js';
import { CompactRange } from './compact-range.js';
import { entryBytes, entryProblem, type Entry } from './entry.js';
import { itemBytes, itemHash, itemOf } from './item.js';
import { formatLine } from './log-line.js';
import { leafHash } from './merkle-hash.js';

// Writes the log file of SPEC §9 entry by entry, keeping the incremental head so that the
// root is known at the end without reading anything back. Back-pressure is respected.

export interface Stamp {
  /** user@host */
  actor: string;
  /** ISO 8601 UTC with milliseconds */
  timestamp: string;
}

export class LogWriter {
  private readonly range: CompactRange;
  private next: number;

  constructor(private readonly out: Writable, from?: CompactRange) {
    this.range = from ? from.clone() : CompactRange.empty();
    this.next = this.range.size + 1;
  }

  get size(): number {
    return this.range.size;
  }

  root(): Buffer {
    return this.range.root();
  }

  head(): CompactRange {
    return this.range.clone();
  }

  /** A new version of a record. */
  async put(entity: EntityName, values: RecordValues | Record<string, unknown>, stamp: Stamp): Promise<Entry> {
    const bytes = itemBytes(itemOf(entity, values));
    const key = String(values.code);
    return this.write({ number: this.next, timestamp: stamp.timestamp, actor: stamp.actor, entity, op: 'put', key, item: itemHash(bytes) }, bytes);
  }

  /** A record deleted. */
  async delete(entity: EntityName, key: string, stamp: Stamp): Promise<Entry> {
    return this.write({ number: this.next, timestamp: stamp.timestamp, actor: stamp.actor, entity, op: 'delete', key, item: null }, null);
  }

  private async write(entry: Entry, item: Buffer | null): Promise<Entry> {
    const problem = entryProblem(entry as unknown as Record<string, unknown>);
    if (problem) throw new Error(`cannot write entry ${entry.number}: ${problem}`);
    const eb = entryBytes(entry);
    this.range.append(leafHash(eb));
    this.next++;
    if (!this.out.write(formatLine(eb, item))) await once(this.out, 'drain');
    return entry;
  }

  /** Ends the stream and waits until everything is written. */
  async end(): Promise<void> {
    this.out.end();
    if (!this.out.writableFinished) await once(this.out, 'finish');
  }
}
