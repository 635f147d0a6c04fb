// The readers of SPEC §2: formats, line numbers, delimiters, gzip, encodings, standard input.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { detectFormat, openRecordSource, type ReadOptions, type SourceRecord } from '../../src/io/read-records.js';
import type { Issue } from '../../src/records/issues.js';
import { checkRecord } from '../../src/records/validate.js';

const dir = fileURLToPath(new URL('../fixtures/rules/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'egov-read-'));
let n = 0;

function file(name: string, content: string | Buffer): string {
  const p = join(tmp, `${n++}-${name}`);
  writeFileSync(p, content);
  return p;
}

async function readAll(opts: ReadOptions): Promise<{ records: SourceRecord[]; issues: Issue[]; skipped: number }> {
  const src = await openRecordSource(opts);
  const records: SourceRecord[] = [];
  for await (const r of src) records.push(r);
  return { records, issues: src.issues, skipped: src.skipped };
}

const brief = (i: Issue) => [i.code, i.line, i.key];

const AGENCY_HEADER = 'code,name_uz,name_ru,name_en,kind,parent_code,tin,region,website,email,phone,status';

describe('detectFormat', () => {
  it('goes by the extension, gzip or not', () => {
    expect(['a.csv', 'A.CSV.GZ', 'a.json', 'a.json.gz', 'a.ndjson', 'a.jsonl', 'a.jsonl.gz'].map((p) => detectFormat(p)))
      .toEqual(['csv', 'csv', 'json', 'json', 'ndjson', 'ndjson', 'ndjson']);
  });
  it('lets --format win', () => {
    expect(detectFormat('data.txt', 'ndjson')).toBe('ndjson');
    expect(detectFormat('-', 'csv')).toBe('csv');
  });
  it('needs --format for standard input and unknown names', () => {
    expect(() => detectFormat('-')).toThrow(UsageError);
    expect(() => detectFormat('data.txt')).toThrow(/--format/);
    expect(() => detectFormat('a.csv', 'xml')).toThrow(UsageError);
  });
  it('refuses unknown encodings and delimiters as usage errors', async () => {
    const path = dir + 'services-good.csv';
    await expect(openRecordSource({ entity: 'services', path, encoding: 'latin1' as 'utf8' })).rejects.toThrow(UsageError);
    await expect(openRecordSource({ entity: 'services', path, delimiter: '|' as ',' })).rejects.toThrow(UsageError);
  });
  it('turns a missing file into a usage error', async () => {
    await expect(openRecordSource({ entity: 'services', path: join(tmp, 'nope.csv') })).rejects.toThrow('does not exist');
  });
});

describe('CSV, JSON and NDJSON give the same records', () => {
  const canonical = async (format: string) => {
    const { records, issues } = await readAll({ entity: 'services', path: dir + 'services-good.' + format });
    expect(issues).toEqual([]);
    return records.map((r) => {
      const c = checkRecord('services', r, { today: '2026-06-01' });
      expect(c.issues).toEqual([]);
      return c.values;
    });
  };

  it('in their canonical form', async () => {
    const csv = await canonical('csv');
    expect(await canonical('json')).toEqual(csv);
    expect(await canonical('ndjson')).toEqual(csv);
    expect(csv[0]).toMatchObject({ audience: ['G2C', 'G2B'], fee_uzs: '1500', description: 'Ikki qatorli\nтавсиф, "iqtibos"' });
    expect(csv[1]).toMatchObject({
      fee_uzs: null, fee_bhm_percent: '0.5', channels: ['portal', 'api'], processing_days: 0, required_documents: null, name_en: null,
    });
    expect(csv[2]).toMatchObject({ fee_uzs: '13811.5', description: 'spaces around', sector: null, effective_to: '2099-12-31' });
  });

  it('with the line each record starts on, and record numbers for a JSON array', async () => {
    const at = async (format: string) => (await readAll({ entity: 'services', path: dir + 'services-good.' + format })).records.map((r) => [r.line, r.record]);
    expect(await at('csv')).toEqual([[2, undefined], [4, undefined], [5, undefined]]);
    expect(await at('json')).toEqual([[2, 1], [32, 2], [58, 3]]);
    expect(await at('ndjson')).toEqual([[1, undefined], [2, undefined], [3, undefined]]);
  });
});

describe('CSV', () => {
  const good = readFileSync(dir + 'services-good.csv', 'utf8');

  it('drops a byte-order mark and accepts CRLF', async () => {
    const { records, issues } = await readAll({ entity: 'services', path: file('bom.csv', '\uFEFF' + good.replace(/\n/g, '\r\n')) });
    expect(issues).toEqual([]);
    expect(records.map((r) => [r.line, r.fields['code'], r.fields['effective_to']])).toEqual([[2, 'SRV-001', null], [4, 'SRV-002', null], [5, 'SRV-003', '2099-12-31']]);
    // a line end inside quotes is part of the value, as written
    expect(records[0]!.fields['description']).toBe('Ikki qatorli\r\nтавсиф, "iqtibos"');
    expect(records[0]!.raw.endsWith('\r')).toBe(false);
  });

  it('gives the start line of records spanning several lines', async () => {
    const text = 'code,name_uz,kind,region,status\n' +
      'A1,"one\ntwo\n\nfour",agency,UZ,active\n' +
      'A2,plain,agency,UZ,active\n' +
      '\n' + // a blank line is skipped but counted
      'A3,"x",agency,"U\nZ",active\n' +
      'A4,"""quoted""\nname",agency,UZ,active';
    const { records, issues } = await readAll({ entity: 'agencies', path: file('multi.csv', text) });
    expect(issues).toEqual([]);
    expect(records.map((r) => [r.fields['code'], r.line])).toEqual([['A1', 2], ['A2', 6], ['A3', 8], ['A4', 10]]);
    expect(records[0]!.fields['name_uz']).toBe('one\ntwo\n\nfour');
    expect(records[3]!.fields['name_uz']).toBe('"quoted"\nname');
    expect(records[3]!.raw).toBe('A4,"""quoted""\nname",agency,UZ,active');
  });

  it('reads the same records when the bytes arrive one at a time', async () => {
    const bytes = Buffer.from('\uFEFF' + good.replace(/\n/g, '\r\n'));
    const stdin = Readable.from(Array.from(bytes, (b) => Buffer.from([b])));
    const one = await readAll({ entity: 'services', path: '-', format: 'csv', stdin });
    const whole = await readAll({ entity: 'services', path: file('whole.csv', bytes) });
    expect(one.issues).toEqual([]);
    expect(one.records).toEqual(whole.records);
  });

  it.each([[';', 'semicolon'], ['\t', 'tab']] as const)('takes %j as delimiter (%s)', async (d, _name) => {
    const text = [AGENCY_HEADER, 'AG-01,Adliya vazirligi,Министерство юстиции,,ministry,,012345678,UZ,,,,active']
      .map((l) => l.replace(/,/g, d)).join('\n') + '\n';
    const { records, issues } = await readAll({ entity: 'agencies', path: file('d.csv', text), delimiter: d });
    expect(issues).toEqual([]);
    expect(records[0]!.fields).toMatchObject({ code: 'AG-01', name_ru: 'Министерство юстиции', tin: '012345678', parent_code: null });
    const checked = checkRecord('agencies', records[0]!);
    expect(checked.values!['tin']).toBe('012345678'); // a tax number stays text
  });

  it('reports wrong cell counts and unclosed quotes, and goes on', async () => {
    const text = 'code,name_uz,kind,region,status\n' +
      'A1,ok,agency,UZ,active\n' +
      'A2,short\n' +
      'A3,ok,agency,UZ,active,extra\n' +
      'A4,"never closed,agency,UZ,active\n' +
      'A5,ok,agency,UZ,active\n';
    const { records, issues, skipped } = await readAll({ entity: 'agencies', path: file('bad.csv', text) });
    expect(records.map((r) => [r.fields['code'], r.line])).toEqual([['A1', 2], ['A5', 6]]);
    expect(issues.map(brief)).toEqual([['malformed-record', 3, 'A2'], ['malformed-record', 4, 'A3'], ['malformed-record', 5, null]]);
    expect(issues[2]!.message).toBe('a quoted value opened on line 5 is never closed');
    expect(issues[2]!.value).toBe('A4,"never closed,agency,UZ,active');
    expect(skipped).toBe(3);
  });

  it('yields nothing after a bad header', async () => {
    const { records, issues } = await readAll({ entity: 'agencies', path: file('h.csv', 'code,name_uz,kind,region\nA1,x,agency,UZ\n') });
    expect(records).toEqual([]);
    expect(issues.map((i) => [i.code, i.line, i.field])).toEqual([['header-missing-column', 1, 'status']]);
  });

  it('calls an empty file a missing header', async () => {
    const { issues } = await readAll({ entity: 'agencies', path: file('empty.csv', '') });
    expect(issues.map(brief)).toEqual([['header-missing-column', 1, null]]);
  });

  it('accepts optional columns left out and updated_at given', async () => {
    const { records, issues } = await readAll({ entity: 'agencies', path: file('o.csv', 'status,region,kind,name_uz,code,updated_at\nactive,UZ,agency,X,A1,2020-01-01T00:00:00Z\n') });
    expect(issues).toEqual([]);
    const c = checkRecord('agencies', records[0]!);
    expect(c.issues.map((i) => i.code)).toEqual(['missing-translation']);
    expect(c.values).not.toHaveProperty('updated_at');
  });
});

describe('gzip', () => {
  const good = readFileSync(dir + 'services-good.csv');
  it('by the .gz extension and by the magic bytes', async () => {
    const plain = await readAll({ entity: 'services', path: dir + 'services-good.csv' });
    const byName = await readAll({ entity: 'services', path: file('s.csv.gz', gzipSync(good)) });
    const byMagic = await readAll({ entity: 'services', path: file('s.csv', gzipSync(good)) });
    expect(byName.records).toEqual(plain.records);
    expect(byMagic.records).toEqual(plain.records);
  });
  it('calls a broken gzip file a data error', async () => {
    const broken = gzipSync(good).subarray(0, 40);
    await expect(readAll({ entity: 'services', path: file('b.csv.gz', broken) })).rejects.toThrow(/not a valid gzip file/);
  });
});

describe('encodings', () => {
  const text = `${AGENCY_HEADER}\nAG-01,Adliya vazirligi,Министерство юстиции,,ministry,,,UZ,,,,active\nAG-02,"Qo'mita",Комитет «Ёш»,,committee,AG-01,,UZ,,,,active\n`;
  const expected = [['AG-01', 'Министерство юстиции', 2], ['AG-02', 'Комитет «Ёш»', 3]];
  const names = (r: SourceRecord[]) => r.map((x) => [x.fields['code'], x.fields['name_ru'], x.line]);

  it('reads UTF-16LE, with or without a byte-order mark', async () => {
    for (const bom of [true, false]) {
      const bytes = iconv.encode(text, 'utf16le', { addBOM: bom });
      const { records, issues } = await readAll({ entity: 'agencies', path: file('u16.csv', bytes), encoding: 'utf16le' });
      expect(issues).toEqual([]);
      expect(names(records)).toEqual(expected);
    }
  });

  it('reads Windows-1251', async () => {
    const { records, issues } = await readAll({ entity: 'agencies', path: file('cp.csv', iconv.encode(text, 'win1251')), encoding: 'cp1251' });
    expect(issues).toEqual([]);
    expect(names(records)).toEqual(expected);
  });

  it('reports an invalid UTF-8 byte with its line and skips that record only', async () => {
    const bytes = Buffer.concat([Buffer.from(text), Buffer.from('AG-03,Bad \xC3\x28 name,,,agency,,,UZ,,,,active\nAG-04,Ok,,,agency,,,UZ,,,,active\n', 'latin1')]);
    const { records, issues, skipped } = await readAll({ entity: 'agencies', path: file('bad8.csv', bytes) });
    expect(records.map((r) => r.fields['code'])).toEqual(['AG-01', 'AG-02', 'AG-04']);
    expect(issues.map(brief)).toEqual([['encoding-error', 4, 'AG-03']]);
    expect(issues[0]!.value).toBe('0xC3');
    expect(skipped).toBe(1);
  });

  it('reports the undefined cp1251 byte 0x98', async () => {
    const bytes = Buffer.concat([iconv.encode(text, 'win1251'), Buffer.from([0x41, 0x47, 0x2d, 0x30, 0x33, 0x2c, 0x98]), Buffer.from(',,,agency,,,UZ,,,,active\n')]);
    const { records, issues } = await readAll({ entity: 'agencies', path: file('bad1251.csv', bytes), encoding: 'cp1251' });
    expect(records.map((r) => r.fields['code'])).toEqual(['AG-01', 'AG-02']);
    expect(issues.map(brief)).toEqual([['encoding-error', 4, 'AG-03']]);
    expect(issues[0]!.value).toBe('0x98');
  });

  it('refuses a cp1251 file read as UTF-8 instead of garbling it', async () => {
    const { records, issues } = await readAll({ entity: 'agencies', path: file('cp-as-8.csv', iconv.encode(text, 'win1251')) });
    expect(records).toEqual([]);
    expect(issues.map(brief)).toEqual([['encoding-error', 2, 'AG-01'], ['encoding-error', 3, 'AG-02']]);
    expect(issues[0]!.message).toBe('line 2 has bytes (0xCC 0xE8 0xED 0xE8 0xF1 0xF2 0xE5 0xF0 …) not valid in UTF-8; if the file was saved as Windows Cyrillic, use --encoding cp1251');
  });

  it('suggests utf16le for a UTF-16 file read as UTF-8', async () => {
    const { records, issues } = await readAll({ entity: 'agencies', path: file('u16-as-8.csv', iconv.encode(text, 'utf16le', { addBOM: true })) });
    expect(records).toEqual([]);
    expect(issues.map(brief)).toEqual([['encoding-error', 1, null]]);
    expect(issues[0]!.message).toMatch(/use --encoding utf16le$/);
  });

  it('reports an unpaired surrogate in UTF-16LE', async () => {
    const bytes = Buffer.concat([iconv.encode(text, 'utf16le'), iconv.encode('AG-03,X', 'utf16le'), Buffer.from([0x00, 0xd8]), iconv.encode(',,,agency,,,UZ,,,,active\n', 'utf16le')]);
    const { records, issues } = await readAll({ entity: 'agencies', path: file('lone.csv', bytes), encoding: 'utf16le' });
    expect(records.map((r) => r.fields['code'])).toEqual(['AG-01', 'AG-02']);
    expect(issues.map(brief)).toEqual([['encoding-error', 4, 'AG-03']]);
    expect(issues[0]!.value).toBe('0x00 0xD8');
  });

  it('ties a bad byte in JSON and NDJSON to its record', async () => {
    const json = Buffer.concat([Buffer.from('[\n{"code": "A1"},\n{"code": "A'), Buffer.from([0xff]), Buffer.from('2"},\n{"code": "A3"}\n]')]);
    const a = await readAll({ entity: 'agencies', path: file('bad.json', json) });
    expect(a.records.map((r) => r.fields['code'])).toEqual(['A1', 'A3']);
    expect(a.issues.map((i) => [i.code, i.line, i.record])).toEqual([['encoding-error', 3, 2]]);
    const nd = Buffer.concat([Buffer.from('{"code": "A1"}\n{"code": "A'), Buffer.from([0xff]), Buffer.from('2"}\n{"code": "A3"}\n')]);
    const b = await readAll({ entity: 'agencies', path: file('bad.ndjson', nd) });
    expect(b.records.map((r) => r.fields['code'])).toEqual(['A1', 'A3']);
    expect(b.issues.map((i) => [i.code, i.line])).toEqual([['encoding-error', 2]]);
  });

  it('reports a UTF-8 sequence the file cuts short', async () => {
    const bytes = Buffer.concat([Buffer.from(text), Buffer.from('AG-03,Ok,,,agency,,,UZ,,,,active,'), Buffer.from([0xd0])]);
    const { issues } = await readAll({ entity: 'agencies', path: file('cut.csv', bytes) });
    expect(issues.map(brief)).toEqual([['encoding-error', 4, 'AG-03']]);
  });
});

describe('JSON and NDJSON', () => {
  it('reports an element that is not an object with its line and record number', async () => {
    const text = '[\n  {"code": "A1"},\n  42,\n  {"code": "A3",\n   "name_uz": "x"},\n  [1],\n  {"code": "A5"}\n]\n';
    const { records, issues } = await readAll({ entity: 'agencies', path: file('a.json', text) });
    expect(records.map((r) => [r.fields['code'], r.line, r.record])).toEqual([['A1', 2, 1], ['A3', 4, 3], ['A5', 7, 5]]);
    expect(issues.map((i) => [i.code, i.line, i.record, i.message])).toEqual([
      ['malformed-record', 3, 2, 'record 2 is not an object but a number'],
      ['malformed-record', 6, 4, 'record 4 is not an object but an array'],
    ]);
  });

  it('reports a file that is not an array', async () => {
    const { records, issues } = await readAll({ entity: 'agencies', path: file('o.json', '{"code": "A1"}\n') });
    expect(records).toEqual([]);
    expect(issues.map((i) => [i.code, i.line])).toEqual([['malformed-record', 1]]);
    expect(issues[0]!.message).toMatch(/ndjson/);
  });

  it('reports invalid JSON inside an element and an unclosed array', async () => {
    const { records, issues } = await readAll({ entity: 'agencies', path: file('b.json', '[{"code": "A1"},\n{"code": A2},\n{"code": "A3"}\n') });
    expect(records.map((r) => r.fields['code'])).toEqual(['A1', 'A3']);
    expect(issues.map((i) => [i.code, i.line, i.record])).toEqual([['malformed-record', 2, 2], ['malformed-record', 4, undefined]]);
  });

  it('skips blank NDJSON lines and reports bad ones by line', async () => {
    const text = '{"code": "A1"}\n\n{"code": \n["A3"]\r\n{"code": "A5"}';
    const { records, issues } = await readAll({ entity: 'agencies', path: file('a.ndjson', text) });
    expect(records.map((r) => [r.fields['code'], r.line])).toEqual([['A1', 1], ['A5', 5]]);
    expect(issues.map((i) => [i.code, i.line])).toEqual([['malformed-record', 3], ['malformed-record', 4]]);
  });

  it('reads standard input', async () => {
    const stdin = Readable.from([Buffer.from('{"code": "A1", "status": "active"}\n{"code": "A2"}\n')]);
    const src = await openRecordSource({ entity: 'agencies', path: '-', format: 'ndjson', stdin });
    expect(src.sourceName).toBe('stdin');
    const got: unknown[] = [];
    for await (const r of src) got.push(r.fields);
    expect(got).toEqual([{ code: 'A1', status: 'active' }, { code: 'A2' }]);
  });

  it('reads no further ahead than a slow consumer needs (back-pressure)', async () => {
    let produced = 0;
    async function* lines() {
      yield Buffer.from('code,name_uz,kind,region,status\n');
      for (let i = 0; i < 100_000; i++) {
        produced++;
        yield Buffer.from(`A${i},name,agency,UZ,active\n`);
      }
    }
    const src = await openRecordSource({ entity: 'agencies', path: '-', format: 'csv', stdin: Readable.from(lines()) });
    const it = src[Symbol.asyncIterator]();
    expect((await it.next()).value.fields.code).toBe('A0');
    await new Promise((r) => setTimeout(r, 50));
    expect(produced).toBeLessThan(100);
    await it.return!();
  });

  it('can be stopped with an AbortSignal', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(readAll({ entity: 'services', path: dir + 'services-good.csv', signal: ac.signal })).rejects.toThrow('stop');
  });
});
