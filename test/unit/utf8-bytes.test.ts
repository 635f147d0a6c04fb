// Byte strings (src/text/utf8-bytes.ts): import's fast path reads a UTF-8 CSV file as latin1
// text and checks its records so. These tests hold it to what reading the decoded text
// gives: the same records, issues and values, or a plain "decode me" (null).
import { readdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CsvParser, MAX_RECORD_CHARS } from '../../src/io/csv-parser.js';
import { createByteDecoder } from '../../src/text/decode.js';
import { openRecordSource, type ReadOptions, type SourceRecord } from '../../src/io/read-records.js';
import { fromBytes, trimBytes, utf16Units } from '../../src/text/utf8-bytes.js';
import type { EntityName } from '../../src/records/fields.js';
import type { Issue } from '../../src/records/issues.js';
import { checkRecord, checkRecordBytes, checkSourceRecord } from '../../src/records/validate.js';
import { validateFile } from '../../src/validate/validate-file.js';

const toBytes = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
const dir = fileURLToPath(new URL('../fixtures/rules/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'egov-bytes-'));
const TODAY = { today: '2026-06-01' };
const HEADER = 'code,agency_code,name_uz,name_ru,name_en,description,audience,sector,status,fee_uzs,fee_bhm_percent,processing_days,channels,legal_basis,required_documents,output,effective_from,effective_to';

/** Every white space trim() knows beyond ASCII, and characters whose UTF-8 ends in the byte A0 or 80. */
const EDGES = [
  '\u00a0', '\u1680', '\u2000', '\u2005', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff',
  '\u0085', 'Р', 'р', 'Ѐ', 'ʻ', 'ʼ', '«', '»', '“', '—', '€', '😀', '𝔸', 'Ā', ' ', '\t', 'a', '=',
];

describe('trimBytes', () => {
  it('cuts what trim() cuts, or asks for the text', () => {
    for (const a of EDGES) {
      for (const z of EDGES) {
        for (const mid of ['', 'x', 'Лицензия', ' ']) {
          const s = `${a}${mid}${z}`;
          const t = trimBytes(toBytes(s));
          if (t !== null) expect(fromBytes(t)).toBe(s.trim());
        }
      }
    }
  });
  it('keeps a Cyrillic edge whose last byte is 0xA0 (trim() of the latin1 text would cut it)', () => {
    expect(fromBytes(trimBytes(toBytes('ПАСПОРТ ')) ?? '')).toBe('ПАСПОРТ');
    expect(trimBytes(toBytes('Р'))).toBe(toBytes('Р'));
    expect(toBytes('Р').trim()).not.toBe(toBytes('Р')); // the trap
  });
  it('asks for the text only for white space beyond ASCII', () => {
    expect(trimBytes(toBytes('\u00a0x'))).toBeNull();
    expect(trimBytes(toBytes('x\u3000'))).toBeNull();
    expect(trimBytes(toBytes('«x»'))).toBe(toBytes('«x»'));
    expect(trimBytes(toBytes(' 😀 '))).toBe(toBytes('😀'));
  });
});

describe('utf16Units', () => {
  it('counts the UTF-16 units of the text', () => {
    for (const s of ['', 'abc', 'Лицензия', 'a😀b𝔸', '€ʻ']) expect(utf16Units(toBytes(s), 0, toBytes(s).length)).toBe(s.length);
  });
});

describe('createByteDecoder', () => {
  const run = (chunks: Buffer[]) => {
    const d = createByteDecoder();
    const out = [...chunks.map((c) => d.write(c)), d.end()];
    return { text: out.map((o) => o.text).join(''), bad: out.flatMap((o) => o.bad) };
  };
  it('gives one character a byte, with the byte order mark dropped even when split', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a,Лицензия😀\n', 'utf8')]);
    const whole = run([bytes]);
    expect(whole).toEqual({ text: bytes.subarray(3).toString('latin1'), bad: [] });
    // every split, one byte at a time included
    expect(run([...bytes].map((b) => Buffer.from([b])))).toEqual(whole);
    for (let k = 1; k < bytes.length; k++) expect(run([bytes.subarray(0, k), bytes.subarray(k)])).toEqual(whole);
  });
  it('reports invalid bytes at their byte offsets, keeping them in the text', () => {
    const bytes = Buffer.from([0x61, 0x98, 0x62, 0xd0, 0x41, 0xd0]); // a, stray 98, b, D0 cut by A, D0 cut by the end
    const r = run([bytes.subarray(0, 4), bytes.subarray(4)]);
    expect(r.text).toBe(bytes.toString('latin1'));
    expect(r.bad).toEqual([{ offset: 1, bytes: '0x98' }, { offset: 3, bytes: '0xD0' }, { offset: 5, bytes: '0xD0' }]);
  });
});

describe('CsvParser on byte strings', () => {
  it('waits for the closing quote as long as the text parser does (its limit counts characters, not bytes)', () => {
    // 700,000 Cyrillic characters: 1.4 MB, under the limit of 1,048,576 characters.
    const value = 'Ж'.repeat(700_000);
    const open = `code\n"${value}`;
    expect(new CsvParser(',', false).push(open).map((i) => i.kind)).toEqual(['row']); // the header
    expect(new CsvParser(',', true).push(toBytes(open)).map((i) => i.kind)).toEqual(['row']);
    // Past the limit in characters both give up on the quote.
    const long = `code\n"${'Ж'.repeat(MAX_RECORD_CHARS)}\nnext`;
    expect(new CsvParser(',', false).push(long).map((i) => i.kind)).toEqual(['row', 'problem']);
    expect(new CsvParser(',', true).push(toBytes(long)).map((i) => i.kind)).toEqual(['row', 'problem']);
  });
});

// ── The two readings compared ──────────────────────────────────────────────────────────

async function readAll(opts: ReadOptions): Promise<{ records: SourceRecord[]; issues: Issue[]; skipped: number; bytes: boolean }> {
  const src = await openRecordSource(opts);
  const records: SourceRecord[] = [];
  for await (const r of src) records.push(r);
  return { records, issues: src.issues, skipped: src.skipped, bytes: src.bytes };
}

const decodeValue = (v: unknown): unknown => (typeof v === 'string' ? fromBytes(v) : Array.isArray(v) ? v.map(decodeValue) : v);

/** Reads a file both ways and holds the byte reading to the text one; returns how many records took the fast path. */
async function compare(entity: EntityName, path: string): Promise<{ fast: number; slow: number }> {
  const text = await readAll({ entity, path });
  const bytes = await readAll({ entity, path, utf8Bytes: true });
  expect(text.bytes).toBe(false);
  expect(bytes.bytes).toBe(true);
  // The reader's own issues (header, malformed records, encoding errors) come decoded.
  expect(bytes.issues).toEqual(text.issues);
  expect(bytes.skipped).toBe(text.skipped);
  expect(bytes.records.map((r) => r.line)).toEqual(text.records.map((r) => r.line));
  let fast = 0;
  let slow = 0;
  bytes.records.forEach((b, k) => {
    const t = text.records[k]!;
    expect(fromBytes(b.raw)).toBe(t.raw);
    const want = checkRecord(entity, t, TODAY);
    const got = checkSourceRecord(entity, b, true, TODAY);
    if (!got.asBytes) {
      // decoded, then checked as text: the very same (its cells may still hold white space
      // beyond ASCII at their edges, which the text reader cut and checkRecord cuts)
      slow++;
      expect(got.rec.raw).toBe(t.raw);
      expect(got.checked).toEqual(want);
      return;
    }
    fast++;
    expect(got.rec).toBe(b);
    const c = got.checked;
    expect(c.key === null ? null : fromBytes(c.key)).toBe(want.key);
    expect(c.issues).toEqual(want.issues);
    expect(c.values === null ? null : Object.fromEntries(Object.entries(c.values).map(([n, v]) => [n, decodeValue(v)]))).toEqual(want.values);
  });
  return { fast, slow };
}

let awkward = '';

describe('checkRecordBytes against checkRecord', () => {
  it('agrees on every rule fixture, or hands the record to the text reading', async () => {
    let fast = 0;
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.csv'))) {
      const entity: EntityName = name.includes('agencies') || name === 'hierarchy-cycle.csv' || name === 'unused-agency.csv' ? 'agencies' : 'services';
      fast += (await compare(entity, join(dir, name))).fast;
    }
    expect(fast).toBeGreaterThan(20);
  });

  it('agrees on generated records of awkward text: white space beyond ASCII, 0xA0 bytes, 4-byte characters, quotes, line ends', async () => {
    // A fixed pseudo-random sequence, so that a failure can be run again.
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    // A second sequence for the cases added since (NUL, a quote in an unquoted value, a
    // lone CR), so that the first one makes the records it always made.
    let seed2 = 777;
    const rnd2 = (n: number) => {
      seed2 = (seed2 * 1103515245 + 12345) & 0x7fffffff;
      return seed2 % n;
    };
    const alphabet = [...EDGES, 'Лицензия', 'Oʻzbek', '"', ',', '\n', '\r\n', '|', '\\', 'G2C', '1', '.', '-'];
    const text = (max: number) => Array.from({ length: rnd(max) }, () => alphabet[rnd(alphabet.length)]).join('');
    const cell = (s: string) => `"${s.replace(/"/g, '""')}"`;
    const sets = ['G2C', 'G2B|G2G', 'G2G|G2C', ' G2C ', '\u00a0G2C', 'G2C|'];
    const lines = [HEADER];
    for (let i = 0; i < 2500; i++) {
      const status = ['draft', 'active', 'retired'][rnd(3)]!;
      lines.push([
        `S-${i}`, rnd(5) ? 'MIN' : ' MIN\u00a0', cell(`Nom ${text(6)}`), cell(text(6)), rnd(3) ? cell(text(3)) : '', cell(text(12)),
        cell(sets[rnd(sets.length)]!), rnd2(20) ? cell(text(2)) : `un"quoted${text(2).replace(/[",\r\n]/g, '')}`, status, rnd(2) ? '1500' : '', rnd(4) ? '' : '0.5', String(rnd(400)),
        'portal', status === 'active' || rnd(2) ? cell(`PQ-1 ${text(4)}`) : '', cell(`${text(3)}|${text(3)}`), rnd2(40) ? cell(text(2)) : cell(`${text(2)}\u0000${['\r', '\r\n', '\n'][rnd2(3)]}`), status === 'active' || rnd(2) ? '2024-01-01' : '', rnd(10) ? '' : '2025-02-30',
      ].join(','));
    }
    const path = join(tmp, 'awkward.csv');
    // Line ends of every kind, mixed (a lone CR ends a line too).
    writeFileSync(path, lines.map((l) => l + ['\n', '\r\n', '\r'][rnd2(3)]).join(''));
    awkward = path;
    const { fast, slow } = await compare('services', path);
    // Both paths taken, often.
    expect(fast).toBeGreaterThan(40);
    expect(slow).toBeGreaterThan(40);
  });

  it('agrees on invalid bytes, in a code too (each one U+FFFD in the key, as the text reader has it)', async () => {
    const row = (code: Buffer, name: Buffer | string) =>
      Buffer.concat([code, Buffer.from(',MIN,'), Buffer.from(name), Buffer.from(',,,,G2C,,draft,,,1,portal,,,,,\n')]);
    const bytes = Buffer.concat([
      Buffer.from(`${HEADER}\n`),
      row(Buffer.from('S-1'), 'Nom'),
      row(Buffer.from([0x53, 0x2d, 0xe2, 0x82, 0x41]), 'Nom'), // S-, a cut 3-byte sequence, A
      row(Buffer.from('S-3'), 'Р\u00a0'),
      row(Buffer.from('S-4'), Buffer.from([0xd0, 0x20, 0xff])),
      row(Buffer.from('S-5'), 'Nom'),
    ]);
    const path = join(tmp, 'bad-bytes.csv');
    writeFileSync(path, bytes);
    const text = await readAll({ entity: 'services', path });
    expect(text.issues.map((i) => [i.code, i.line, i.key])).toEqual([['encoding-error', 3, 'S-\ufffd\ufffdA'], ['encoding-error', 5, 'S-4']]);
    await compare('services', path);
  });

  it('agrees on a record too long to keep: the same prefix of it, in characters', async () => {
    for (const lead of ['Ж', '😀', 'a']) {
      const long = `S-1,MIN,"${lead.repeat(150)}${'Жx😀'.repeat(400_000)}",,,,G2C,,draft,,,1,portal,,,,,`;
      const path = join(tmp, `long-${lead.length}.csv`);
      writeFileSync(path, `${HEADER}\n${long}\nS-2,MIN,Nom,,,,G2C,,draft,,,1,portal,,,,,\n`);
      const text = await readAll({ entity: 'services', path });
      expect(text.issues.map((i) => [i.code, i.line])).toEqual([['malformed-record', 2]]);
      await compare('services', path);
    }
  });

  it('takes lengths in characters, not bytes: a Cyrillic name of 300 characters (600 bytes) within 500 passes as text', async () => {
    const name = 'Ж'.repeat(300);
    const path = join(tmp, 'long.csv');
    const row = (code: string, n: string) => `${code},MIN,${n},,,,G2C,,draft,,,1,portal,,,,,`;
    writeFileSync(path, [HEADER, row('S-1', name), row('S-2', 'Ж'.repeat(501))].join('\n') + '\n');
    const bytes = await readAll({ entity: 'services', path, utf8Bytes: true });
    expect(checkRecordBytes('services', bytes.records[0]!, TODAY)).toBeNull(); // 600 bytes > 500: the text decides
    const text = await readAll({ entity: 'services', path });
    const errors = (r: SourceRecord) => checkRecord('services', r, TODAY).issues.filter((i) => i.severity === 'error').map((i) => i.code);
    expect(errors(text.records[0]!)).toEqual([]);
    expect(errors(text.records[1]!)).toEqual(['out-of-range']);
  });

  it('reads byte strings only from UTF-8 CSV', async () => {
    const csv = join(dir, 'services-good.csv');
    expect((await readAll({ entity: 'services', path: csv, utf8Bytes: true, encoding: 'cp1251' })).bytes).toBe(false);
    expect((await readAll({ entity: 'services', path: join(dir, 'services-good.json'), utf8Bytes: true })).bytes).toBe(false);
    const stdin = Readable.from([Buffer.from('code\n')]);
    expect((await openRecordSource({ entity: 'services', path: '-', format: 'csv', stdin, utf8Bytes: true })).bytes).toBe(true);
  });
});

describe('validate file', () => {
  it('reports the same as reading the text, on every rule fixture and on awkward text', async () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.csv')).map((f) => join(dir, f));
    expect(awkward).not.toBe(''); // written by the test above
    for (const path of [...files, awkward]) {
      const entity: EntityName = /agencies|hierarchy-cycle|unused-agency/.test(path) ? 'agencies' : 'services';
      const agenciesFile = entity === 'services' ? { entity: 'agencies' as const, path: join(dir, 'agencies.csv') } : undefined;
      const asText = await validateFile({ entity, path, utf8Bytes: false, agenciesFile, today: TODAY.today });
      const asBytes = await validateFile({ entity, path, agenciesFile, today: TODAY.today });
      expect(asBytes).toEqual(asText);
    }
  });
});
