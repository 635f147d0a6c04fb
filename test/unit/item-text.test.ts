import { describe, expect, test } from 'vitest';
import { ENTITIES, REGISTRY_ENTITY_NAMES, type FieldDef, type RecordValues } from '../../src/records/fields.js';
import { canonicalJson } from '../../src/registry/log/canonical-json.js';
import { itemOf } from '../../src/registry/log/item.js';
import { itemTextBuilder } from '../../src/registry/log/item-text.js';
import { toBytes } from '../../src/text/utf8-bytes.js';

// The first load's item text (item-text.ts) against the one serialisation (item.ts +
// canonical-json.ts), field by field, over every character JSON escapes and some it must
// not, for decoded text and for byte strings.

const TEXTS = [
  'plain',
  '',
  `quote " backslash \\ slash /`,
  Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)).join(''),
  'del \u007f sep \u2028\u2029 bom \ufeff nbsp \u00a0',
  'Ўзбекистон — «давлат» oʻzbek 😀 \u{10ffff}',
  'x'.repeat(3000),
];
const NOW = '2026-12-02T19:00:00.123Z';

function valuesFor(f: FieldDef, k: number): RecordValues[string] {
  if (k % 5 === 4 && !f.required) return null;
  switch (f.type) {
    case 'integer':
      return [0, 1, 365, 2147483647][k % 4]!;
    case 'decimal':
      return ['0', '1500', '0.5', '123456789012.34', '-2'][k % 5]!;
    case 'date':
      return ['2024-01-01', '0001-01-01', '9999-12-31'][k % 3]!;
    case 'set':
      return k % 3 === 0 ? [] : (f.values ?? ['A', 'B']).slice(0, 1 + (k % (f.values?.length ?? 2)));
    case 'list':
      return k % 3 === 0 ? [] : [TEXTS[k % TEXTS.length]!, TEXTS[(k + 2) % TEXTS.length]!];
    case 'timestamp':
      return NOW;
    default:
      return TEXTS[k % TEXTS.length]!;
  }
}

describe('item text of the first load', () => {
  for (const entity of REGISTRY_ENTITY_NAMES) {
    test(`${entity}: the canonical item, decoded and as byte strings`, () => {
      const build = itemTextBuilder(entity);
      for (let k = 0; k < 40; k++) {
        const values: RecordValues = {};
        ENTITIES[entity].fields.forEach((f, i) => (values[f.name] = f.managed ? null : valuesFor(f, k + i)));
        const want = canonicalJson(itemOf(entity, { ...values, updated_at: NOW }));
        expect(build(values, NOW)).toBe(want);
        const bytes: RecordValues = {};
        for (const [n, v] of Object.entries(values)) bytes[n] = typeof v === 'string' ? toBytes(v) : Array.isArray(v) ? v.map(toBytes) : v;
        expect(build(bytes, NOW)).toBe(toBytes(want));
      }
    });
  }

  test('a lone surrogate is escaped as JSON.stringify escapes it', () => {
    const build = itemTextBuilder('services');
    expect(build({ code: 'A-1', name_uz: 'a\ud800b' }, NOW)).toContain('"name_uz":"a\\ud800b"');
  });
});
