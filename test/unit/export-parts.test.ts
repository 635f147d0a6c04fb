import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { expect, test } from 'vitest';
import { csvCell, csvLine, escapeFormula } from '../../src/export/csv-cell.js';
import { parseFilters, parseTimestamp } from '../../src/export/filters.js';
import { chooseOutput } from '../../src/export/formats.js';
import { JsonArrayStream } from '../../src/export/framing.js';
import { pgExportQuery } from '../../src/export/pg-query.js';

// The small pieces of the export: option parsing, CSV cells, JSON array framing, the SQL
// text (which must never contain a user's value), the progress bar.

test('--changed-since accepts ISO 8601 dates and times, UTC unless an offset says otherwise', () => {
  expect(parseTimestamp('--changed-since', '2026-01-31')).toBe('2026-01-31T00:00:00.000Z');
  expect(parseTimestamp('--changed-since', '2026-01-31T08:00')).toBe('2026-01-31T08:00:00.000Z');
  expect(parseTimestamp('--changed-since', '2026-01-31 08:00:05.5')).toBe('2026-01-31T08:00:05.500Z');
  expect(parseTimestamp('--changed-since', '2026-01-31T13:00:00+05:00')).toBe('2026-01-31T08:00:00.000Z');
  expect(parseTimestamp('--changed-since', '2026-01-31T08:00:00.000Z')).toBe('2026-01-31T08:00:00.000Z');
  for (const bad of ['2026-02-30', '2026-13-01', '2026-01-31T25:00', '31.01.2026', "2026-01-01' or 1=1", '', '2026-01-31T08:00+15:00']) {
    expect(() => parseTimestamp('--changed-since', bad), bad).toThrow(/not a timestamp/);
  }
});

test('filters: lists are trimmed and deduplicated; statuses and audiences are checked per entity', () => {
  expect(parseFilters('services', { status: ' active, draft ,active', audience: 'G2B', agency: 'A-1,B' })).toEqual({
    status: ['active', 'draft'], agency: ['A-1', 'B'], audience: ['G2B'], changed_since: null,
  });
  expect(() => parseFilters('agencies', { status: 'draft' })).toThrow('--status: unknown value "draft"; allowed: active, abolished');
  expect(() => parseFilters('services', { audience: 'g2c' })).toThrow(/unknown value "g2c"/);
  expect(() => parseFilters('services', { status: ',' })).toThrow('--status takes one or more comma-separated values');
  try {
    parseFilters('services', { status: 'x' });
  } catch (err) {
    expect((err as { exitCode: number }).exitCode).toBe(2);
  }
});

test('the format: --format, else the --out name, else csv; .gz means gzip', () => {
  expect(chooseOutput({})).toEqual({ format: 'csv', gzip: false, out: null });
  expect(chooseOutput({ out: '-' })).toEqual({ format: 'csv', gzip: false, out: null });
  expect(chooseOutput({ out: 'a.JSONL.gz' })).toEqual({ format: 'ndjson', gzip: true, out: 'a.JSONL.gz' });
  expect(chooseOutput({ out: 'a.json', format: 'csv' })).toEqual({ format: 'csv', gzip: false, out: 'a.json' });
  expect(chooseOutput({ out: 'a.txt', gzip: true })).toEqual({ format: 'csv', gzip: true, out: 'a.txt' });
});

test('CSV cells: PostgreSQL\'s quoting rule; the formula guard only on free text', () => {
  expect(csvCell(null)).toBe('');
  expect(csvCell('')).toBe('""');
  expect(csvCell(' spaced ')).toBe(' spaced ');
  expect(csvCell('a,b')).toBe('"a,b"');
  expect(csvCell('say "hi"')).toBe('"say ""hi"""');
  expect(csvCell('two\nlines')).toBe('"two\nlines"');
  expect(csvCell('cr\r')).toBe('"cr\r"');
  expect(escapeFormula('=1+1')).toBe("'=1+1");
  expect(escapeFormula('a=1')).toBe('a=1');
  expect(csvLine('agencies', { code: 'A-1', name_uz: '-x', kind: 'agency', phone: '+998712000000', region: 'UZ', status: 'active' }, false))
    .toBe("A-1,'-x,,,agency,,,UZ,,,+998712000000,active,\n");
});

test('JSON array framing: one record per line, and [] for none', async () => {
  const frame = async (chunks: string[]) => {
    const out: Buffer[] = [];
    const sink = new PassThrough();
    sink.on('data', (d: Buffer) => out.push(d));
    await pipeline(Readable.from(chunks.map((c) => Buffer.from(c))), new JsonArrayStream(), sink);
    return Buffer.concat(out).toString();
  };
  expect(await frame([])).toBe('[]\n');
  expect(await frame(['{"a":1}\n'])).toBe('[\n{"a":1}\n]\n');
  expect(await frame(['{"a":1}\n{"a"', ':2}', '\n', '{"a":3}\n'])).toBe('[\n{"a":1},\n{"a":2},\n{"a":3}\n]\n');
});

test('the COPY text never holds a filter value: values go through set_config', () => {
  const evil = "x'); drop table services; --";
  const q = pgExportQuery('services', 'csv', parseFilters('services', { agency: evil, changedSince: '2026-01-01' }), false);
  expect(q.copy).not.toContain('drop table');
  expect(q.count).not.toContain('drop table');
  expect(q.settings).toEqual([['egovctl_export.agency', JSON.stringify([evil])], ['egovctl_export.changed_since', '2026-01-01T00:00:00.000Z']]);
  expect(q.copy).toMatch(/order by t.code collate "C" offset 0\) as r order by r."__key" collate "C"\) to stdout with \(format csv\)$/);
});

