import { describe, expect, test } from 'vitest';
import { fromRow, toJsonText } from '../../src/records/db-row.js';
import type { RecordValues } from '../../src/records/fields.js';
import { canonicalJson } from '../../src/registry/log/canonical-json.js';
import { entryBytes, entryText, isCanonicalEntry, parseEntry, type Entry } from '../../src/registry/log/entry.js';
import { itemBytes, itemHash, itemOf } from '../../src/registry/log/item.js';

// The bytes of SPEC §9, exactly: a service and an agency as items, an entry.

const service: RecordValues = {
  code: 'ADL-0003', agency_code: 'ADL', name_uz: 'Notarial harakat', name_ru: null, name_en: 'Notary "deed"',
  description: null, audience: ['G2C', 'G2B'], sector: null, status: 'active', fee_uzs: '13811.50', fee_bhm_percent: null,
  processing_days: 5, channels: ['portal'], legal_basis: 'PQ-1', required_documents: ['pasport', 'ariza'], output: null,
  effective_from: '2026-01-01', effective_to: null, updated_at: '2026-11-30T08:00:00.000Z',
};

describe('items', () => {
  test('a service: every field with a value, sorted, decimals as shortest strings, integers as numbers, no nulls', () => {
    expect(itemBytes(itemOf('services', service)).toString('utf8')).toBe(
      '{"agency_code":"ADL","audience":["G2C","G2B"],"channels":["portal"],"code":"ADL-0003","effective_from":"2026-01-01",' +
      '"fee_uzs":"13811.5","legal_basis":"PQ-1","name_en":"Notary \\"deed\\"","name_uz":"Notarial harakat","processing_days":5,' +
      '"required_documents":["pasport","ariza"],"status":"active","updated_at":"2026-11-30T08:00:00.000Z"}',
    );
  });
  test('a fee of 0 is kept ("0"), an empty set or list is left out like a null', () => {
    const item = itemOf('services', { ...service, fee_uzs: '0.00', required_documents: [] });
    expect(item.fee_uzs).toBe('0');
    expect('required_documents' in item).toBe(false);
  });
  test('the item of a database row, of the canonical values and of an NDJSON export line are one item', () => {
    const row = { ...service, audience: 'G2C|G2B', channels: 'portal', required_documents: '["pasport","ariza"]', fee_uzs: '13811.50', updated_at: new Date('2026-11-30T08:00:00Z') };
    const fromDb = itemOf('services', fromRow('services', row));
    const fromExport = itemOf('services', JSON.parse(toJsonText('services', service)) as Record<string, unknown>);
    expect(canonicalJson(fromDb)).toBe(canonicalJson(itemOf('services', service)));
    expect(canonicalJson(fromExport)).toBe(canonicalJson(fromDb));
  });
  test('an agency with its tax number kept as text', () => {
    const a = itemOf('agencies', { code: 'ADL', name_uz: 'Adliya', kind: 'ministry', tin: '012345678', region: 'UZ', status: 'active', updated_at: '2026-01-01T00:00:00.000Z' });
    expect(canonicalJson(a)).toBe('{"code":"ADL","kind":"ministry","name_uz":"Adliya","region":"UZ","status":"active","tin":"012345678","updated_at":"2026-01-01T00:00:00.000Z"}');
  });
  test('item hash: sha-256: and lowercase hex', () => {
    expect(itemHash(Buffer.from('{}'))).toBe('sha-256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
  });
});

describe('entries', () => {
  const put: Entry = { number: 1, timestamp: '2026-11-30T08:00:00.000Z', actor: 'root@db1', entity: 'services', op: 'put', key: 'ADL-0003', item: `sha-256:${'a'.repeat(64)}` };
  test('the seven members in canonical order; item null for a delete', () => {
    expect(entryText(put)).toBe(`{"actor":"root@db1","entity":"services","item":"sha-256:${'a'.repeat(64)}","key":"ADL-0003","number":1,"op":"put","timestamp":"2026-11-30T08:00:00.000Z"}`);
    expect(entryText({ ...put, op: 'delete', item: null })).toContain('"item":null');
  });
  test('parse: canonical entries only, every member checked', () => {
    expect(parseEntry(entryText(put))).toEqual({ entry: put });
    const bad = [
      ' ' + entryText(put),
      entryText(put).replace('"number":1', '"number":1.0'),
      entryText(put).replace('"op":"put"', '"op":"get"'),
      entryText(put).replace('"number":1', '"number":0'),
      entryText({ ...put, op: 'delete' }),
      entryText({ ...put, item: null }),
      entryText(put).replace('.000Z', 'Z'),
      entryText(put).replace('{"actor"', '{"x":1,"actor"'),
      '{"actor":"root@db1"}',
      'not json',
    ];
    for (const t of bad) {
      const p = parseEntry(t);
      expect('error' in p || !isCanonicalEntry(p.entry, Buffer.from(t)), t).toBe(true);
    }
    expect(isCanonicalEntry(put, entryBytes(put))).toBe(true);
  });
});
