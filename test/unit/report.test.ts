// The report: complete counts, a capped and ordered list, --strict.
import { describe, expect, it } from 'vitest';
import { issue } from '../../src/records/issues.js';
import { ReportBuilder } from '../../src/records/report.js';
import { validateFile } from '../../src/validate/validate-file.js';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../fixtures/rules/', import.meta.url));

describe('ReportBuilder', () => {
  it('keeps the lowest lines, counts everything, and says when it cut', () => {
    const b = new ReportBuilder('services', 'x.csv', { maxIssues: 3 });
    for (const line of [9, 4, 7, 2, 8, 3, 5]) b.add(issue('missing-value', { line }, 'name_uz', null, 'm'));
    b.add(issue('missing-fee', { line: 1 }, 'fee_uzs', null, 'w'));
    b.records = 9;
    const r = b.build();
    expect(r.issues.map((i) => i.line)).toEqual([1, 2, 3]);
    expect(r).toMatchObject({ valid: false, entity: 'services', source: 'x.csv', records: 9, errors: 7, warnings: 1, truncated: true });
    expect(Object.keys(r)).toEqual(['valid', 'entity', 'source', 'records', 'errors', 'warnings', 'truncated', 'issues']);
  });

  it('stays bounded with many issues', () => {
    const b = new ReportBuilder('services', 'x.csv', { maxIssues: 10 });
    for (let line = 100_000; line > 0; line--) b.add(issue('missing-value', { line }, 'name_uz', null, 'm'));
    const r = b.build();
    expect(r.issues.map((i) => i.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(r.errors).toBe(100_000);
  });

  it('is valid with warnings unless strict', () => {
    const w = issue('missing-translation', { line: 2 }, 'name_ru', null, 'w');
    const lax = new ReportBuilder('services', 'x', {});
    lax.add(w);
    const strict = new ReportBuilder('services', 'x', { strict: true });
    strict.add(w);
    expect([lax.build().valid, lax.build().truncated, strict.build().valid]).toEqual([true, false, false]);
  });
});

describe('validateFile', () => {
  it('orders file and whole-file issues by line, and reports progress', async () => {
    const progress: number[] = [];
    const r = await validateFile({
      entity: 'services', path: dir + 'duplicate-key.csv', today: '2026-06-01', onProgress: (records) => progress.push(records),
      agencyLookup: { status: () => undefined },
    });
    expect(r.issues.map((i) => [i.code, i.line])).toEqual([
      ['duplicate-key', 2], ['unknown-reference', 2], ['unknown-reference', 3], ['duplicate-key', 4], ['unknown-reference', 4], ['unknown-reference', 5],
    ]);
    expect(progress).toEqual([4]);
  });

  it('gives the line and record number of JSON records', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const path = join(mkdtempSync(join(tmpdir(), 'egov-report-')), 'a.json');
    writeFileSync(path, '[\n  {"code": "A1", "name_uz": "X", "name_ru": "Х", "kind": "agency", "region": "UZ", "status": "active"},\n' +
      '  {"code": "A2", "name_uz": "X", "name_ru": "Х", "kind": "agency", "region": "UZ",\n   "status": "gone"}\n]\n');
    const r = await validateFile({ entity: 'agencies', path });
    expect(r.issues.map((i) => [i.code, i.line, i.record, i.key, i.field, i.value])).toEqual([['enum-mismatch', 3, 2, 'A2', 'status', 'gone']]);
  });

  it('caps the list with maxIssues', async () => {
    const r = await validateFile({ entity: 'services', path: dir + 'out-of-range.csv', maxIssues: 2 });
    expect([r.issues.length, r.errors, r.truncated, r.records]).toEqual([2, 6, true, 6]);
  });
});
