import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import canonicalize from 'canonicalize';
import { canonicalJson, type Json } from '../../src/registry/log/canonical-json.js';

// RFC 8785's own examples (cyberphone/json-canonicalization testdata, Appendix B numbers).
const FIX = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'log', 'jcs-rfc8785.json'), 'utf8')) as {
  cases: Array<{ name: string; input: string; output: string }>;
  numbers: Array<{ ieee754: string; output: string | null }>;
};

describe('canonical JSON (RFC 8785)', () => {
  test.each(FIX.cases.map((c) => [c.name, c] as const))('testdata %s: input canonicalises to the published output bytes', (_n, c) => {
    expect(Buffer.from(canonicalJson(JSON.parse(c.input) as Json), 'utf8')).toEqual(Buffer.from(c.output, 'utf8'));
  });
  test('the fixture has every testdata case and the whole number table', () => {
    expect(FIX.cases.map((c) => c.name)).toEqual(['arrays', 'french', 'structures', 'unicode', 'values', 'weird']);
    expect(FIX.numbers).toHaveLength(26);
  });
  test.each(FIX.numbers.map((n) => [n.ieee754, n.output] as const))('Appendix B: %s → %s', (bits, want) => {
    const x = Buffer.from(bits, 'hex').readDoubleBE(0);
    if (want === null) expect(() => canonicalJson(x)).toThrow();
    else expect(canonicalJson(x)).toBe(want);
  });
  test('strings: control characters as \\u00xx lowercase, the short escapes, nothing else escaped', () => {
    expect(canonicalJson('\u0000\u0008\t\n\f\r\u001f"\\/\u007f\u2028é😂')).toBe('"\\u0000\\b\\t\\n\\f\\r\\u001f\\"\\\\/\u007f\u2028é😂"');
  });
  test('keys sort by UTF-16 code units, not by code points or locale', () => {
    // U+FB33 (one unit, 0xFB33) sorts after U+1F602 (surrogates 0xD83D…): by units, not code points
    expect(canonicalJson({ '\ufb33': 1, '\ud83d\ude02': 2, a: 3 })).toBe('{"a":3,"\ud83d\ude02":2,"\ufb33":1}');
  });
  test('the same text as the canonicalize package (the RFC author\'s implementation) for 5,000 random values', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const chars = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\u0000', '\u001f', '\u007f', 'é', 'ў', '\u2028', '€', '😂', '\ufb33', '\ud83d\ude02'];
    const text = () => Array.from({ length: Math.floor(rand() * 6) }, () => chars[Math.floor(rand() * chars.length)]).join('');
    const numbers = [0, -0, 1, -1, 1.5, 1e21, 1e-7, 123456789012345680000, 0.1 + 0.2, 5e-324, 2 ** 53, -1e308, 333333333.3333333];
    const value = (depth: number): Json => {
      const r = rand();
      if (depth > 3 || r < 0.3) return text();
      if (r < 0.45) return numbers[Math.floor(rand() * numbers.length)]!;
      if (r < 0.5) return rand() < 0.5 ? null : rand() < 0.5;
      if (r < 0.75) return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1));
      const o: Record<string, Json> = {};
      for (let i = Math.floor(rand() * 5); i > 0; i--) o[text()] = value(depth + 1);
      return o;
    };
    for (let i = 0; i < 5000; i++) {
      const v = value(0);
      expect(canonicalJson(v)).toBe(canonicalize(v));
    }
  });
  test('a lone surrogate is refused', () => {
    expect(() => canonicalJson('\ud800')).toThrow(/lone surrogate/);
    expect(() => canonicalJson({ a: ['x', { ['k\udc00']: 1 }] })).toThrow(/lone surrogate/);
    expect(() => canonicalJson('\\\ud800')).toThrow(/lone surrogate/);
    // the text "\ud800" (a backslash and five letters) is fine
    expect(canonicalJson('\\ud800')).toBe('"\\\\ud800"');
  });
});
