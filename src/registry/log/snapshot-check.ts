import crypto from 'node:crypto';
import fs from 'node:fs';
import { ENTITIES, type EntityName } from '../../records/fields.js';
import { canonicalJson, type Json } from './canonical-json.js';
import { itemBytes, itemOf, type Item } from './item.js';
import type { KeyHashes } from './key-hashes.js';
import { logIssue, type LogIssue } from './log-issues.js';
import { exportItem } from './export-item.js';
import { readLineBatches, readLines, splitLine } from './log-line.js';

// Is an export exactly the log's snapshot (the latest put of each key, minus deletes)?
// The export is read line by line (NDJSON, or the one-record-a-line JSON array export
// writes); each record is turned into its item and hashed (a line as export writes it
// straight from its bytes, export-item.ts; any other by parsing it). Only for the records that differ
// is the log read a second time, to say which fields differ — so memory stays one hash per key.

/** How many differing records get a field-by-field account (the rest are named by key). */
const DETAILED = 10_000;

function text(v: Json | undefined): string {
  return v === undefined ? '(no value)' : canonicalJson(v);
}

export async function compareSnapshot(
  /** the log file, or a way to read its bytes again */
  logFile: string | (() => AsyncIterable<Buffer>),
  /** the export's file, or its bytes as they are made */
  exportFile: string | (() => AsyncIterable<Buffer>),
  entity: EntityName,
  snapshot: KeyHashes,
  add: (i: LogIssue) => void,
  /** how messages name the export (a temporary file stands for a table) */
  exportName: string = typeof exportFile === 'string' ? exportFile : 'the export',
): Promise<number> {
  const noun = ENTITIES[entity].noun;
  const differing = new Map<number, { key: string; line: number; item: Item }>();
  let records = 0;
  /** The exact way: the line parsed and made into its item; null when it is no record (said, unless blank). */
  const exact = (line: Buffer, number: number): { key: string; item: Item | null } | null => {
    let t = line.toString('utf8').trim();
    if (number === 1 && t.charCodeAt(0) === 0xfeff) t = t.slice(1).trim();
    if (t === '' || t === '[' || t === ']' || t === '[]') return null;
    if (t.endsWith(',')) t = t.slice(0, -1);
    let obj: unknown;
    try {
      obj = JSON.parse(t);
    } catch {
      add(logIssue('malformed-record', number, null, null, null, `${exportName} line ${number} is not a JSON object`));
      return null;
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj) || typeof (obj as { code?: unknown }).code !== 'string') {
      add(logIssue('malformed-record', number, null, null, null, `${exportName} line ${number} is not a record with a code`));
      return null;
    }
    records++;
    const key = (obj as { code: string }).code;
    try {
      return { key, item: itemOf(entity, obj as Record<string, unknown>) };
    } catch (err) {
      add(logIssue('log-drift', number, key, null, null, `${exportName} line ${number}: ${noun} ${key} cannot be read as an item: ${(err as Error).message}`));
      return { key, item: null };
    }
  };
  const source = typeof exportFile === 'string' ? fs.createReadStream(exportFile, { highWaterMark: 1 << 20 }) : exportFile();
  for await (const batch of readLineBatches(source)) {
    for (const { line, number } of batch) {
      // a line as export writes it gives its item bytes without being parsed (export-item.ts)
      const fast = exportItem(entity, line);
      let key: string;
      let item: Item | null = null;
      let bytes: Buffer;
      if (fast) {
        records++;
        key = fast.key;
        bytes = fast.bytes;
      } else {
        const r = exact(line, number);
        if (!r || !r.item) continue;
        key = r.key;
        item = r.item;
        bytes = itemBytes(item);
      }
      const want = snapshot.get(key);
      if (!want) {
        add(logIssue('log-drift', number, key, null, null, `${noun} ${key} (${exportName} line ${number}) is not in the log's snapshot: extra`));
        continue;
      }
      if (!snapshot.mark(key)) {
        add(logIssue('log-drift', number, key, 'code', key, `${exportName} line ${number}: ${noun} ${key} is in the export twice`));
        continue;
      }
      const h = crypto.hash('sha256', bytes, 'buffer') as unknown as Buffer;
      if (!h.equals(want.hash)) {
        item ??= itemOf(entity, JSON.parse(line.toString('utf8').replace(/,$/, '')) as Record<string, unknown>);
        if (differing.size < DETAILED) differing.set(want.line, { key, line: number, item });
        else add(logIssue('log-drift', number, key, null, null, `${noun} ${key} (${exportName} line ${number}) differs from the log's version (line ${want.line})`));
      }
    }
  }
  for (const { key, line } of snapshot.unmarked()) {
    add(logIssue('log-drift', null, key, null, null, `${noun} ${key} is in the log's snapshot (line ${line}) but not in ${exportName}: missing`));
  }
  if (differing.size) {
    const log = typeof logFile === 'string' ? fs.createReadStream(logFile, { highWaterMark: 1 << 20 }) : logFile();
    for await (const { line, number, complete } of readLines(log)) {
      const d = differing.get(number);
      if (!d || !complete) continue;
      const logItem = JSON.parse(splitLine(line)!.item!.toString('utf8')) as Item;
      for (const f of ENTITIES[entity].fields) {
        const a = logItem[f.name];
        const b = d.item[f.name];
        if (text(a) === text(b)) continue;
        add(logIssue('log-drift', d.line, d.key, f.name, b === undefined ? null : typeof b === 'string' ? b : canonicalJson(b),
          `${noun} ${d.key}: ${f.name} is ${text(a)} in the log (line ${number}), ${text(b)} in ${exportName} (line ${d.line})`));
      }
      differing.delete(number);
      // a file may be left part-read; a database's COPY is read to its end, so that the
      // connection it runs on stays in step for what follows
      if (!differing.size && typeof logFile === 'string') break;
    }
  }
  return records;
}
