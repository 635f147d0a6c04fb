// The rows of one worksheet part, streamed: the part's XML goes through a SAX parser chunk
// by chunk, and the rows completed by each chunk come out together, so memory holds one
// chunk's rows, never the sheet.
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { SaxesParser } from 'saxes';
import { columnName, columnOf } from './xlsx-cells.js';

export interface RawCell {
  /** "F17" */
  ref: string;
  /** 1-based column */
  col: number;
  /** the cell type attribute: s (shared string), str, inlineStr, n, b, e, d; undefined is n */
  t: string | undefined;
  /** cell style index */
  s: number;
  /** the <v> text (or the inline string's text); null when there is none */
  v: string | null;
  /** the cell holds a formula (v is then its cached value) */
  formula: boolean;
}

export interface RawRow {
  /** 1-based row number */
  r: number;
  cells: RawCell[];
}

function localName(name: string): string {
  const i = name.indexOf(':');
  return i < 0 ? name : name.slice(i + 1);
}

export async function* sheetRows(input: Readable, onBytes?: (n: number) => void): AsyncGenerator<RawRow[]> {
  const parser = new SaxesParser({ position: false });
  let done: RawRow[] = [];
  let row: RawRow | null = null;
  let cell: RawCell | null = null;
  let nextRow = 1;
  let nextCol = 1;
  // which text goes where: 0 none, 1 <v>, 2 <t> of an inline string (outside <rPh>)
  let into = 0;
  let phonetic = 0;
  let inData = false;
  parser.on('opentag', (t) => {
    switch (localName(t.name)) {
      case 'sheetData':
        inData = true;
        break;
      case 'row': {
        if (!inData) break;
        // r may be left out: then it is the row after the last one
        const r = t.attributes.r === undefined ? nextRow : Number(t.attributes.r);
        row = { r, cells: [] };
        nextRow = r + 1;
        nextCol = 1;
        break;
      }
      case 'c': {
        if (!row) break;
        const given = t.attributes.r as string | undefined;
        const col = given ? columnOf(given) : nextCol;
        nextCol = col + 1;
        const s = t.attributes.s;
        cell = { ref: given ?? `${columnName(col)}${row.r}`, col, t: t.attributes.t as string | undefined, s: s === undefined ? 0 : Number(s), v: null, formula: false };
        break;
      }
      case 'f':
        if (cell) cell.formula = true;
        break;
      case 'v':
        if (cell) {
          into = 1;
          cell.v ??= '';
        }
        break;
      case 'rPh':
        phonetic++;
        break;
      case 't':
        if (cell && phonetic === 0) {
          into = 2;
          cell.v ??= '';
        }
        break;
    }
  });
  parser.on('text', (s) => {
    if (into !== 0 && cell) cell.v += s;
  });
  parser.on('closetag', (t) => {
    switch (localName(t.name)) {
      case 'v':
      case 't':
        into = 0;
        break;
      case 'rPh':
        phonetic--;
        break;
      case 'c':
        if (row && cell) row.cells.push(cell);
        cell = null;
        break;
      case 'row':
        if (row) done.push(row);
        row = null;
        break;
      case 'sheetData':
        inData = false;
        break;
    }
  });
  const dec = new StringDecoder('utf8');
  for await (const chunk of input as AsyncIterable<Buffer>) {
    onBytes?.(chunk.length);
    parser.write(dec.write(chunk));
    if (done.length) {
      yield done;
      done = [];
    }
  }
  parser.write(dec.end());
  parser.close();
  if (done.length) yield done;
}
