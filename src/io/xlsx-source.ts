// XLSX records (SPEC §11): the first worksheet or --sheet, its first row the header (the
// CSV header check), then one SourceRecord per row whose cells become the same text a CSV
// cell would hold. Which cells cannot be a value — booleans, errors, formulas with no
// cached value, codes and tax numbers a spreadsheet turned into numbers — is decided
// here, where the cell's type is still known: such a row gets its issue and is not handed
// on (like a malformed CSV row), so the validator never reports it a second time.
import { createWriteStream, promises as fs, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { UsageError } from '../errors.js';
import { ENTITIES, field as fieldOf, type EntityName, type FieldDef } from '../records/fields.js';
import { issue, type Issue, type RuleCode } from '../records/issues.js';
import { csvCell } from '../export/csv-cell.js';
import { checkHeader } from './header.js';
import type { ReadOptions, RecordSource, SourceRecord } from './record-source.js';
import { columnName, decodeXString, numberText, serialToDate } from './xlsx-cells.js';
import { sheetRows, type RawCell } from './xlsx-sheet.js';
import { openWorkbook, type Workbook } from './xlsx-workbook.js';

const MS_PER_DAY = 86_400_000;

type CellResult = { text: string | null } | { code: RuleCode; message: string; value: string | null };

/** The cell's value as the text a CSV cell would hold, or why it cannot be one. */
export function cellValue(c: RawCell, f: FieldDef | undefined, wb: Pick<Workbook, 'sharedStrings' | 'dateStyles' | 'date1904'>): CellResult {
  const name = f?.name ?? 'this column';
  if (c.formula && (c.v === null || (c.v === '' && c.t !== 'str'))) {
    return { code: 'type-error', value: null, message: `${c.ref} holds a formula with no value calculated and saved: open the file in a spreadsheet program, let it calculate and save it, or type the value` };
  }
  if (c.v === null) return { text: null };
  const trimmed = (s: string) => {
    const t = s.trim();
    return { text: t === '' ? null : t };
  };
  switch (c.t) {
    case 's': {
      const s = wb.sharedStrings[Number(c.v)];
      if (s === undefined) return { code: 'malformed-record', value: c.v, message: `${c.ref} refers to shared string ${c.v}, which the file does not have` };
      return trimmed(s);
    }
    case 'str':
    case 'inlineStr':
      return trimmed(decodeXString(c.v));
    case 'b':
      return { code: 'type-error', value: c.v === '1' ? 'TRUE' : 'FALSE', message: `${c.ref} is a TRUE/FALSE cell, which is no value of ${name}: type the value itself` };
    case 'e':
      return { code: 'type-error', value: c.v, message: `${c.ref} holds the error ${c.v}${c.formula ? ' (its formula failed)' : ''}, not a value of ${name}` };
    case 'd': {
      const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(c.v) || !c.v.includes('T') ? c.v : `${c.v}Z`);
      if (Number.isNaN(ms)) return { code: 'type-error', value: c.v, message: `${c.ref} is a date cell holding ${c.v}, which is no date` };
      return dateValue(c, f, new Date(ms));
    }
    default: {
      if (wb.dateStyles[c.s]) {
        const d = serialToDate(Number(c.v), wb.date1904);
        if (!d) return { code: 'type-error', value: c.v, message: `${c.ref} is a date cell holding ${c.v}, which is no date between 1900 and 9999` };
        return dateValue(c, f, d);
      }
      const text = numberText(c.v);
      if (text === null) return { code: 'type-error', value: c.v, message: `${c.ref} is a number cell holding ${c.v}, which is no number` };
      return numberValue(c, f, text);
    }
  }
}

function dateValue(c: RawCell, f: FieldDef | undefined, d: Date): CellResult {
  if (f?.type === 'timestamp') return { text: d.toISOString() };
  const iso = d.toISOString();
  if (f?.type === 'date' && d.getTime() % MS_PER_DAY !== 0) {
    return { code: 'type-error', value: iso, message: `${c.ref} holds a date with a time of day (${iso}); ${f.name} is a date: format the cell as a date without time, or type YYYY-MM-DD` };
  }
  return { text: iso.slice(0, 10) };
}

function numberValue(c: RawCell, f: FieldDef | undefined, text: string): CellResult {
  // Spreadsheet programs read 012345678 as the number 12345678 and +998… as a number.
  if (f?.type === 'tin' && /^[0-9]{1,8}$/.test(text)) {
    return { code: 'pattern-mismatch', value: text, message: `${f.name} ${text} is a number cell with ${text.length} digits instead of 9: the leading zero was probably lost: store it as text` };
  }
  if (f?.type === 'identifier') {
    return { code: 'pattern-mismatch', value: text, message: `${f.name} ${text} is a number cell, and a code is text starting with a letter (a leading zero may have been lost): store it as text` };
  }
  if (f?.type === 'phone' && /^998[0-9]{9}$/.test(text)) {
    return { code: 'pattern-mismatch', value: text, message: `${f.name} ${text} is a number cell: the leading + was probably lost: store it as text (+${text})` };
  }
  return { text };
}

export interface XlsxReadOptions extends ReadOptions {
  /** the worksheet to read; default the first */
  sheet?: string;
}

/** Standard input, copied to a temporary file: a zip's directory is at its end. */
async function spoolStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const file = path.join(tmpdir(), `egovctl-stdin-${process.pid}-${randomBytes(4).toString('hex')}.xlsx`);
  await pipeline(stdin, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
  return file;
}

export async function openXlsxSource(opts: XlsxReadOptions): Promise<RecordSource> {
  const shownName = opts.path === '-' ? 'standard input' : opts.path;
  let file = opts.path;
  let spooled: string | null = null;
  const cleanup = async () => {
    if (spooled) await fs.rm(spooled, { force: true });
    spooled = null;
  };
  if (opts.path === '-') {
    spooled = file = await spoolStdin(opts.stdin ?? process.stdin);
    // a run that ends before reading (a usage error, a signal) must not leave it behind
    process.once('exit', () => {
      if (spooled) rmSync(spooled, { force: true });
    });
  } else {
    try {
      const st = await fs.stat(file);
      if (st.isDirectory()) throw new UsageError(`${file} is a directory, not a file`);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      throw new UsageError(code === 'ENOENT' ? `file ${file} does not exist` : `cannot read ${file}: ${(err as Error).message}`, { cause: err });
    }
  }
  let wb: Workbook;
  let bytesTotal: number;
  try {
    wb = await openWorkbook(file, shownName);
    bytesTotal = (await fs.stat(file)).size;
  } catch (err) {
    await cleanup();
    throw err;
  }
  const sheet = opts.sheet === undefined ? wb.sheets[0] : wb.sheets.find((s) => s.name === opts.sheet);
  if (!sheet) {
    await cleanup();
    const names = wb.sheets.map((s) => JSON.stringify(s.name)).join(', ');
    if (opts.sheet === undefined) throw new UsageError(`${shownName} has no worksheet`);
    throw new UsageError(`${shownName} has no sheet named ${JSON.stringify(opts.sheet)}; its sheets are ${names || 'none'}`);
  }

  const entity: EntityName = opts.entity;
  const key = ENTITIES[entity].key;
  const issues: Issue[] = [];
  let skipped = 0;
  let sheetBytes = 0;
  /** column number of each header field */
  const columnOfField = new Map<string, number>();
  let started = false;

  async function* batches(): AsyncGenerator<SourceRecord[]> {
    if (started) throw new Error('a RecordSource can be iterated only once');
    started = true;
    try {
      yield* rows();
    } finally {
      await cleanup();
    }
  }

  async function* rows(): AsyncGenerator<SourceRecord[]> {
    let columns: string[] | null = null; // field name by column number - 1
    let defs: Array<FieldDef | undefined> = [];
    let make: ((cells: Array<string | null>) => Record<string, unknown>) | null = null;
    let width = 0;
    for await (const got of sheetRows(wb.open(sheet!), (n) => (sheetBytes += n))) {
      opts.signal?.throwIfAborted();
      const batch: SourceRecord[] = [];
      for (const row of got) {
        if (columns === null) {
          if (!row.cells.some((c) => c.v !== null || c.formula)) continue; // empty rows above the header
          const last = Math.max(...row.cells.map((c) => c.col));
          const names: string[] = new Array<string>(last).fill('');
          for (const c of row.cells) {
            const v = cellValue(c, undefined, wb);
            names[c.col - 1] = 'text' in v ? (v.text ?? '') : (c.v ?? '');
          }
          // empty cells after the last name are no columns (spreadsheets leave formatted ones)
          while (names.length && names[names.length - 1] === '') names.pop();
          const header = checkHeader(entity, names);
          names.forEach((n, i) => columnOfField.set(n.trim(), i + 1));
          if (header.issues.length) {
            issues.push(...header.issues);
            return; // with a wrong header every value could land in the wrong field
          }
          columns = header.columns;
          width = columns.length;
          defs = columns.map((n) => fieldOf(entity, n));
          make = recordMaker(header.columns);
          continue;
        }
        const values: Array<string | null> = new Array<string | null>(width).fill(null);
        const keyCol = columnOfField.get(key);
        const keyCell = keyCol === undefined ? undefined : row.cells.find((c) => c.col === keyCol);
        const keyValue = keyCell ? cellValue(keyCell, defs[keyCol! - 1], wb) : null;
        const at = { line: row.r, key: keyValue && 'text' in keyValue ? keyValue.text : null };
        let bad = false;
        let any = false;
        for (const c of row.cells) {
          if (c.v === null && !c.formula) continue;
          if (c.col > width) {
            const v = cellValue(c, undefined, wb);
            if ('text' in v && v.text === null) continue;
            issues.push(withCell(issue('malformed-record', at, null, 'text' in v ? v.text : v.value,
              `${c.ref} is outside the header's ${width} columns (A to ${columnName(width)}): every value needs a column name in row 1`), c.ref));
            bad = true;
            continue;
          }
          const f = defs[c.col - 1];
          const v = cellValue(c, f, wb);
          if ('text' in v) {
            values[c.col - 1] = v.text;
            if (v.text !== null) any = true;
          } else {
            issues.push(withCell(issue(v.code, at, f?.name ?? null, v.value, v.message), c.ref));
            bad = true;
            any = true;
          }
        }
        if (!any && !bad) continue; // an empty (perhaps formatted) row is no record
        if (bad) {
          skipped++;
          continue;
        }
        batch.push({ line: row.r, raw: values.map(csvCell).join(','), fields: make!(values) });
      }
      if (batch.length) yield batch;
    }
    if (columns === null) {
      issues.push(issue('header-missing-column', { line: 1 }, null, null,
        `sheet ${JSON.stringify(sheet!.name)} is empty: its first row must be the header with the field names`));
    }
  }

  async function* flatten(): AsyncGenerator<SourceRecord> {
    for await (const b of batches()) yield* b;
  }

  return {
    format: 'xlsx',
    sourceName: opts.path === '-' ? 'stdin' : opts.path,
    bytes: false,
    issues,
    get skipped() {
      return skipped;
    },
    // the sheet part's share of the file, as far as it is read
    bytesRead: () => (sheet.size > 0 ? Math.min(bytesTotal, Math.round((sheetBytes / sheet.size) * bytesTotal)) : 0),
    bytesTotal: opts.path === '-' ? null : bytesTotal,
    batches,
    cellOf(line: number, field: string | null): string | null {
      const col = field === null ? undefined : columnOfField.get(field);
      return col === undefined ? null : `${columnName(col)}${line}`;
    },
    [Symbol.asyncIterator]() {
      return flatten()[Symbol.asyncIterator]();
    },
  };
}

/** The issue with its cell, placed after the line as SPEC §11 shows it. */
export function withCell(i: Issue, cell: string): Issue {
  const { severity, code, line, ...rest } = i;
  return { severity, code, line, cell, ...rest };
}

function recordMaker(columns: readonly string[]): (cells: Array<string | null>) => Record<string, unknown> {
  const body = `return {${columns.map((c, i) => `${JSON.stringify(c)}: c[${i}]`).join(', ')}};`;
  return new Function('c', body) as (cells: Array<string | null>) => Record<string, unknown>;
}
