import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
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
  test('a lone surrogate is refused', () => {
    expect(() => canonicalJson('\ud800')).toThrow();
  });
});
