// The readers on hostile input (issues 12 and 13): nothing crashes them, every reading is
// linear, a value past every limit is reported once with a prefix and reading goes on, and
// once a reader has stopped it reads nothing more. Big inputs are generated as streams.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { MAX_RECORD_CHARS, PREFIX_CHARS } from '../../src/io/csv-parser.js';
import { openRecordSource, type ReadOptions, type SourceRecord } from '../../src/io/read-records.js';
import type { Issue } from '../../src/records/issues.js';
import { checkRecord } from '../../src/records/validate.js';
import { validateFile } from '../../src/validate/validate-file.js';

const tmp = mkdtempSync(join(tmpdir(), 'egov-hostile-'));
let n = 0;
function file(name: string, content: string | Buffer): string {
  const p = join(tmp, `${n++}-${name}`);
  writeFileSync(p, content);
  return p;
}

const AGENCY_HEADER = 'code,name_uz,name_ru,name_en,kind,parent_code,tin,region,website,email,phone,status';
const agency = (code: string, name = 'Vazirlik') => `${code},${name},,,ministry,,,UZ,,,,active`;
const MB = 1 << 20;

interface Pulled {
  stream: Readable;
  /** bytes the reader has taken from the stream so far */
  pulled(): number;
}

/** A stream of `head`, then at least `total` bytes of `fill` repeated (in pieces of about 64 KB), then `tail`, made as it is read. */
function generated(head: string, fill: string, total: number, tail = ''): Pulled {
  let pulled = 0;
  const piece = Buffer.from(fill.repeat(Math.max(1, Math.floor((64 << 10) / fill.length)))); // whole fills only
  function* parts(): Generator<Buffer> {
    yield Buffer.from(head);
    for (let k = 0; k < total; k += piece.length) yield piece; // whole pieces: at least `total`
    yield Buffer.from(tail);
  }
  const stream = Readable.from((function* () {
    for (const p of parts()) {
      pulled += p.length;
      yield p;
    }
  })(), { objectMode: false, highWaterMark: 64 << 10 });
  return { stream, pulled: () => pulled };
}

async function readAll(opts: ReadOptions): Promise<{ records: SourceRecord[]; issues: Issue[]; skipped: number }> {
  const src = await openRecordSource(opts);
  const records: SourceRecord[] = [];
  for await (const r of src) records.push(r);
  return { records, issues: src.issues, skipped: src.skipped };
}

const brief = (i: Issue) => [i.code, i.line];

describe('no input crashes a reader (13.1)', () => {
  it('reports a header of 250,000 cells (the crash came at about 120,000), one issue a column, without a stack overflow', async () => {
    const header = Array.from({ length: 250_000 }, () => 'c').join(',');
    const { issues } = await readAll({ entity: 'agencies', path: file('wide.csv', `${header}\n`) });
    expect(issues.filter((i) => i.code === 'header-duplicate-column')).toHaveLength(249_999);
  }, 60_000);
});

describe('CR line ends (13.2)', () => {
  const rows = [AGENCY_HEADER, agency('AG-01'), '"AG-02","Ikki\rqatorli",,,ministry,,,UZ,,,,active', agency('AG-03'), agency('AG-04')];

  it('takes a lone CR for a line end, in files that mix CR, LF and CRLF, counting each once', async () => {
    const text = `${rows[0]}\r${rows[1]}\n${rows[2]}\r\n\r${rows[3]}\r${rows[4]}`;
    const { records, issues } = await readAll({ entity: 'agencies', path: file('mixed.csv', text) });
    expect(issues).toEqual([]);
    // line 5 is blank; AG-02's value holds a CR, so AG-03 starts on line 6
    expect(records.map((r) => [r.fields.code, r.line])).toEqual([['AG-01', 2], ['AG-02', 3], ['AG-03', 6], ['AG-04', 7]]);
    expect(records[1]!.fields.name_uz).toBe('Ikki\rqatorli');
  });

  it('gives the same records when the text comes a byte at a time (a CR at a chunk end may have its LF in the next)', async () => {
    const text = `${rows[0]}\r\n${rows[1]}\r${rows[2]}\r\n${rows[3]}\r\n`;
    const whole = await readAll({ entity: 'agencies', path: file('crlf.csv', text) });
    const bytes = Buffer.from(text);
    const stdin = Readable.from((function* () {
      for (let i = 0; i < bytes.length; i++) yield bytes.subarray(i, i + 1);
    })());
    const split = await readAll({ entity: 'agencies', path: '-', format: 'csv', stdin });
    expect(split.records.map((r) => r.line)).toEqual([2, 3, 5]);
    expect(split).toEqual(whole);
  });

  it('reads a CR-only file of 8 MB in linear time (it took 24 s re-parsing one endless record)', async () => {
    const g = generated(`${AGENCY_HEADER}\r`, `${agency('AG-01', 'Vazirlik nomi')}\r`, 8 * MB);
    const src = await openRecordSource({ entity: 'agencies', path: '-', format: 'csv', stdin: g.stream });
    let count = 0;
    let last = 0;
    for await (const r of src) {
      count++;
      last = r.line;
    }
    expect(src.issues.filter((i) => i.code === 'malformed-record')).toEqual([]);
    expect(count).toBeGreaterThan(150_000);
    expect(last).toBe(count + 1);
  }, 20_000);

  it('reads NDJSON and JSON with CR line ends, with their line numbers', async () => {
    const nd = await readAll({ entity: 'agencies', path: file('cr.ndjson', '{"code":"AG-01"}\r{"code":"AG-02"}\r\n\r{"code":"AG-03"}') });
    expect(nd.records.map((r) => [r.fields.code, r.line])).toEqual([['AG-01', 1], ['AG-02', 2], ['AG-03', 4]]);
    const js = await readAll({ entity: 'agencies', path: file('cr.json', '[\r{"code":"AG-01"},\r\n{"code":\r"AG-02"},\r{"code":"AG-03"}]') });
    expect(js.records.map((r) => [r.fields.code, r.line])).toEqual([['AG-01', 2], ['AG-02', 3], ['AG-03', 5]]);
  });
});

describe('JSON read in pieces', () => {
  it('gives the same records and lines a byte at a time as whole (an element scanned on from where it stopped)', async () => {
    const big = 'x'.repeat(20_000);
    const json = `[\r\n{"code":"AG-01","name_uz":"a \\" [{ b"},\r{"code":"AG-02",\r\n"name_uz":"${big}","name_ru":["\\\\", "}"]},\n{"code":"AG-03"}]\n`;
    const whole = await readAll({ entity: 'agencies', path: file('pieces.json', json) });
    expect(whole.issues).toEqual([]);
    expect(whole.records.map((r) => [r.fields.code, r.line])).toEqual([['AG-01', 2], ['AG-02', 3], ['AG-03', 5]]);
    const bytes = Buffer.from(json);
    for (const size of [1, 7, 4096]) {
      const stdin = Readable.from((function* () {
        for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
      })());
      expect(await readAll({ entity: 'agencies', path: '-', format: 'json', stdin })).toEqual(whole);
    }
  }, 30_000);
});

describe('a quote inside an unquoted value (13.3)', () => {
  it('is a malformed-record that says to quote the value, and the next record is read', async () => {
    const text = [AGENCY_HEADER, 'AG-01, "Pasport berish",,,ministry,,,UZ,,,,active', agency('AG-02'), 'AG-03,Say "hi",,,ministry,,,UZ,,,,active', ''].join('\n');
    const { records, issues } = await readAll({ entity: 'agencies', path: file('stray.csv', text) });
    expect(issues.map(brief)).toEqual([['malformed-record', 2], ['malformed-record', 4]]);
    expect(issues[0]!.message).toMatch(/value 2 holds a " .*put the whole value in double quotes/);
    expect(records.map((r) => r.fields.code)).toEqual(['AG-02']);
  });
});

describe('JSON (13.4, 12.6)', () => {
  it('reports a trailing comma before ]', async () => {
    const { records, issues } = await readAll({ entity: 'agencies', path: file('comma.json', '[{"code":"AG-01"},\n]') });
    expect(records).toHaveLength(1);
    expect(issues.map(brief)).toEqual([['malformed-record', 2]]);
    expect(issues[0]!.message).toMatch(/trailing comma/);
  });

  it('reports a lone surrogate escape as an encoding-error, in JSON and NDJSON; a pair escaped is text', async () => {
    const json = await readAll({ entity: 'agencies', path: file('sur.json', '[{"code":"AG-01","name_uz":"a\\uD800b"},{"code":"AG-02","name_uz":"\\ud83d\\ude00"}]') });
    expect(json.issues.map((i) => [i.code, i.line, i.record])).toEqual([['encoding-error', 1, 1]]);
    expect(json.issues[0]!.message).toMatch(/name_uz/);
    expect(json.records.map((r) => r.fields.name_uz)).toEqual(['😀']);
    const nd = await readAll({ entity: 'agencies', path: file('sur.ndjson', '{"code":"AG-01"}\n{"code":"AG-02","name_ru":["\\uDC00"]}\n') });
    expect(nd.issues.map(brief)).toEqual([['encoding-error', 2]]);
    expect(nd.records).toHaveLength(1);
  });

  it('reports nesting 5,000 deep as a malformed-record, and goes on', async () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const nd = await readAll({ entity: 'agencies', path: file('deep.ndjson', `{"code":"AG-01","name_uz":${deep}}\n{"code":"AG-02"}\n`) });
    expect(nd.issues.map(brief)).toEqual([['malformed-record', 1]]);
    expect(nd.issues[0]!.message).toMatch(/nested more than/);
    expect(nd.records.map((r) => r.fields.code)).toEqual(['AG-02']);
    const js = await readAll({ entity: 'agencies', path: file('deep.json', `[{"code":"AG-01","name_uz":${deep}},{"code":"AG-02"}]`) });
    expect(js.issues.map(brief)).toEqual([['malformed-record', 1]]);
    expect(js.records.map((r) => r.fields.code)).toEqual(['AG-02']);
  });

  it('stops reading a .json file that is not one array (NDJSON saved as .json): 64 MB offered, little taken', async () => {
    const g = generated('', '{"code":"AG-01","name_uz":"x"}\n', 64 * MB);
    const { records, issues } = await readAll({ entity: 'agencies', path: '-', format: 'json', stdin: g.stream });
    expect(records).toEqual([]);
    expect(issues.map(brief)).toEqual([['malformed-record', 1]]);
    expect(issues[0]!.message).toMatch(/ndjson/);
    expect(g.pulled()).toBeLessThan(4 * MB);
  });

  it('stops reading after an element too long to be a record', async () => {
    const g = generated('[{"code":"AG-01","name_uz":"', 'x', 64 * MB, '"}]');
    const { issues } = await readAll({ entity: 'agencies', path: '-', format: 'json', stdin: g.stream });
    expect(issues.map(brief)).toEqual([['malformed-record', 1]]);
    expect(issues[0]!.value!.length).toBeLessThanOrEqual(PREFIX_CHARS);
    expect(g.pulled()).toBeLessThan(16 * MB);
  }, 30_000);
});

describe('a value far beyond every limit (13.4, 12.5)', () => {
  it('in NDJSON: one malformed-record with a prefix of the line, and the next line is read', async () => {
    const g = generated('{"code":"AG-01","name_uz":"', 'n', 40 * MB, '"}\n{"code":"AG-02"}\n');
    const { records, issues, skipped } = await readAll({ entity: 'agencies', path: '-', format: 'ndjson', stdin: g.stream });
    expect(issues.map(brief)).toEqual([['malformed-record', 1]]);
    expect(issues[0]!.value!.length).toBeLessThanOrEqual(PREFIX_CHARS + 1);
    expect(issues[0]!.value!.startsWith('{"code":"AG-01"')).toBe(true);
    expect(records.map((r) => [r.fields.code, r.line])).toEqual([['AG-02', 2]]);
    expect(skipped).toBe(1);
  }, 30_000);

  for (const [kind, open, close] of [['unquoted', '', ''], ['quoted', '"', '"']] as const) {
    it(`in CSV, ${kind}: one malformed-record with a prefix, and the next record is read`, async () => {
      const g = generated(`${AGENCY_HEADER}\nAG-01,${open}`, 'v', 40 * MB, `${close},,,ministry,,,UZ,,,,active\n${agency('AG-02')}\n`);
      const { records, issues } = await readAll({ entity: 'agencies', path: '-', format: 'csv', stdin: g.stream });
      expect(issues.map(brief)).toEqual([['malformed-record', 2]]);
      expect(issues[0]!.value!.length).toBeLessThanOrEqual(PREFIX_CHARS + 1);
      expect(issues[0]!.message).toContain(MAX_RECORD_CHARS.toLocaleString('en-US'));
      expect(records.map((r) => [r.fields.code, r.line])).toEqual([['AG-02', 3]]);
    }, 30_000);
  }
});

describe('a long run of invalid bytes in a value too long to keep', () => {
  for (const format of ['csv', 'ndjson'] as const) {
    it(`in ${format}: one issue, and the next record is read (memory: test/e2e/hostile-inputs.test.ts)`, async () => {
      const head = format === 'csv' ? `${AGENCY_HEADER}\nAG-01,` : '{"code":"AG-01","name_uz":"';
      const tail = format === 'csv' ? `,,,ministry,,,UZ,,,,active\n${agency('AG-02')}\n` : '"}\n{"code":"AG-02"}\n';
      // 8 MB of the byte FF, never valid in UTF-8
      const stream = Readable.from((function* () {
        yield Buffer.from(head);
        for (let k = 0; k < 128; k++) yield Buffer.alloc(64 << 10, 0xff);
        yield Buffer.from(tail);
      })());
      const { records, issues } = await readAll({ entity: 'agencies', path: '-', format, stdin: stream });
      expect(issues).toHaveLength(1);
      expect(issues[0]!.line).toBe(format === 'csv' ? 2 : 1);
      expect(records.map((r) => r.fields.code)).toEqual(['AG-02']);
    }, 60_000);
  }
});

describe('a gzip bomb (12.5)', () => {
  it('is a data error once it inflates past 200:1, not followed to its end', async () => {
    // 64 MB of NULs compress to 64 KB; as NDJSON it is one endless line, dropped as it comes.
    const path = file('bomb.ndjson.gz', gzipSync(Buffer.alloc(64 * MB), { level: 9 }));
    const err = await readAll({ entity: 'agencies', path }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(/inflates to more than 200 times/);
  });

  it('leaves a gzip file of ordinary records alone', async () => {
    const rows = [AGENCY_HEADER, ...Array.from({ length: 30_000 }, (_, i) => agency(`AG-${i}`))].join('\n');
    const { records, issues } = await readAll({ entity: 'agencies', path: file('ok.csv.gz', gzipSync(rows)) });
    expect(issues).toEqual([]);
    expect(records).toHaveLength(30_000);
  });
});

describe('U+0000 (12.6)', () => {
  it('is an encoding-error on its line, from CSV, JSON escapes and JSON lists', async () => {
    const csv = await readAll({ entity: 'agencies', path: file('nul.csv', `${AGENCY_HEADER}\n${agency('AG-01', 'a\u0000b')}\n${agency('AG-02')}\n`) });
    const json = await readAll({ entity: 'services', path: file('nul.ndjson', '{"code":"SV-1","required_documents":["ok","x\\u0000"]}\n') });
    const checked = [...csv.records.map((r) => checkRecord('agencies', r)), ...json.records.map((r) => checkRecord('services', r))];
    const nul = checked.flatMap((c) => c.issues).filter((i) => i.code === 'encoding-error');
    expect(nul.map((i) => [i.line, i.field])).toEqual([[2, 'name_uz'], [1, 'required_documents']]);
    expect(nul[0]!.message).toMatch(/U\+0000/);
    expect(checked[1]!.values).not.toBeNull();
  });
});

describe('--agencies is read with its own encoding (13.5)', () => {
  const services = 'code,agency_code,name_uz,audience,status,processing_days,channels,legal_basis,effective_from\nSV-1,AG-01,Xizmat,G2C,draft,1,portal,,\n';
  const agencies = `${AGENCY_HEADER}\n${agency('AG-01', 'Вазирлик')}\n`;

  for (const [name, bytes] of [
    ['UTF-8', Buffer.from(agencies)],
    ['UTF-8 with a mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(agencies)])],
    ['UTF-16LE with a mark', iconv.encode(agencies, 'utf16le', { addBOM: true })],
    ['UTF-16BE with a mark', iconv.encode(agencies, 'utf16be', { addBOM: true })],
  ] as const) {
    it(`recognises ${name} by itself, whatever the main file's encoding`, async () => {
      const report = await validateFile({
        entity: 'services', path: file('svc16.csv', iconv.encode(services, 'utf16le', { addBOM: true })), encoding: 'utf16le',
        agenciesFile: { entity: 'agencies', path: file('ag.csv', bytes), encoding: 'bom' },
      });
      expect(report.issues.filter((i) => i.severity === 'error').map((i) => i.message)).toEqual([]);
    });
  }

  it('reads UTF-16BE given as the encoding', async () => {
    const { records, issues } = await readAll({ entity: 'agencies', path: file('be.csv', iconv.encode(agencies + `${agency('AG-02', '😀')}\n`, 'utf16be')), encoding: 'utf16be' });
    expect(issues).toEqual([]);
    expect(records.map((r) => r.fields.name_uz)).toEqual(['Вазирлик', '😀']);
  });
});
