import { expect, test } from 'vitest';
import { CopyRows, copyEncoder, copyLine, copyText, plainSource, stageColumns, stageValues } from '../../src/import/stage-columns.js';
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
    expect(encode(7, withRaw ? 'raw\ttext' : null, values, 'unused', false)).toBe(copyLine(stageValues('services', cols, 7, withRaw ? 'raw\ttext' : null, values)));
  }
  const line = copyEncoder('services', ['code', 'audience', 'required_documents', 'processing_days', 'updated_at'])(1, null, values, '2026-01-01T00:00:00.000Z', false);
  expect(line).toBe('S-1\tG2C|G2B\t["Ariza","Pasport | nusxa"]\t0\t2026-01-01T00:00:00.000Z\n');
});

test('plainSource: a record whose text holds no backslash, tab or line end; then its values skip escaping', () => {
  expect(plainSource('S-1,MIN,Nom,"a ""b"" c"')).toBe(true);
  for (const text of ['a\tb', 'a\nb', 'a\rb', 'a\\tb', null]) expect(plainSource(text)).toBe(false);
  const values = {
    code: 'S-1', agency_code: 'MIN', name_uz: 'Oʻzbek «nomi»', name_ru: 'Имя', name_en: null, description: 'say "hi" | N',
    audience: ['G2C', 'G2B'], sector: null, status: 'draft', fee_uzs: '1500', fee_bhm_percent: null, processing_days: 0,
    channels: ['portal'], legal_basis: null, required_documents: ['a "quoted" item'], output: null, effective_from: null, effective_to: null,
  } as unknown as RecordValues;
  const encode = copyEncoder('services', stageColumns('services', true));
  // Plain or not, the same line — the list's JSON escapes (\") are still escaped.
  const plain = encode(3, 'S-1,"say ""hi"""', values, 'now', true);
  expect(plain).toBe(encode(3, 'S-1,"say ""hi"""', values, 'now', false));
  expect(plain).toContain('["a \\\\"quoted\\\\" item"]');
});

test('CopyRows: the UTF-8 of the lines added, a batch at a time, across buffer changes', () => {
  const rows = new CopyRows();
  const lines = Array.from({ length: 3000 }, (_, i) => `${i}\t${'Лицензия Oʻzbek 🙂 '.repeat(i % 97)}\t${'x'.repeat(i % 5000)}\n`);
  const got: Buffer[] = [];
  let counted = 0;
  lines.forEach((l, i) => {
    rows.add(l);
    if (i % 250 === 249) {
      const b = rows.take();
      counted += b.rows;
      got.push(b.bytes); // kept as handed out: later rows must not overwrite it
    }
  });
  const last = rows.take();
  counted += last.rows;
  got.push(last.bytes);
  expect(counted).toBe(3000);
  expect(Buffer.concat(got).equals(Buffer.from(lines.join('')))).toBe(true);
  expect(rows.take()).toMatchObject({ rows: 0 });
});

test('CopyRows reuses a buffer only once every batch cut from it is released', () => {
  const rows = new CopyRows();
  const line = `${'Лицензия '.repeat(100)}\n`; // 1,801 bytes
  const fill = (n: number) => {
    for (let i = 0; i < n; i++) rows.add(line);
    return rows.take();
  };
  // Enough rows to move on to a second buffer (4 MB), keeping every batch unreleased.
  const held = Array.from({ length: 12 }, () => fill(250));
  const buffers = new Set(held.map((b) => b.bytes.buffer));
  expect(buffers.size).toBeGreaterThan(1);
  const first = held[0]!.bytes.buffer;
  // Nothing released: a third buffer is a new one, and no held byte has changed.
  const more = Array.from({ length: 12 }, () => fill(250));
  expect(more.some((b) => b.bytes.buffer === first)).toBe(false);
  for (const b of [...held, ...more]) expect(b.bytes.equals(Buffer.from(line.repeat(b.rows)))).toBe(true);
  // Released (twice, harmlessly): the first buffer comes back for later rows.
  for (const b of [...held, ...more]) {
    b.release!();
    b.release!();
  }
  const later = Array.from({ length: 40 }, () => fill(250));
  expect(later.some((b) => b.bytes.buffer === first)).toBe(true);
  for (const b of later) expect(b.bytes.equals(Buffer.from(line.repeat(b.rows)))).toBe(true);
});
