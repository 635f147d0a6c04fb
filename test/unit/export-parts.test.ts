import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { expect, test } from 'vitest';
import { csvCell, csvLine, escapeFormula } from '../../src/export/csv-cell.js';
import { parseFilters } from '../../src/export/filters.js';
import { chooseOutput } from '../../src/export/formats.js';
import { JsonArrayStream } from '../../src/export/framing.js';
import { pgExportQuery } from '../../src/export/pg-query.js';

// The small pieces of the export: option parsing, CSV cells, JSON array framing, the SQL
// text (which must never contain a user's value), the progress bar.

test('filters: lists are trimmed and deduplicated; statuses and audiences are checked per entity', () => {
  expect(parseFilters('services', { status: ' active, draft ,active', audience: 'G2B', agency: 'A-1,B' })).toEqual({
    status: ['active', 'draft'], agency: ['A-1', 'B'], audience: ['G2B'], changed_since: null,
  });
  expect(() => parseFilters('agencies', { status: 'draft' })).toThrow('--status: "draft" is not allowed; allowed values: active, abolished');
  expect(() => parseFilters('services', { audience: 'g2c' })).toThrow('--audience: "g2c" is not allowed; allowed values: G2C, G2B, G2G');
  expect(() => parseFilters('services', { status: ',' })).toThrow('--status needs at least one value');
  expect(() => parseFilters('agencies', { audience: 'G2C' })).toThrow('--audience does not apply to agencies: the filters of agencies are --status, --agency, --changed-since');
  expect(() => parseFilters('services', { from: '2026-01-01' })).toThrow('--from does not apply to services');
  // an agency code is only bound, never checked: one that looks like SQL matches nothing
  expect(parseFilters('services', { agency: "x'; drop table services; --" }).agency).toEqual(["x'; drop table services; --"]);
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

