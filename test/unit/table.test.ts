import { PassThrough } from 'node:stream';
import { expect, test } from 'vitest';
import { createListWriter, cut, fitWidths, outputWidth, renderTable, tsvLine } from '../../src/output/table.js';

test('a table fits its width: the widest column is cut first, with an ellipsis; no borders or rules', () => {
  const t = renderTable(['code', 'name'], [['A-1', 'x'.repeat(100)], ['A-2', 'short']], { width: 40 });
  expect(t.split('\n')).toEqual(['code  name', `A-1   ${'x'.repeat(33)}…`, 'A-2   short']);
  expect(renderTable(['a', 'b'], [['1', '2']], { width: 80 })).toBe('a  b\n1  2');
});

test('widths: natural when they fit; otherwise one cap for the wide columns, none below its header', () => {
  expect(fitWidths([4, 10, 3], [4, 4, 3], 80)).toEqual([4, 10, 3]);
  const ws = fitWidths([24, 60, 90], [7, 7, 7], 80);
  expect(ws.reduce((a, b) => a + b, 0) + 4).toBe(80);
  expect(ws[0]).toBe(24);
  expect(Math.abs(ws[1]! - ws[2]!)).toBeLessThanOrEqual(1);
  // headers wider than the terminal: 3 characters each at least
  expect(fitWidths([20, 20], [20, 20], 10)).toEqual([4, 4]);
});

test('cut counts characters, not bytes, and drops colour from a cut value', () => {
  expect(cut('Ўзбекистон', 5)).toBe('Ўзбе…');
  expect(cut('\x1b[31merror\x1b[39m', 5)).toBe('\x1b[31merror\x1b[39m');
  expect(cut('\x1b[31merrors\x1b[39m', 5)).toBe('erro…');
});

test('tab-separated lines: no colour, tabs and line breaks in values become spaces', () => {
  expect(tsvLine(['a\tb', 'line\nbreak', null, 3, '\x1b[32mok\x1b[39m'])).toBe('a b\tline break\t\t3\tok');
});

test('the width: the terminal\'s columns, else $COLUMNS, else 80', () => {
  expect(outputWidth({ isTTY: true, columns: 132 }, {})).toBe(132);
  expect(outputWidth({ isTTY: false, columns: 132 }, {})).toBe(80);
  expect(outputWidth({ isTTY: false }, { COLUMNS: '100' })).toBe(100);
});

test('a streamed listing measures its first rows, then keeps the widths and cuts later values', async () => {
  const out = new PassThrough();
  let text = '';
  out.setEncoding('utf8').on('data', (d: string) => (text += d));
  const w = createListWriter(out, ['code', 'name'], { tsv: false, width: 80, sample: 2 });
  await w.row(['A-1', 'abc']);
  await w.row(['A-2', 'abcdef']);
  await w.row(['A-3', 'abcdefghij']);
  expect(await w.end()).toBe(3);
  await new Promise((r) => setImmediate(r));
  expect(text).toBe('code  name\nA-1   abc\nA-2   abcdef\nA-3   abcde…\n');
});
