import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ROOT, runCli, scratch } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/pg.js';

// SPEC §11, reading: spreadsheets saved by LibreOffice (test/fixtures/xlsx/README.md says
// how each was made) read as the same data in CSV does, and every cell rule gives its code,
// line, cell and exit status and leaves the database as it was. The built binary, on
// PostgreSQL and SQLite.

const s = scratch('egovctl-xlsx-in-');
const env = s.env;
const FX = path.join(ROOT, 'test', 'fixtures', 'xlsx');
const fx = (f: string) => path.join(FX, f);
const SAMPLES = path.join(ROOT, 'samples');
const pgs: Array<Awaited<ReturnType<typeof createTestDatabase>>> = [];
let n = 0;

async function cli(url: string, args: string[], input?: Buffer) {
  return runCli(['--db', url, ...args], { env, ...(input ? { input } : {}) });
}

/** a new, migrated database of the dialect */
async function freshDb(dialect: string): Promise<string> {
  let url: string;
  if (dialect === 'pg') {
    const d = await createTestDatabase('egovctl_xlsx_in');
    pgs.push(d);
    url = d.url;
  } else url = `sqlite:${path.join(s.dir, `db${++n}.sqlite`)}`;
  const m = await runCli(['--db', url, '--quiet', 'migrate', 'latest'], { env });
  expect(m.code, m.stderr).toBe(0);
  return url;
}

afterAll(async () => {
  for (const d of pgs) await d.drop();
  s.cleanup();
});

/** the report without what names the file, and without cells (CSV has none) */
function comparable(stdout: string): Record<string, unknown> {
  const r = JSON.parse(stdout) as Record<string, unknown> & { issues: Array<Record<string, unknown>> };
  delete r.source;
  r.issues = r.issues.map(({ cell: _cell, ...rest }) => rest);
  return r;
}

const blankStamps = (t: string) => t.replace(/"updated_at":"[^"]*"/g, '"updated_at":"T"');

describe('files LibreOffice saved read as the same data in CSV', () => {
  test.each([['out-of-range'], ['enum-mismatch']])('validate: %s.xlsx gives the report of its CSV, issue for issue', async (name) => {
    const x = await runCli(['--json', 'validate', 'file', 'services', fx(`${name}.xlsx`)], { env });
    const c = await runCli(['--json', 'validate', 'file', 'services', path.join(ROOT, 'test', 'fixtures', 'rules', `${name}.csv`)], { env });
    expect(c.code).toBe(3);
    expect(x.code, x.stderr).toBe(3);
    expect(comparable(x.stdout)).toEqual(comparable(c.stdout));
    expect((JSON.parse(x.stdout) as { errors: number }).errors).toBeGreaterThan(1);
    // each issue names its cell: the column of its field, the row of its line
    const first = (JSON.parse(x.stdout) as { issues: Array<{ cell: string; line: number; field: string }> }).issues[0]!;
    expect(first.cell).toMatch(new RegExp(`^[A-Z]+${first.line}$`));
  });

  test.each([['pg'], ['sqlite']])('import (%s): the samples from XLSX give the database the CSV gives, with the same report', async (dialect) => {
    const a = await freshDb(dialect);
    const b = await freshDb(dialect);
    const reports: Array<[Record<string, unknown>, Record<string, unknown>]> = [];
    for (const entity of ['agencies', 'services']) {
      const x = await cli(a, ['--json', 'import', entity, fx(`${entity}.xlsx`)]);
      const c = await cli(b, ['--json', 'import', entity, path.join(SAMPLES, `${entity}.csv`)]);
      expect(x.code, x.stdout + x.stderr).toBe(0);
      expect(c.code, c.stdout + c.stderr).toBe(0);
      const strip = (t: string) => {
        const r = comparable(t);
        delete r.duration_ms;
        delete r.target;
        return r;
      };
      reports.push([strip(x.stdout), strip(c.stdout)]);
    }
    for (const [x, c] of reports) expect(x).toEqual(c);
    expect(reports[1]![0].inserted).toBe(22);
    for (const entity of ['agencies', 'services']) {
      const ex = await cli(a, ['export', entity, '--format', 'ndjson']);
      const ec = await cli(b, ['export', entity, '--format', 'ndjson']);
      expect(ex.code, ex.stderr).toBe(0);
      expect(blankStamps(ex.stdout)).toBe(blankStamps(ec.stdout));
    }
  });
});

describe('cell rules', () => {
  test.each([['pg'], ['sqlite']])('(%s) formula, date and text-date cells of a second-sheet workbook import; the bad sheet is refused whole', async (dialect) => {
    const url = await freshDb(dialect);
    expect((await cli(url, ['--quiet', 'import', 'agencies', fx('agencies.xlsx')])).code).toBe(0);

    // the second sheet: a boolean, an error and a date-time cell
    const bad = await cli(url, ['--json', 'import', 'services', fx('services-cells.xlsx'), '--sheet', 'Bad cells']);
    expect(bad.code, bad.stderr).toBe(3);
    const rep = JSON.parse(bad.stdout) as { records: number; errors: number; inserted: number; issues: Array<Record<string, unknown>> };
    expect(rep.records).toBe(4);
    expect(rep.inserted).toBe(0);
    expect(rep.issues.map((i) => [i.code, i.line, i.cell, i.field, i.key, i.value])).toEqual([
      ['type-error', 2, 'L2', 'processing_days', 'XL-0101', 'TRUE'],
      ['type-error', 3, 'J3', 'fee_uzs', 'XL-0102', '#DIV/0!'],
      ['type-error', 4, 'Q4', 'effective_from', 'XL-0103', '2020-01-01T08:30:00.000Z'],
    ]);
    expect(String(rep.issues[0]!.message)).toMatch(/TRUE\/FALSE cell/);
    expect(String(rep.issues[1]!.message)).toMatch(/#DIV\/0!/);
    expect(bad.stderr).toMatch(/nothing was written/);
    const none = await cli(url, ['export', 'services', '--format', 'ndjson']);
    expect(none.stdout).toBe(''); // the good row XL-0104 was not written either

    // the first sheet (the default): the formula's cached value, date cells, a date as text
    const good = await cli(url, ['--json', 'import', 'services', fx('services-cells.xlsx')]);
    expect(good.code, good.stdout + good.stderr).toBe(0);
    expect((JSON.parse(good.stdout) as { inserted: number }).inserted).toBe(3);
    const out = await cli(url, ['export', 'services', '--format', 'ndjson']);
    const recs = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(recs.map((r) => [r.code, r.processing_days, r.fee_uzs, r.fee_bhm_percent, r.effective_from, r.effective_to, r.name_en])).toEqual([
      ['XL-0001', 15, null, 0.5, '2017-04-01', null, null],
      ['XL-0002', 7, 150000, null, '2020-10-01', '2030-12-31', null],
      ['XL-0003', 5, 95000.5, null, '2021-08-01', null, 'Text date'],
    ]);
  });

  test.each([['pg'], ['sqlite']])('(%s) a tax number that lost its leading zero: pattern-mismatch that says so, database unchanged', async (dialect) => {
    const url = await freshDb(dialect);
    const r = await cli(url, ['--json', 'import', 'agencies', fx('agencies-lost-zero.xlsx')]);
    expect(r.code, r.stderr).toBe(3);
    const rep = JSON.parse(r.stdout) as { records: number; issues: Array<Record<string, unknown>> };
    expect(rep.records).toBe(2);
    expect(rep.issues).toHaveLength(1);
    expect(rep.issues[0]).toMatchObject({ severity: 'error', code: 'pattern-mismatch', line: 2, cell: 'G2', key: 'ZERO', field: 'tin', value: '12345678' });
    expect(String(rep.issues[0]!.message)).toContain('the leading zero was probably lost: store it as text');
    expect((await cli(url, ['export', 'agencies', '--format', 'ndjson'])).stdout).toBe('');
    // for a person: the cell beside the line
    const human = await runCli(['--no-color', 'validate', 'file', 'agencies', fx('agencies-lost-zero.xlsx')], { env });
    expect(human.code).toBe(3);
    expect(human.stdout).toContain('2 (G2)');
  });

  test('a formula with no cached value is a type-error (exit 3); an unknown sheet is a usage error listing the sheets (exit 2)', async () => {
    const ExcelJS = (await import('exceljs')).default;
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Agencies');
    ws.addRow(['code', 'name_uz', 'kind', 'region', 'status']);
    ws.addRow(['AG-1', { formula: 'UPPER("x")' }, 'agency', 'UZ', 'active']);
    const file = path.join(s.dir, 'no-cache.xlsx');
    await wb.xlsx.writeFile(file);
    const r = await runCli(['--json', 'validate', 'file', 'agencies', file], { env });
    expect(r.code, r.stderr).toBe(3);
    const issues = (JSON.parse(r.stdout) as { issues: Array<Record<string, unknown>> }).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'type-error', line: 2, cell: 'B2', field: 'name_uz', key: 'AG-1' });
    expect(String(issues[0]!.message)).toMatch(/no value calculated/);

    const u = await runCli(['validate', 'file', 'services', fx('services-cells.xlsx'), '--sheet', 'Nope'], { env });
    expect(u.code).toBe(2);
    expect(u.stdout).toBe('');
    expect(u.stderr).toContain('"Services", "Bad cells", "Notes"');
  });

  test('standard input with --format xlsx (copied to a temporary file: a zip is read from its end)', async () => {
    const r = await runCli(['--json', 'validate', 'file', 'agencies', '-', '--format', 'xlsx'], { env, input: fs.readFileSync(fx('agencies-lost-zero.xlsx')) });
    expect(r.code, r.stderr).toBe(3);
    const rep = JSON.parse(r.stdout) as { source: string; issues: Array<Record<string, unknown>> };
    expect(rep.source).toBe('stdin');
    expect(rep.issues[0]).toMatchObject({ code: 'pattern-mismatch', cell: 'G2' });
    const notZip = await runCli(['validate', 'file', 'agencies', '-', '--format', 'xlsx'], { env, input: 'code,name_uz\n' });
    expect(notZip.code).toBe(3);
    expect(notZip.stderr).toMatch(/not an XLSX file/);
  });
});
