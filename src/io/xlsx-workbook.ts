// An XLSX file opened for reading: the zip's central directory, the sheet names, the
// shared strings and which cell styles are dates — everything but the sheet's rows,
// which xlsx-sheet.ts streams. The zip is read at random (central directory first), not
// front to back: spreadsheet programs write a sheet before the shared strings and styles
// it needs (LibreOffice does), and a front-to-back reader must then keep the whole sheet
// somewhere before it can read a row.
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import { SaxesParser } from 'saxes';
import { DataError } from '../errors.js';
import { decodeXString, isDateFormat } from './xlsx-cells.js';

const require = createRequire(import.meta.url);

interface ZipEntry {
  path: string;
  type: 'File' | 'Directory';
  uncompressedSize: number;
  stream(): Readable;
}

export interface SheetInfo {
  name: string;
  /** the part inside the zip, like xl/worksheets/sheet1.xml */
  part: string;
  /** uncompressed size of the part, for progress */
  size: number;
}

export interface Workbook {
  /** worksheets in the workbook's order (the first is what a spreadsheet opens on) */
  sheets: SheetInfo[];
  sharedStrings: string[];
  /** by cell style index (the `s` of a cell): does its number format show a date? */
  dateStyles: boolean[];
  date1904: boolean;
  open(sheet: SheetInfo): Readable;
}

/** Runs a SAX parser over one part of the zip. */
async function parsePart(entry: ZipEntry, setup: (p: SaxesParser) => void): Promise<void> {
  const parser = new SaxesParser({ position: false });
  setup(parser);
  const { StringDecoder } = await import('node:string_decoder');
  const dec = new StringDecoder('utf8');
  for await (const chunk of entry.stream() as AsyncIterable<Buffer>) parser.write(dec.write(chunk));
  parser.write(dec.end());
  parser.close();
}

/** xl/worksheets/sheet1.xml from a relationship target relative to xl/ */
function resolvePart(base: string, target: string): string {
  if (target.startsWith('/')) return target.slice(1);
  const parts = base.split('/').slice(0, -1);
  for (const seg of target.split('/')) {
    if (seg === '..') parts.pop();
    else if (seg !== '.') parts.push(seg);
  }
  return parts.join('/');
}

function localName(name: string): string {
  const i = name.indexOf(':');
  return i < 0 ? name : name.slice(i + 1);
}

export async function openWorkbook(path: string, shownName: string): Promise<Workbook> {
  const unzipper = require('unzipper') as { Open: { file(p: string): Promise<{ files: ZipEntry[] }> } };
  let files: ZipEntry[];
  try {
    files = (await unzipper.Open.file(path)).files;
  } catch (err) {
    throw new DataError(`${shownName} is not an XLSX file (it is no zip archive): ${(err as Error).message}`, { cause: err });
  }
  const byPath = new Map(files.filter((f) => f.type === 'File').map((f) => [f.path.replace(/^\//, ''), f]));
  const bad = (why: string, err?: unknown) => new DataError(`${shownName} is not a readable XLSX file: ${why}`, err ? { cause: err } : undefined);
  const part = async (p: string, setup: (parser: SaxesParser) => void, required: boolean) => {
    const entry = byPath.get(p);
    if (!entry) {
      if (required) throw bad(`it has no ${p}`);
      return;
    }
    try {
      await parsePart(entry, setup);
    } catch (err) {
      throw bad(`${p}: ${(err as Error).message}`, err);
    }
  };

  // The workbook part, from the package relationships (xl/workbook.xml by convention).
  let workbookPart = 'xl/workbook.xml';
  await part('_rels/.rels', (p) => p.on('opentag', (t) => {
    if (localName(t.name) === 'Relationship' && String(t.attributes.Type ?? '').endsWith('/officeDocument')) {
      workbookPart = resolvePart('', String(t.attributes.Target));
    }
  }), false);
  const relsPart = resolvePart(workbookPart, `_rels/${workbookPart.split('/').pop()}.rels`);

  const rels = new Map<string, { type: string; target: string }>();
  await part(relsPart, (p) => p.on('opentag', (t) => {
    if (localName(t.name) === 'Relationship') rels.set(String(t.attributes.Id), { type: String(t.attributes.Type ?? ''), target: String(t.attributes.Target ?? '') });
  }), true);

  const sheets: SheetInfo[] = [];
  let date1904 = false;
  await part(workbookPart, (p) => p.on('opentag', (t) => {
    const n = localName(t.name);
    if (n === 'workbookPr') date1904 = ['1', 'true'].includes(String(t.attributes.date1904 ?? ''));
    if (n !== 'sheet') return;
    const rid = Object.entries(t.attributes).find(([k]) => localName(k) === 'id' && k.includes(':'))?.[1];
    const rel = rid === undefined ? undefined : rels.get(String(rid));
    // chart sheets and dialog sheets hold no cells
    if (!rel || !rel.type.endsWith('/worksheet')) return;
    const sheetPart = resolvePart(workbookPart, rel.target);
    sheets.push({ name: String(t.attributes.name ?? ''), part: sheetPart, size: byPath.get(sheetPart)?.uncompressedSize ?? 0 });
  }), true);

  const target = (type: string) => [...rels.values()].find((r) => r.type.endsWith(`/${type}`));
  const sharedStrings: string[] = [];
  const ss = target('sharedStrings');
  if (ss) {
    // An <si> is plain <t>, or rich-text runs <r><t>…; phonetic hints (<rPh>) are not text.
    let text = '';
    let inT = false;
    let phonetic = 0;
    await part(resolvePart(workbookPart, ss.target), (p) => {
      p.on('opentag', (t) => {
        const n = localName(t.name);
        if (n === 'si') text = '';
        else if (n === 'rPh') phonetic++;
        else if (n === 't' && phonetic === 0) inT = true;
      });
      p.on('text', (s) => {
        if (inT) text += s;
      });
      p.on('closetag', (t) => {
        const n = localName(t.name);
        if (n === 't') inT = false;
        else if (n === 'rPh') phonetic--;
        else if (n === 'si') sharedStrings.push(decodeXString(text));
      });
    }, true);
  }

  const dateStyles: boolean[] = [];
  const st = target('styles');
  if (st) {
    const formats = new Map<number, string>();
    let inCellXfs = false;
    await part(resolvePart(workbookPart, st.target), (p) => {
      p.on('opentag', (t) => {
        const n = localName(t.name);
        if (n === 'numFmt') formats.set(Number(t.attributes.numFmtId), String(t.attributes.formatCode ?? ''));
        else if (n === 'cellXfs') inCellXfs = true;
        else if (n === 'xf' && inCellXfs) {
          const id = Number(t.attributes.numFmtId ?? 0);
          dateStyles.push(isDateFormat(id, formats.get(id)));
        }
      });
      p.on('closetag', (t) => {
        if (localName(t.name) === 'cellXfs') inCellXfs = false;
      });
    }, true);
  }

  return {
    sheets,
    sharedStrings,
    dateStyles,
    date1904,
    open(sheet) {
      const entry = byPath.get(sheet.part);
      if (!entry) throw bad(`its sheet ${sheet.name} has no part ${sheet.part}`);
      return entry.stream();
    },
  };
}
