// Other people's conformance inputs, held to the readers: csv-spectrum's CSV files
// (github.com/max-mapper/csv-spectrum, csvs/*.csv with json/*.json as the expected cells)
// and a few of JSONTestSuite's (github.com/nst/JSONTestSuite, test_parsing/): n_ must be
// refused, y_ accepted, i_ decided — here, a lone surrogate is an encoding-error.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CsvParser, type CsvItem } from '../../src/io/csv-parser.js';
import { openRecordSource } from '../../src/io/read-records.js';

/** csv-spectrum: name → [file text, expected rows (header included)] */
const SPECTRUM: Record<string, [string, string[][]]> = {
  comma_in_quotes: ['first,last,address,city,zip\nJohn,Doe,120 any st.,"Anytown, WW",08123\n',
    [['first', 'last', 'address', 'city', 'zip'], ['John', 'Doe', '120 any st.', 'Anytown, WW', '08123']]],
  empty: ['a,b,c\n1,"",""\n2,3,4\n', [['a', 'b', 'c'], ['1', '', ''], ['2', '3', '4']]],
  empty_crlf: ['a,b,c\r\n1,"",""\r\n2,3,4\r\n', [['a', 'b', 'c'], ['1', '', ''], ['2', '3', '4']]],
  escaped_quotes: ['a,b\n1,"ha ""ha"" ha"\n3,4\n', [['a', 'b'], ['1', 'ha "ha" ha'], ['3', '4']]],
  json: ['key,val\n1,"{""type"": ""Point"", ""coordinates"": [102.0, 0.5]}"\n', [['key', 'val'], ['1', '{"type": "Point", "coordinates": [102.0, 0.5]}']]],
  newlines: ['a,b,c\n1,2,3\n"Once upon \na time",5,6\n7,8,9\n', [['a', 'b', 'c'], ['1', '2', '3'], ['Once upon \na time', '5', '6'], ['7', '8', '9']]],
  newlines_crlf: ['a,b,c\r\n1,2,3\r\n"Once upon \r\na time",5,6\r\n7,8,9\r\n', [['a', 'b', 'c'], ['1', '2', '3'], ['Once upon \r\na time', '5', '6'], ['7', '8', '9']]],
  // The file this issue was about: CR alone ends its lines, and one sits inside a quoted value.
  newlines_cr: ['a,b,c\r1,2,3\r"Once upon \ra time",5,6\r7,8,9\r', [['a', 'b', 'c'], ['1', '2', '3'], ['Once upon \ra time', '5', '6'], ['7', '8', '9']]],
  quotes_and_newlines: ['a,b\n1,"ha \n""ha"" \nha"\n3,4\n', [['a', 'b'], ['1', 'ha \n"ha" \nha'], ['3', '4']]],
  simple: ['a,b,c\n1,2,3\n', [['a', 'b', 'c'], ['1', '2', '3']]],
  simple_crlf: ['a,b,c\r\n1,2,3\r\n', [['a', 'b', 'c'], ['1', '2', '3']]],
  utf8: ['a,b,c\n1,2,3\n4,5,ʤ\n', [['a', 'b', 'c'], ['1', '2', '3'], ['4', '5', 'ʤ']]],
  location_coordinates: ['Location,Coordinates\nHelsinki,"60.1699° N, 24.9384° E"\nJohannesburg,"26.2041° S, 28.0473° E"\n',
    [['Location', 'Coordinates'], ['Helsinki', '60.1699° N, 24.9384° E'], ['Johannesburg', '26.2041° S, 28.0473° E']]],
};

const cells = (items: CsvItem[]) => items.map((i) => (i.kind === 'row' ? i.cells : ['PROBLEM', i.message]));

describe('csv-spectrum', () => {
  for (const [name, [text, want]] of Object.entries(SPECTRUM)) {
    it(`${name}: whole, and a character at a time`, () => {
      const whole = new CsvParser();
      expect(cells([...whole.push(text), ...whole.end()])).toEqual(want);
      const split = new CsvParser();
      const got: CsvItem[] = [];
      for (const ch of text) got.push(...split.push(ch));
      got.push(...split.end());
      expect(cells(got)).toEqual(want);
    });
  }

  it('newlines_cr: the line numbers count each CR once', () => {
    const p = new CsvParser();
    const items = [...p.push(SPECTRUM.newlines_cr![0]), ...p.end()];
    expect(items.map((i) => i.line)).toEqual([1, 2, 3, 5]);
  });
});

const tmp = mkdtempSync(join(tmpdir(), 'egov-conf-'));
let n = 0;

async function readJson(text: string, format: 'json' | 'ndjson' = 'json') {
  const path = join(tmp, `${n++}.${format}`);
  writeFileSync(path, text);
  const src = await openRecordSource({ entity: 'agencies', path });
  const records = [];
  for await (const r of src) records.push(r.fields);
  return { records, codes: src.issues.map((i) => i.code) };
}

describe('JSONTestSuite', () => {
  it('n_array_extra_comma, n_array_number_and_comma: a trailing comma is refused', async () => {
    expect((await readJson('[{"code":"AG-01"},]')).codes).toEqual(['malformed-record']);
    expect((await readJson('[{"code":"AG-01"} , ]')).codes).toEqual(['malformed-record']);
  });
  it('n_object_trailing_comma, n_object_missing_value, n_string_single_quote: a malformed-record each', async () => {
    for (const o of ['{"code":"AG-01",}', '{"code":}', "{'code':'AG-01'}"]) {
      expect((await readJson(`[${o}]`)).codes).toEqual(['malformed-record']);
      expect((await readJson(`${o}\n`, 'ndjson')).codes).toEqual(['malformed-record']);
    }
  });
  it('n_structure_100000_opening_arrays, n_structure_open_array_object: no crash, one malformed-record', async () => {
    expect((await readJson('['.repeat(100_000))).codes).toEqual(['malformed-record']);
    expect((await readJson('[{"":'.repeat(20_000) + '1' + '}]'.repeat(20_000))).codes).toEqual(['malformed-record']);
    expect((await readJson('{"a":' + '['.repeat(100_000) + '\n', 'ndjson')).codes).toEqual(['malformed-record']);
  });
  it('i_string_1st_surrogate_but_2nd_missing, i_string_lone_second_surrogate, i_string_invalid_surrogate: encoding-error', async () => {
    for (const s of ['\\uDADA', '\\uDFAA', '\\uD800abc', '\\uD888\\u1234']) {
      expect((await readJson(`[{"code":"AG-01","name_uz":"${s}"}]`)).codes).toEqual(['encoding-error']);
    }
  });
  it('y_string_surrogates_U+1D11E_MUSICAL_SYMBOL_G_CLEF, y_string_accepted_surrogate_pair: read as the character', async () => {
    const { records, codes } = await readJson('[{"code":"AG-01","name_uz":"\\uD834\\uDd1e"},{"code":"AG-02","name_uz":"\\uD801\\udc37"}]');
    expect(codes).toEqual([]);
    expect(records.map((r) => r.name_uz)).toEqual(['𝄞', '𐐷']);
  });
  it('y_string_escaped_noncharacter, y_string_backslash_doublequotes: not taken for surrogates', async () => {
    const { codes } = await readJson('[{"code":"AG-01","name_uz":"\\uFFFF \\\\uD800 \\""}]');
    expect(codes).toEqual([]);
  });
});
