// Which CSV parser should the reader use? Parses the same decoded text with papaparse,
// csv-parse and our CsvParser, checks that each gets the start line of every multi-line
// record right (SPEC §2: messages name the line where a record starts; papaparse's are
// derived from meta.cursor), and counts the rows each sees in two cases SPEC §2 needs:
// reading on after an unclosed quote, and files mixing \r\n and \n.
//
// Measured here (100k services, 72 MB, medians of 3, busy 2-core machine): ours 138–404 ms,
// papaparse 114–346 ms, csv-parse 2.7–9.3 s; papaparse and csv-parse both lose rows in
// the two cases. Hence src/io/csv-parser.ts.
//
// Run: npx tsc -p . && node dist/test/bench/csv-parsers.js [file.csv]
// (without a file, 100,000 services are generated into a temp dir)
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { parse as csvParse } from 'csv-parse/sync';
import { CsvParser } from '../../src/io/csv-parser.js';
import { generateServices } from './gen-services.js';

/** Start line of every record, computed the slow and obvious way from the raw text. */
function expectedStartLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let quoted = false;
  let atStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (atStart) {
      lines.push(line);
      atStart = false;
    }
    if (c === '"') quoted = !quoted;
    else if (c === '\n') {
      line++;
      if (!quoted) atStart = true;
    }
  }
  return lines;
}

function time<T>(f: () => T): [number, T] {
  const t = process.hrtime.bigint();
  const r = f();
  return [Number(process.hrtime.bigint() - t) / 1e6, r];
}

const CHUNK = 1 << 18;

function ours(text: string): number[] {
  const p = new CsvParser(',');
  const lines: number[] = [];
  for (let i = 0; i < text.length; i += CHUNK) for (const it of p.push(text.slice(i, i + CHUNK))) lines.push(it.line);
  for (const it of p.end()) lines.push(it.line);
  return lines;
}

/** papaparse reports no lines: derive them from meta.cursor (just past the row's line end). */
function papa(text: string): number[] {
  const lines: number[] = [];
  let prev = 0;
  let line = 1;
  Papa.parse<string[]>(text, {
    skipEmptyLines: true,
    step: (r) => {
      lines.push(line);
      const cur = r.meta.cursor;
      for (let n = text.indexOf('\n', prev); n !== -1 && n < cur; n = text.indexOf('\n', n + 1)) line++;
      prev = cur;
    },
  });
  return lines;
}

function csvParseLines(text: string): number[] {
  const rows = csvParse(text, { info: true, raw: true, relax_column_count: true }) as unknown as Array<{ info: { lines: number }; raw: string }>;
  return rows.map((r) => r.info.lines - (r.raw.replace(/\r?\n$/, '').split('\n').length - 1));
}

/** Cases the readers must get right besides speed (SPEC §2): how many data rows each parser sees. */
const CASES: Array<[name: string, text: string, rows: number]> = [
  // 3 good rows after the bad one must still be read ("reading continues … where possible")
  ['unclosed quote, then 3 good rows', 'a,b\n1,"never closed\n2,x\n3,y\n4,z\n', 3],
  // import accepts \n and \r\n: a file edited in two editors has both
  ['mixed CRLF and LF line ends', 'a,b\r\n1,x\n2,y\r\n3,z\n', 3],
];

function rowCounts(): void {
  for (const [name, text, rows] of CASES) {
    const oursRows = (() => {
      const p = new CsvParser(',');
      return [...p.push(text), ...p.end()].filter((i) => i.kind === 'row').length - 1;
    })();
    const papaRows = Papa.parse<string[]>(text, { skipEmptyLines: true }).data.length - 1;
    let csvParseRows: number | string;
    try {
      csvParseRows = (csvParse(text, { relax_column_count: true, skip_records_with_error: true }) as unknown[]).length - 1;
    } catch (err) {
      csvParseRows = `throws (${(err as { code?: string }).code})`;
    }
    process.stdout.write(`${name}: expected ${rows} rows; ours ${oursRows}, papaparse ${papaRows}, csv-parse ${csvParseRows}\n`);
  }
}

async function main(): Promise<void> {
  rowCounts();
  let file = process.argv[2];
  if (!file) {
    file = join(mkdtempSync(join(tmpdir(), 'egov-csv-')), 'services.csv');
    await generateServices(100000, file, { seed: 1 });
  }
  const text = readFileSync(file, 'utf8');
  const expected = expectedStartLines(text);
  for (const [name, f] of [['CsvParser (ours)', ours], ['papaparse', papa], ['csv-parse', csvParseLines]] as const) {
    f(text); // warm up the JIT
    const runs = [0, 1, 2].map(() => time(() => f(text)));
    const ms = runs.map((r) => r[0]).sort((a, b) => a - b)[1]!;
    const lines = runs[0]![1];
    const wrong = lines.findIndex((l, i) => l !== expected[i]);
    process.stdout.write(`${name.padEnd(18)} ${ms.toFixed(0).padStart(6)} ms  ${Math.round(lines.length / (ms / 1000)).toLocaleString('en')} rows/s  ` +
      `start lines ${wrong === -1 && lines.length === expected.length ? 'all correct' : `WRONG from record ${wrong + 1}`}\n`);
  }
}

await main();
