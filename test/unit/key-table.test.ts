import { describe, expect, it } from 'vitest';
import { KeyTable } from '../../src/records/key-table.js';
import { compareDecimal, decimalFromNumber, formatDecimal, parseDecimal } from '../../src/records/decimal.js';

describe('KeyTable', () => {
  it('finds the first entry of each key, through growth and rehashing', () => {
    const t = new KeyTable();
    const firsts: number[] = [];
    for (let i = 0; i < 50_000; i++) firsts.push(t.push(`K-${i % 20_000}`));
    expect(firsts.slice(0, 3)).toEqual([-1, -1, -1]);
    expect(firsts[20_000]).toBe(0);
    expect(firsts[45_123]).toBe(5_123);
    expect(t.find('K-19999')).toBe(19_999);
    expect(t.find('K-20000')).toBe(-1);
    expect(t.get(45_123)).toBe('K-5123');
    expect(t.size).toBe(50_000);
  });
  it('stores any text, and records without a key', () => {
    const t = new KeyTable();
    expect([t.push('Ўзбек'), t.push(null), t.push('Ўзбек'), t.push('😀')]).toEqual([-1, -1, 0, -1]);
    expect([t.get(0), t.get(1), t.get(3)]).toEqual(['Ўзбек', null, '😀']);
    expect([...t.distinctKeys()]).toEqual(['Ўзбек', '😀']);
  });
});

describe('decimals', () => {
  it('compare exactly', () => {
    const d = (s: string) => parseDecimal(s)!;
    expect(compareDecimal(d('999999999999.99'), decimalFromNumber(1e12)!)).toBe(-1);
    expect(compareDecimal(d('-1'), d('0'))).toBe(-1);
    expect(compareDecimal(d('-2'), d('-1'))).toBe(-1);
    expect(compareDecimal(d('0.10'), d('0.1'))).toBe(0);
    expect(compareDecimal(d('10'), d('9.99'))).toBe(1);
  });
  it('turn exponent numbers into digits', () => {
    expect([1e21, 1.5e-7, 123.456, -0].map((n) => formatDecimal(decimalFromNumber(n)!))).toEqual(['1000000000000000000000', '0.00000015', '123.456', '0']);
  });
});
