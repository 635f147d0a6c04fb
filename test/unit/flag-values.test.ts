import { expect, test } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parseCode, parseDate, parseList, parseTimestamp, today } from '../../src/flag-values.js';

// Values typed on the command line: the one stored form, or a usage error naming the flag.

test('timestamps become the stored ISO form; a bare date is midnight UTC', () => {
  expect(parseTimestamp('--since', '2026-01-31')).toBe('2026-01-31T00:00:00.000Z');
  expect(parseTimestamp('--since', '2026-01-31T08:00:00Z')).toBe('2026-01-31T08:00:00.000Z');
  expect(parseTimestamp('--since', '2026-01-31T08:00')).toBe('2026-01-31T08:00:00.000Z');
  expect(parseTimestamp('--since', '2026-01-31 13:00:00.5+05:00')).toBe('2026-01-31T08:00:00.500Z');
  for (const bad of ['2026-02-30', 'yesterday', '2026-1-31', '1706688000', '', '2026-01-31T25:00', "2026-01-01' or 1=1", '2026-01-31T08:00+15:00']) {
    expect(() => parseTimestamp('--since', bad)).toThrow(UsageError);
  }
  expect(() => parseTimestamp('--changed-since', 'soon')).toThrow('--changed-since: "soon" is not a timestamp; use ISO 8601, e.g. 2026-01-31 or 2026-01-31T08:00:00.000Z');
});

test('dates are real calendar days', () => {
  expect(parseDate('--on', ' 2024-02-29 ')).toBe('2024-02-29');
  expect(() => parseDate('--on', '2025-02-29')).toThrow('--on takes a date as YYYY-MM-DD, not "2025-02-29"');
  expect(() => parseDate('--before', '31.12.2025')).toThrow(UsageError);
  expect(today(new Date(2026, 0, 5, 23, 59))).toBe('2026-01-05');
});

test('codes and lists', () => {
  expect(parseCode('service', ' ADL-0003 ')).toBe('ADL-0003');
  for (const bad of ['adl-1', 'A', 'ADL--1', 'ADL-', '1ADL', 'A'.repeat(33)]) expect(() => parseCode('service', bad)).toThrow(UsageError);
  expect(parseList('--status', 'retired, draft,retired', ['draft', 'retired'])).toEqual(['retired', 'draft']);
  expect(() => parseList('--status', ',', ['draft'])).toThrow('--status needs at least one value');
  expect(() => parseList('--audience', 'G2C,B2B,X', ['G2C', 'G2B', 'G2G'])).toThrow('--audience: "B2B", "X" are not allowed; allowed values: G2C, G2B, G2G');
});

test('a bad code says which kind, with the right article', () => {
  expect(() => parseCode('agency', 'adl 1')).toThrow('"adl 1" is not an agency code');
  expect(() => parseCode('service', 'x')).toThrow('"x" is not a service code');
  expect(parseCode('service', ' TAX-0001 ')).toBe('TAX-0001');
});
