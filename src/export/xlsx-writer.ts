// XLSX export (SPEC §11), streamed: records come in as the NDJSON lines of the export
// sources, and go out as a zip whose one worksheet is written row by row while the zip
// compresses it. The zip writer pulls the sheet, so the destination's back-pressure
// reaches the database and memory stays flat (the streaming writer of exceljs pushes
// rows with no back-pressure — its issues #734, #1894, #2916 — so it is not used).
// Nothing in the file depends on the time of the export: two exports of the same data are
// byte-identical, as SPEC §7 asks of every format.
import { createRequire } from 'node:module';
import { Duplex, Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { UsageError } from '../errors.js';
import { ENTITIES, ITEM_SEPARATOR, type EntityName, type FieldDef } from '../records/fields.js';
import { columnName, dateToSerial, encodeXString, xmlEscape } from '../io/xlsx-cells.js';

const require = createRequire(import.meta.url);

const MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG_REL = 'http://schemas.openxmlformats.org/package/2006/relationships';
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
// zip entries carry a date: a fixed one keeps exports byte-identical
const ZIP_DATE = new Date(2000, 0, 1);

/** the rows of a sheet in every spreadsheet program since Excel 2007, the header included */
const MAX_ROWS = 1_048_576;

/** cellXfs indexes of styles.xml below */
// timestamps show as ISO 8601 UTC, the text of the other formats
const STYLE = { header: 1, date: 2, text: 3, timestamp: 4 } as const;

const STYLES = `${XML_HEAD}<styleSheet xmlns="${MAIN}">`
  + '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/><numFmt numFmtId="165" formatCode="yyyy-mm-dd&quot;T&quot;hh:mm:ss.000&quot;Z&quot;"/></numFmts>'
  + '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
  + '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
  + '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
  + '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
  + '<cellXfs count="5">'
  + '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
  + '<xf numFmtId="49" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1"/>'
  + '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
  // "@": text, so that what a clerk types into a code or tax number cell stays text
  + '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
  + '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
  + '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>';

const CONTENT_TYPES = `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`
  + '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
  + '<Default Extension="xml" ContentType="application/xml"/>'
  + '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
  + '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
  + '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
  + '</Types>';

const ROOT_RELS = `${XML_HEAD}<Relationships xmlns="${PKG_REL}"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`;

const WORKBOOK_RELS = `${XML_HEAD}<Relationships xmlns="${PKG_REL}">`
  + `<Relationship Id="rId1" Type="${REL}/worksheet" Target="worksheets/sheet1.xml"/>`
  + `<Relationship Id="rId2" Type="${REL}/styles" Target="styles.xml"/></Relationships>`;

function workbookXml(sheet: string, filterRef: string): string {
  return `${XML_HEAD}<workbook xmlns="${MAIN}" xmlns:r="${REL}"><workbookPr/><bookViews><workbookView activeTab="0"/></bookViews>`
    + `<sheets><sheet name="${xmlEscape(sheet)}" sheetId="1" r:id="rId1"/></sheets>`
    + `<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'${xmlEscape(sheet)}'!${filterRef}</definedName></definedNames>`
    + '<calcPr calcId="0"/></workbook>';
}

function width(f: FieldDef): number {
  if (f.type === 'date') return 12;
  if (f.type === 'timestamp') return 20;
  if (f.type === 'integer' || f.type === 'decimal') return 14;
  if (f.type === 'identifier' || f.type === 'enum' || f.type === 'tin' || f.type === 'set') return Math.max(12, f.name.length + 2);
  return Math.min(60, Math.max(16, (f.maxLength ?? 40) / 5));
}

function textCell(ref: string, text: string, style: number): string {
  const t = xmlEscape(encodeXString(text));
  const space = /^\s|\s$/.test(text) ? ' xml:space="preserve"' : '';
  return `<c r="${ref}" s="${style}" t="inlineStr"><is><t${space}>${t}</t></is></c>`;
}

/** One value as its cell: numbers as number cells, dates as date cells, the rest as text. */
export function cellXml(f: FieldDef, ref: string, v: unknown): string {
  if (v === null || v === undefined) return '';
  switch (f.type) {
    case 'integer':
      return `<c r="${ref}"><v>${Number(v)}</v></c>`;
    case 'decimal': {
      const s = String(v);
      // a decimal a double cannot carry exactly stays text, so that import reads it back
      return String(Number(s)) === s ? `<c r="${ref}"><v>${s}</v></c>` : textCell(ref, s, STYLE.text);
    }
    case 'date':
      return `<c r="${ref}" s="${STYLE.date}"><v>${dateToSerial(String(v))}</v></c>`;
    case 'timestamp': {
      const ms = Date.parse(String(v));
      if (Number.isNaN(ms)) return textCell(ref, String(v), STYLE.text);
      return `<c r="${ref}" s="${STYLE.timestamp}"><v>${ms / 86_400_000 + 25569}</v></c>`;
    }
    default:
      return textCell(ref, Array.isArray(v) ? v.join(ITEM_SEPARATOR) : String(v), STYLE.text);
  }
}

async function* sheetXml(entity: EntityName, lines: AsyncIterable<Buffer>, done: (rows: number) => void): AsyncGenerator<string> {
  const fields = ENTITIES[entity].fields;
  const cols = fields.map((f, i) => `<col min="${i + 1}" max="${i + 1}" width="${width(f)}" customWidth="1"/>`).join('');
  const refs = fields.map((_f, i) => columnName(i + 1));
  const last = refs[refs.length - 1]!;
  yield `${XML_HEAD}<worksheet xmlns="${MAIN}" xmlns:r="${REL}">`
    + '<sheetViews><sheetView tabSelected="1" workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    + '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
    + `<sheetFormatPr defaultRowHeight="15"/><cols>${cols}</cols><sheetData>`
    + `<row r="1">${fields.map((f, i) => textCell(`${refs[i]}1`, f.name, STYLE.header)).join('')}</row>`;
  let r = 1;
  let rest = '';
  // COPY's chunks end anywhere, inside a character too
  const dec = new StringDecoder('utf8');
  for await (const chunk of lines) {
    const text = rest + dec.write(chunk);
    const parts = text.split('\n');
    rest = parts.pop()!;
    let out = '';
    for (const line of parts) {
      if (line === '') continue;
      const rec = JSON.parse(line) as Record<string, unknown>;
      r++;
      if (r > MAX_ROWS) {
        throw new UsageError(`an XLSX sheet holds at most ${MAX_ROWS - 1} records: narrow the export (--status, --agency, --changed-since) or use csv or ndjson`);
      }
      out += `<row r="${r}">`;
      for (let i = 0; i < fields.length; i++) out += cellXml(fields[i]!, `${refs[i]}${r}`, rec[fields[i]!.name]);
      out += '</row>';
    }
    if (out) yield out;
  }
  rest += dec.end();
  if (rest.trim() !== '') throw new Error('the export source ended in the middle of a record');
  yield `</sheetData><autoFilter ref="A1:${last}${r}"/><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>`;
  done(r);
}

interface Archive extends NodeJS.ReadableStream {
  append(source: string | Buffer | NodeJS.ReadableStream, data: { name: string; date?: Date }): Archive;
  finalize(): Promise<void>;
  on(event: string, fn: (...args: unknown[]) => void): this;
}

/** A stage of the export pipeline: NDJSON lines of `entity` in, the bytes of an .xlsx out. */
export function xlsxStage(entity: EntityName): Duplex {
  return Duplex.from(async function* (lines: AsyncIterable<Buffer>) {
    const archiver = require('archiver') as (format: 'zip', opts: object) => Archive;
    // level 6: a fifth of the sheet's size; 1 is faster but a third larger
    const zip = archiver('zip', { zlib: { level: 6 } });
    let rows = 0;
    let sheetDone!: () => void;
    const sheetEnded = new Promise<void>((resolve) => (sheetDone = resolve));
    const entry = (name: string) => ({ name, date: ZIP_DATE });
    zip.append(CONTENT_TYPES, entry('[Content_Types].xml'));
    zip.append(ROOT_RELS, entry('_rels/.rels'));
    zip.append(WORKBOOK_RELS, entry('xl/_rels/workbook.xml.rels'));
    zip.append(STYLES, entry('xl/styles.xml'));
    zip.append(Readable.from(sheetXml(entity, lines, (n) => {
      rows = n;
      sheetDone();
    })), entry('xl/worksheets/sheet1.xml'));
    // written after the sheet: its filter range needs the number of rows
    const last = columnName(ENTITIES[entity].fields.length);
    zip.append(Readable.from((async function* () {
      await sheetEnded;
      yield workbookXml(entity, `$A$1:$${last}$${rows}`);
    })()), entry('xl/workbook.xml'));
    const finalized = zip.finalize();
    finalized.catch(() => {}); // its error also reaches the iteration below
    yield* zip as AsyncIterable<Buffer>;
    await finalized;
  });
}
