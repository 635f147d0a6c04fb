import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { expect, test } from 'vitest';
import { xlsxStage } from '../../src/export/xlsx-writer.js';
import { openRecordSource } from '../../src/io/read-records.js';

// The XLSX writer stage on its own: NDJSON chunks in, a file the reader reads back.

test('a character split between two chunks of the source (as COPY cuts them) arrives whole', async () => {
  const line = `${JSON.stringify({ code: 'AG-1', name_uz: 'налоговой ʻ 🙂', name_ru: null, name_en: null, kind: 'agency', parent_code: null, tin: '012345678', region: 'UZ', website: null, email: null, phone: null, status: 'active', updated_at: '2026-01-31T08:00:00.123Z' })}\n`;
  const bytes = Buffer.from(line, 'utf8');
  const cut = bytes.indexOf(Buffer.from('л', 'utf8')) + 1; // inside the two bytes of л
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'egovctl-xw-'));
  try {
    const file = path.join(dir, 'a.xlsx');
    await pipeline(Readable.from([bytes.subarray(0, cut), bytes.subarray(cut)]), xlsxStage('agencies'), fs.createWriteStream(file));
    const src = await openRecordSource({ entity: 'agencies', path: file });
    const recs = [];
    for await (const r of src) recs.push(r);
    expect(src.issues).toEqual([]);
    expect(recs).toHaveLength(1);
    expect(recs[0]!.line).toBe(2);
    expect(recs[0]!.fields).toMatchObject({ code: 'AG-1', name_uz: 'налоговой ʻ 🙂', tin: '012345678', updated_at: '2026-01-31T08:00:00.123Z' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
