import { describe, expect, test } from 'vitest';
import { canonicalDecimal, toJsonText } from '../../src/records/db-row.js';
import { ENTITIES, type EntityName, type RecordValues } from '../../src/records/fields.js';
import { exportItem, exportLine } from '../../src/registry/log/export-item.js';
import { itemBytes, itemOf } from '../../src/registry/log/item.js';
import { AGENCY, service } from '../helpers/log-file.js';

// export-item.ts builds an item's bytes from an export line's own bytes. Whenever it answers,
// the answer must be the exact way's (JSON.parse → itemOf → itemBytes), byte for byte; when
// it cannot be sure, it must say null. Held to that over lines as export writes them and over
// lines changed in every way a hostile or foreign export could change them.

function exactBytes(entity: EntityName, line: Buffer): { key: string; bytes: Buffer } | null {
  let t = line.toString('utf8').trim();
  if (t.endsWith(',')) t = t.slice(0, -1);
  try {
    const obj = JSON.parse(t) as Record<string, unknown>;
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj) || typeof obj.code !== 'string') return null;
    return { key: obj.code, bytes: itemBytes(itemOf(entity, obj)) };
  } catch {
    return null;
  }
}

/** The claim: fast is null, or it equals the exact way (which then exists). */
function agrees(entity: EntityName, line: Buffer): 'fast' | 'fallback' {
  const fast = exportItem(entity, line);
  if (!fast) return 'fallback';
  const exact = exactBytes(entity, line);
  expect(exact, `the exact way fails where the fast one answered: ${line.toString('utf8')}`).not.toBeNull();
  expect(fast.key).toBe(exact!.key);
  expect(fast.bytes.toString('utf8'), line.toString('utf8')).toBe(exact!.bytes.toString('utf8'));
  expect(fast.bytes.equals(exact!.bytes)).toBe(true);
  return 'fast';
}

// a small seeded generator, so a failure can be run again
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['Xizmat', 'Услуга', 'ko‘chmas', ' ', '"', '\\', '\n', '\t', '\r', '\u0001', '\u001f', '\u007f', '/', '😀', '\u2028', 'é', '|', ',', ':', '{', '}', '[', ']', 'null', '0'];

function text(r: () => number, max = 6): string {
  let s = '';
  const n = 1 + Math.floor(r() * max);
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(r() * PIECES.length)]!;
  return s;
}

function randomService(r: () => number, i: number): RecordValues {
  const maybe = <T>(v: T): T | null => (r() < 0.4 ? null : v);
  return service(`SVC-${String(i).padStart(5, '0')}`, {
    name_uz: text(r),
    name_ru: maybe(text(r)),
    name_en: maybe(text(r)),
    description: maybe(text(r, 20)),
    audience: r() < 0.5 ? ['G2C'] : ['G2B', 'G2G'],
    sector: maybe(text(r)),
    fee_uzs: maybe(['0', '1500', '0.5', '13811.5', '999999999999.99', '12.34'][Math.floor(r() * 6)]!),
    fee_bhm_percent: maybe(['0.001', '1', '99999.999', '2.5'][Math.floor(r() * 4)]!),
    processing_days: Math.floor(r() * 366),
    required_documents: r() < 0.3 ? null : Array.from({ length: 1 + Math.floor(r() * 3) }, () => text(r)),
    output: maybe(text(r)),
    effective_to: maybe('2027-12-31'),
  });
}

const line = (entity: EntityName, v: RecordValues) => Buffer.from(toJsonText(entity, v), 'utf8');

describe('the item of an export line, from its bytes', () => {
  test('lines as export writes them: answered, and equal to the exact way', () => {
    expect(agrees('agencies', line('agencies', AGENCY))).toBe('fast');
    expect(agrees('services', line('services', service('SVC-A')))).toBe('fast');
    const r = rng(1);
    let fast = 0;
    for (let i = 0; i < 3000; i++) if (agrees('services', line('services', randomService(r, i))) === 'fast') fast++;
    // most lines take the fast way; the rest are lines with a string it cannot vouch for
    expect(fast).toBeGreaterThan(1500);
  });

  test('canonical escapes are taken as they are; any other spelling falls back', () => {
    const base = toJsonText('services', service('SVC-A'));
    const withName = (raw: string) => Buffer.from(base.replace('"name_uz":"Xizmat SVC-A"', `"name_uz":${raw}`), 'utf8');
    for (const raw of ['"a\\"b"', '"a\\\\b"', '"a\\nb\\r\\t\\b\\f"', '"\\u0001\\u001f\\u0000"', '"ü😀\u2028"']) expect(agrees('services', withName(raw))).toBe('fast');
    for (const raw of ['"\\u0041"', '"\\/"', '"\\u001F"', '"\\u000a"', '"\\u0008"', '"\\ud83d\\ude00"', '"\\ud83d"', '"a\\x"', '"a\\']) expect(agrees('services', withName(raw))).toBe('fallback');
    // a raw control character is not JSON: never answered
    expect(agrees('services', withName('"a\u0001b"'))).toBe('fallback');
    expect(agrees('services', withName('"a\tb"'))).toBe('fallback');
  });

  test('anything but the export form falls back: order, white space, extra or missing members, other types, bad UTF-8', () => {
    const v = service('SVC-A', { required_documents: ['Pasport', 'Ariza'], fee_bhm_percent: '2.5' });
    const base = toJsonText('services', v);
    const b = (s: string) => Buffer.from(s, 'utf8');
    const variants = [
      base.replace('{"code":"SVC-A","agency_code":"ADL"', '{"agency_code":"ADL","code":"SVC-A"'),
      base.replace('"agency_code":"ADL"', '"agency_code": "ADL"'),
      ` ${base}`,
      `${base} `,
      `${base}\r`,
      `\ufeff${base}`,
      base.replace('}', ',"extra":1}').replace(/,"extra":1}(.*)$/, '$1,"extra":1}'),
      base.slice(0, -1) + ',"code":"SVC-B"}',
      base.replace(',"sector":null', ''),
      base.replace('"processing_days":5', '"processing_days":"5"'),
      base.replace('"processing_days":5', '"processing_days":5.5'),
      base.replace('"processing_days":5', '"processing_days":1e400'),
      base.replace('"processing_days":5', '"processing_days":05'),
      base.replace('"fee_uzs":1500', '"fee_uzs":"1500"'),
      base.replace('"fee_uzs":1500', '"fee_uzs":+1500'),
      base.replace('"fee_uzs":1500', '"fee_uzs":1500.'),
      base.replace('"audience":["G2C"]', '"audience":"G2C"'),
      base.replace('"audience":["G2C"]', '"audience":[1]'),
      base.replace('"audience":["G2C"]', '"audience":["G2C",]'),
      base.replace('"audience":["G2C"]', '"audience":[ "G2C"]'),
      base.replace('"name_uz":"Xizmat SVC-A"', '"name_uz":nul'),
      base.replace('"name_uz":"Xizmat SVC-A"', '"name_uz":true'),
      base.replace('"code":"SVC-A"', '"code":null'),
      base.replace('"code":"SVC-A"', '"code":"SVC\\u002dA"'),
      base.slice(0, -1),
      `${base}}`,
      '[',
      ']',
      '',
    ];
    for (const s of variants) expect(agrees('services', b(s)), s).toBe('fallback');
    // bytes that are not UTF-8 inside a string
    const bad = Buffer.concat([b(base.slice(0, 30)), Buffer.from([0xff, 0xfe]), b(base.slice(30))]);
    expect(agrees('services', bad)).toBe('fallback');
    const cut = Buffer.concat([b(base.slice(0, 30)), Buffer.from([0xf0, 0x9f, 0x98]), b(base.slice(30))]);
    expect(agrees('services', cut)).toBe('fallback');
  });

  test('numbers the export may write in another spelling give the exact way\'s item', () => {
    const base = toJsonText('services', service('SVC-A'));
    for (const fee of ['1500.00', '1.5e3', '15E2', '0', '-0', '0.10', '1e-7', '123456789012.5']) {
      expect(agrees('services', Buffer.from(base.replace('"fee_uzs":1500', `"fee_uzs":${fee}`)))).toBe('fast');
    }
    for (const days of ['0', '-0', '365', '5.0', '5e0', '9007199254740993']) {
      agrees('services', Buffer.from(base.replace('"processing_days":5', `"processing_days":${days}`)));
    }
  });

  test('a line of a JSON array export (a comma after it) gives the same item', () => {
    expect(agrees('services', Buffer.from(`${toJsonText('services', service('SVC-A'))},`))).toBe('fast');
  });

  test('empty sets and lists are no value, as in the exact way', () => {
    const base = toJsonText('services', service('SVC-A'));
    expect(agrees('services', Buffer.from(base.replace('"required_documents":null', '"required_documents":[]')))).toBe('fast');
  });

  test('random changes of random lines: never a different answer', () => {
    const r = rng(7);
    const alphabet = ['"', '\\', ',', ':', '[', ']', '{', '}', ' ', 'n', 'u', '0', '1', '.', 'e', '-', 'a', 'é', '\u0000', '\n'];
    let fallbacks = 0;
    for (let i = 0; i < 4000; i++) {
      const s = toJsonText('services', randomService(r, i));
      const at = Math.floor(r() * s.length);
      const op = Math.floor(r() * 3);
      const c = alphabet[Math.floor(r() * alphabet.length)]!;
      const changed = op === 0 ? s.slice(0, at) + c + s.slice(at) : op === 1 ? s.slice(0, at) + s.slice(at + 1) : s.slice(0, at) + c + s.slice(at + 1);
      if (agrees('services', Buffer.from(changed, 'utf8')) === 'fallback') fallbacks++;
    }
    expect(fallbacks).toBeGreaterThan(0);
  });
});

// export --as-of the other way: an item's bytes as its record's NDJSON line. The exact way is
// log-source.ts's: the item parsed, its values (null where it leaves a field out), toJsonText.
function exactLine(entity: EntityName, item: Buffer): string | null {
  try {
    const obj = JSON.parse(item.toString('utf8')) as Record<string, unknown>;
    const v: RecordValues = {};
    for (const f of ENTITIES[entity].fields) v[f.name] = (obj[f.name] as RecordValues[string] | undefined) ?? null;
    return `${toJsonText(entity, v)}\n`;
  } catch {
    return null;
  }
}

function lineAgrees(entity: EntityName, item: Buffer): 'fast' | 'fallback' {
  const fast = exportLine(entity, item, canonicalDecimal);
  if (!fast) return 'fallback';
  const exact = exactLine(entity, item);
  expect(exact, `the exact way fails where the fast one answered: ${item.toString('utf8')}`).not.toBeNull();
  expect(fast.toString('utf8'), item.toString('utf8')).toBe(exact);
  expect(fast.equals(Buffer.from(exact!, 'utf8'))).toBe(true);
  return 'fast';
}

describe('the export line of an item, from its bytes', () => {
  test('items as the log writes them: answered, and the export line of the record', () => {
    expect(lineAgrees('agencies', itemBytes(itemOf('agencies', AGENCY)))).toBe('fast');
    const r = rng(3);
    for (let i = 0; i < 3000; i++) {
      const v = randomService(r, i);
      const item = itemBytes(itemOf('services', v));
      expect(lineAgrees('services', item)).toBe('fast');
      // and it is the line export writes for the record itself
      expect(exportLine('services', item, canonicalDecimal)!.toString('utf8')).toBe(`${toJsonText('services', v)}\n`);
    }
  });

  test('items in any other form fall back, or agree', () => {
    const item = itemBytes(itemOf('services', service('SVC-A', { fee_bhm_percent: '2.5', required_documents: ['Pasport'] }))).toString('utf8');
    const variants = [
      item.replace('"fee_uzs":"1500"', '"fee_uzs":1500'),
      item.replace('"fee_uzs":"1500"', '"fee_uzs":"1500.00"'),
      item.replace('"fee_uzs":"1500"', '"fee_uzs":"15e2"'),
      item.replace('"fee_uzs":"1500"', '"fee_uzs":"x"'),
      item.replace('"processing_days":5', '"processing_days":5.0'),
      item.replace('"processing_days":5', '"processing_days":1e400'),
      item.replace('"processing_days":5', '"processing_days":"5"'),
      item.replace('"code":"SVC-A"', '"code":"SVC-A","code":"SVC-B"'),
      item.replace('"code":"SVC-A"', '"code":"SVC\\u002dA"'),
      item.replace('"code":"SVC-A"', '"code":"SVC-A","zzz":1'),
      item.replace('"code":"SVC-A"', '"code": "SVC-A"'),
      item.replace('"audience":["G2C"]', '"audience":[]'),
      item.replace('"audience":["G2C"]', '"audience":"G2C"'),
      item.replace('"name_uz":"Xizmat SVC-A"', '"name_uz":null'),
      `{"code":"SVC-A"}`,
      '{}',
      `${item} `,
      item.slice(0, -1),
    ];
    for (const v of variants) lineAgrees('services', Buffer.from(v, 'utf8'));
    expect(lineAgrees('services', Buffer.from(item.replace('"fee_uzs":"1500"', '"fee_uzs":1500')))).toBe('fallback');
    expect(lineAgrees('services', Buffer.from(item.replace('"fee_uzs":"1500"', '"fee_uzs":"1500.00"')))).toBe('fast');
  });

  test('random changes of random items: never a different answer', () => {
    const r = rng(11);
    const alphabet = ['"', '\\', ',', ':', '[', ']', '{', '}', ' ', 'n', 'u', '0', '1', '.', 'e', '-', 'a', 'é', '\u0000'];
    for (let i = 0; i < 4000; i++) {
      const s = itemBytes(itemOf('services', randomService(r, i))).toString('utf8');
      const at = Math.floor(r() * s.length);
      const op = Math.floor(r() * 3);
      const c = alphabet[Math.floor(r() * alphabet.length)]!;
      const changed = op === 0 ? s.slice(0, at) + c + s.slice(at) : op === 1 ? s.slice(0, at) + s.slice(at + 1) : s.slice(0, at) + c + s.slice(at + 1);
      lineAgrees('services', Buffer.from(changed, 'utf8'));
    }
  });
});

describe('a control character anywhere in a line or an item is never taken', () => {
  test('at every position, each control character', () => {
    const line = Buffer.from(toJsonText('services', service('SVC-A', { description: 'Ҳужжатлар рўйхати', required_documents: ['Pasport'] })), 'utf8');
    const item = itemBytes(itemOf('services', service('SVC-A', { description: 'Ҳужжатлар рўйхати', required_documents: ['Pasport'] })));
    expect(exportItem('services', line)).not.toBeNull();
    expect(exportLine('services', item, canonicalDecimal)).not.toBeNull();
    for (const c of [0x00, 0x01, 0x09, 0x0a, 0x0d, 0x1f]) {
      for (let at = 1; at < line.length - 1; at++) {
        const l = Buffer.from(line);
        l[at] = c;
        expect(exportItem('services', l)).toBeNull();
      }
      for (let at = 1; at < item.length - 1; at++) {
        const i = Buffer.from(item);
        i[at] = c;
        expect(exportLine('services', i, canonicalDecimal)).toBeNull();
      }
    }
    // 0x20 and above inside a string is fine: the line still answers
    const space = Buffer.from(line.toString('utf8').replace('Pasport', 'Pas port'), 'utf8');
    expect(agrees('services', space)).toBe('fast');
  });
});
