import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { entryBytes, isCanonicalEntry, parseEntry, type Entry } from '../../src/registry/log/entry.js';
import { itemBytes, itemHash, itemOf } from '../../src/registry/log/item.js';
import { verifyLog } from '../../src/registry/log/verify-log.js';
import { service } from '../helpers/log-file.js';

// The verifier checks that an entry's bytes are its canonical form by a shortcut (the
// parsed entry written back by JSON.stringify); whatever the spelling, it must say what
// entry.ts's isCanonicalEntry says.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'egovctl-entries-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const item = itemBytes(itemOf('services', service('SVC-A')));
const base: Entry = { number: 1, timestamp: '2026-11-01T08:00:00.000Z', actor: 'root@db1', entity: 'services', op: 'put', key: 'SVC-A', item: itemHash(item) };

let n = 0;
async function flagged(entry: Buffer): Promise<boolean> {
  const file = path.join(dir, `l${++n}.log`);
  fs.writeFileSync(file, Buffer.concat([entry, Buffer.from('\t'), item, Buffer.from('\n')]));
  const r = await verifyLog({ log: file });
  return r.issues.some((i) => i.code === 'malformed-record' && i.message.includes('canonical'));
}

describe('an entry in canonical form or not', () => {
  test('each spelling is judged as isCanonicalEntry judges it', async () => {
    const text = entryBytes(base).toString('utf8');
    const variants = [
      text,
      entryBytes({ ...base, actor: 'Ўзбек@хост', key: 'SVC-"Ä"\\' }).toString('utf8'),
      entryBytes({ ...base, actor: 'a\u0001b\nc' }).toString('utf8'),
      entryBytes({ ...base, actor: 'emoji 😀 \u2028' }).toString('utf8'),
      text.replace('"actor":"root@db1"', '"actor":"root\\u0040db1"'),
      text.replace('"actor":"root@db1"', '"actor":"root\\/db1"'),
      text.replace('{"actor":"root@db1","entity":"services"', '{"entity":"services","actor":"root@db1"'),
      text.replace('"number":1', '"number":1.0'),
      text.replace('"number":1', '"number":1e0'),
      text.replace('"number":1', '"number": 1'),
      text.replace('}', ',"actor":"root@db1"}'),
      text.replace('"actor":"root@db1"', '"actor":"root@db1","actor":"x"'),
      ` ${text}`,
      text.replace('"key":"SVC-A"', '"key":"SVC\\u002dA"'),
    ];
    for (const v of variants) {
      const parsed = parseEntry(v);
      if ('error' in parsed) continue;
      expect(await flagged(Buffer.from(v, 'utf8')), v).toBe(!isCanonicalEntry(parsed.entry, Buffer.from(v, 'utf8')));
    }
    expect(await flagged(Buffer.from(text))).toBe(false);
    expect(await flagged(Buffer.from(variants[6]!))).toBe(true);
  });

  test('bytes that are not UTF-8 are never canonical', async () => {
    const text = entryBytes({ ...base, actor: 'rootXdb1' });
    const at = text.indexOf('X');
    for (const bad of [[0xff], [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xed, 0xa0, 0x80]]) {
      const b = Buffer.concat([text.subarray(0, at), Buffer.from(bad), text.subarray(at + 1)]);
      const parsed = parseEntry(b.toString('utf8'));
      if ('error' in parsed) continue;
      expect(isCanonicalEntry(parsed.entry, b)).toBe(false);
      expect(await flagged(b)).toBe(true);
    }
  });
});
