import { expect, test } from 'vitest';
import { copyEncoder, copyLine, copyText, stageColumns, stageValues } from '../../src/import/stage-columns.js';
import type { RecordValues } from '../../src/records/fields.js';

// The COPY text format is the one place where user text meets the wire format of
// PostgreSQL: backslashes, tabs and line ends must come through exactly, \N only for null.

test('copyText escapes what COPY text format reads specially, and only that', () => {
  expect(copyText(null)).toBe('\\N');
  expect(copyText('\\N')).toBe('\\\\N');
  expect(copyText('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e');
  expect(copyText("'); drop table services; --")).toBe("'); drop table services; --");
  expect(copyText(365)).toBe('365');
  expect(copyLine(['x', null, 3])).toBe('x\t\\N\t3\n');
});

test('the compiled encoder writes the same values as stageValues', () => {
  const values: RecordValues = {
    code: 'S-1', agency_code: 'MIN', name_uz: 'Nom\tbilan', name_ru: null, name_en: null, description: 'two\nlines \\ slash',
    audience: ['G2C', 'G2B'], sector: null, status: 'draft', fee_uzs: '1500', fee_bhm_percent: null, processing_days: 0,
    channels: ['portal'], legal_basis: null, required_documents: ['Ariza', 'Pasport | nusxa'], output: null, effective_from: '2024-01-01', effective_to: null,
  };
  for (const withRaw of [false, true]) {
    const cols = stageColumns('services', withRaw);
    const encode = copyEncoder('services', cols);
    expect(encode(7, withRaw ? 'raw\ttext' : null, values, 'unused')).toBe(copyLine(stageValues('services', cols, 7, withRaw ? 'raw\ttext' : null, values)));
  }
  const line = copyEncoder('services', ['code', 'audience', 'required_documents', 'processing_days', 'updated_at'])(1, null, values, '2026-01-01T00:00:00.000Z');
  expect(line).toBe('S-1\tG2C|G2B\t["Ariza","Pasport | nusxa"]\t0\t2026-01-01T00:00:00.000Z\n');
});
