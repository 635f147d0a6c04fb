import { describe, expect, test } from 'vitest';
import { cellValue } from '../../src/io/xlsx-source.js';
import { columnName, columnOf, dateToSerial, decodeXString, encodeXString, isDateFormat, numberText, serialToDate } from '../../src/io/xlsx-cells.js';
import { field } from '../../src/records/fields.js';

// The pure cell rules of SPEC §11 (xlsx-cells.ts, cellValue of xlsx-source.ts).

describe('numbers as their shortest exact decimal text', () => {
  test.each([
    ['0', '0'], ['-0', '0'], ['1500', '1500'], ['13811.5', '13811.5'], ['1.1000000000000001', '1.1'],
    ['0.30000000000000004', '0.30000000000000004'], ['1E+21', '1000000000000000000000'], ['1.5e-7', '0.00000015'],
    ['999999999999.99', '999999999999.99'], ['-2.5E+3', '-2500'],
  ])('%s → %s', (v, want) => expect(numberText(v)).toBe(want));
  test.each([[''], ['abc'], ['Infinity'], ['NaN']])('%j is no number', (v) => expect(numberText(v)).toBeNull());
});

test('column names and references', () => {
  expect([1, 26, 27, 52, 703].map(columnName)).toEqual(['A', 'Z', 'AA', 'AZ', 'AAA']);
  expect(['F17', 'AA3', 'XFD1048576'].map(columnOf)).toEqual([6, 27, 16384]);
});

test('date serials, both ways, 1900 and 1904 systems', () => {
  expect(serialToDate(42826, false)!.toISOString()).toBe('2017-04-01T00:00:00.000Z');
  expect(serialToDate(42826.5, false)!.toISOString()).toBe('2017-04-01T12:00:00.000Z');
  expect(serialToDate(41364, true)!.toISOString()).toBe('2017-04-01T00:00:00.000Z');
  expect(dateToSerial('2017-04-01')).toBe(42826);
  expect(serialToDate(-1, false)).toBeNull();
});

test('which number formats are dates', () => {
  expect(isDateFormat(14, undefined)).toBe(true);
  expect(isDateFormat(0, undefined)).toBe(false);
  expect(isDateFormat(2, undefined)).toBe(false);
  expect(isDateFormat(164, 'yyyy\\-mm\\-dd')).toBe(true);
  expect(isDateFormat(165, 'dd/mm/yyyy hh:mm')).toBe(true);
  expect(isDateFormat(166, '#,##0.00 "dm"')).toBe(false); // d and m inside quotes are text
  expect(isDateFormat(167, '[Red]0.00')).toBe(false);
  expect(isDateFormat(168, 'General')).toBe(false);
  expect(isDateFormat(169, '[h]:mm:ss')).toBe(true);
});

test('_xHHHH_ escapes: decoded on reading; a literal one and controls survive writing', () => {
  expect(decodeXString('a_x000D_b')).toBe('a\rb');
  for (const v of ['Control \u0001 char', 'literal _x0041_ text', 'plain']) expect(decodeXString(encodeXString(v))).toBe(v);
});

describe('cellValue', () => {
  const wb = { sharedStrings: ['DXM', '  padded  '], dateStyles: [false, true], date1904: false };
  const cell = (over: object) => ({ ref: 'G2', col: 7, t: undefined, s: 0, v: null, formula: false, ...over });
  test('text, shared strings trimmed, empty is no value', () => {
    expect(cellValue(cell({ t: 's', v: '1' }), field('agencies', 'name_uz'), wb)).toEqual({ text: 'padded' });
    expect(cellValue(cell({ t: 'inlineStr', v: '   ' }), field('agencies', 'name_uz'), wb)).toEqual({ text: null });
    expect(cellValue(cell({}), field('agencies', 'name_uz'), wb)).toEqual({ text: null });
  });
  test('date cells: YYYY-MM-DD, or ISO 8601 UTC for a timestamp field', () => {
    expect(cellValue(cell({ s: 1, v: '42826' }), field('services', 'effective_from'), wb)).toEqual({ text: '2017-04-01' });
    expect(cellValue(cell({ s: 1, v: '42826.25' }), field('services', 'updated_at'), wb)).toEqual({ text: '2017-04-01T06:00:00.000Z' });
    expect(cellValue(cell({ s: 1, v: '42826.25' }), field('services', 'effective_from'), wb)).toMatchObject({ code: 'type-error' });
  });
  test('a tin that lost its leading zero, a code as a number, a phone without its +', () => {
    const tin = cellValue(cell({ v: '12345678' }), field('agencies', 'tin'), wb);
    expect(tin).toMatchObject({ code: 'pattern-mismatch', value: '12345678' });
    expect((tin as { message: string }).message).toContain('the leading zero was probably lost: store it as text');
    expect(cellValue(cell({ v: '201122919' }), field('agencies', 'tin'), wb)).toEqual({ text: '201122919' });
    expect(cellValue(cell({ v: '123' }), field('agencies', 'code'), wb)).toMatchObject({ code: 'pattern-mismatch' });
    expect(cellValue(cell({ v: '998712000100' }), field('agencies', 'phone'), wb)).toMatchObject({ code: 'pattern-mismatch' });
  });
  test('formulas: the cached value; none cached, booleans and errors are type-errors', () => {
    expect(cellValue(cell({ formula: true, v: '15' }), field('services', 'processing_days'), wb)).toEqual({ text: '15' });
    expect(cellValue(cell({ formula: true, t: 'str', v: 'x' }), field('services', 'name_uz'), wb)).toEqual({ text: 'x' });
    expect(cellValue(cell({ formula: true }), field('services', 'name_uz'), wb)).toMatchObject({ code: 'type-error' });
    expect(cellValue(cell({ t: 'b', v: '1' }), field('services', 'processing_days'), wb)).toMatchObject({ code: 'type-error', value: 'TRUE' });
    expect(cellValue(cell({ t: 'e', v: '#N/A', formula: true }), field('services', 'fee_uzs'), wb)).toMatchObject({ code: 'type-error', value: '#N/A' });
  });
});
