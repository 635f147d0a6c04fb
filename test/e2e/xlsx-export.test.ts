import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import { closeKnex, connect } from '../../src/db/connect.js';
import { BIN, runCli, scratch } from '../helpers/cli.js';
import { AGENCIES, SERVICES, seed } from '../helpers/export-data.js';
import { createTestDatabase } from '../helpers/pg.js';

// SPEC §11, writing: typed cells, a bold frozen header with an autofilter, read back by a
// library that did not write them (exceljs); export xlsx → import → export ndjson gives
// the same NDJSON, on PostgreSQL and SQLite. Sets and lists are joined with "|" as in CSV,
// so list items holding "|" are left out of the round trip (they cannot come back).

const s = scratch('egovctl-xlsx-out-');
const env = s.env;
const pgs: Array<Awaited<ReturnType<typeof createTestDatabase>>> = [];
const urls: Record<string, string> = {};
const PIPE_FREE = SERVICES.map((r) => ({ ...r, required_documents: (r.required_documents as string[] | null)?.map((i) => i.replace(/\|/g, '/')) ?? null }));

async function migrated(url: string): Promise<string> {
  const m = await runCli(['--db', url, '--quiet', 'migrate', 'latest'], { env });
  expect(m.code, m.stderr).toBe(0);
  return url;
}

beforeAll(async () => {
  for (const name of ['pgA', 'pgB']) {
    const d = await createTestDatabase(`egovctl_xo_${name.toLowerCase()}`);
    pgs.push(d);
    urls[name] = await migrated(d.url);
  }
  for (const name of ['liteA', 'liteB']) urls[name] = await migrated(`sqlite:${path.join(s.dir, `${name}.sqlite`)}`);
  for (const name of ['pgA', 'liteA']) {
    const db = await connect(resolveConfig({ db: urls[name] }, {}, s.dir).targets[0]!);
    try {
      await seed(db.knex, AGENCIES, PIPE_FREE);
    } finally {
      await closeKnex(db.knex);
    }
  }
});

afterAll(async () => {
  for (const d of pgs) await d.drop();
  s.cleanup();
});

const out = (name: string) => path.join(s.dir, name);

async function ok(args: string[]) {
  const r = await runCli(args, { env });
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r;
}

describe.each([['pg', 'pgA', 'pgB'], ['sqlite', 'liteA', 'liteB']])('%s', (dialect, a, b) => {
  test('export xlsx → import → export ndjson gives back the same NDJSON (same database: byte for byte)', async () => {
    const before = (await ok(['--db', urls[a]!, 'export', 'services', '--format', 'ndjson'])).stdout;
    const beforeAg = (await ok(['--db', urls[a]!, 'export', 'agencies', '--format', 'ndjson'])).stdout;
    expect(before.split('\n').length).toBe(SERVICES.length + 1);
    for (const e of ['agencies', 'services']) await ok(['--db', urls[a]!, '--quiet', 'export', e, '--out', out(`${dialect}-${e}.xlsx`)]);

    // into the same database: nothing changes
    const again = await ok(['--db', urls[a]!, '--json', 'import', 'services', out(`${dialect}-services.xlsx`)]);
    expect(JSON.parse(again.stdout)).toMatchObject({ records: SERVICES.length, unchanged: SERVICES.length, errors: 0 });
    expect((await ok(['--db', urls[a]!, 'export', 'services', '--format', 'ndjson'])).stdout).toBe(before);

    // into another: the same but for updated_at
    for (const e of ['agencies', 'services']) await ok(['--db', urls[b]!, '--quiet', 'import', e, out(`${dialect}-${e}.xlsx`)]);
    const blank = (t: string) => t.replace(/"updated_at":"[^"]*"/g, '"updated_at":"T"');
    expect(blank((await ok(['--db', urls[b]!, 'export', 'services', '--format', 'ndjson'])).stdout)).toBe(blank(before));
    expect(blank((await ok(['--db', urls[b]!, 'export', 'agencies', '--format', 'ndjson'])).stdout)).toBe(blank(beforeAg));
  });

  test('two exports of the same data are byte-identical; --manifest describes the file', async () => {
    const f1 = out(`${dialect}-1.xlsx`);
    const f2 = out(`${dialect}-2.xlsx`);
    await ok(['--db', urls[a]!, '--quiet', 'export', 'services', '--format', 'xlsx', '--out', f1, '--manifest']);
    await ok(['--db', urls[a]!, '--quiet', 'export', 'services', '--out', f2]);
    expect(fs.readFileSync(f1).equals(fs.readFileSync(f2))).toBe(true);
    const m = JSON.parse(fs.readFileSync(`${f1}.manifest.json`, 'utf8')) as Record<string, unknown>;
    const { createHash } = await import('node:crypto');
    expect(m).toMatchObject({ entity: 'services', format: 'xlsx', rows: SERVICES.length, bytes: fs.statSync(f1).size, compression: null });
    expect(m.sha256).toBe(createHash('sha256').update(fs.readFileSync(f1)).digest('hex'));
  });
});

describe('the file, read back by exceljs', () => {
  test('header bold and frozen with an autofilter; codes, tax numbers, phones, texts, sets, lists text; numbers numbers; dates date cells', async () => {
    const fa = out('check-agencies.xlsx');
    const fs_ = out('check-services.xlsx');
    await ok(['--db', urls.liteA!, '--quiet', 'export', 'agencies', '--out', fa]);
    await ok(['--db', urls.liteA!, '--quiet', 'export', 'services', '--out', fs_]);

    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(fs_);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['services']);
    const ws = wb.worksheets[0]!;
    const header = ws.getRow(1);
    expect(header.getCell(1).value).toBe('code');
    expect(header.getCell(19).value).toBe('updated_at');
    for (let c = 1; c <= 19; c++) expect(header.getCell(c).font?.bold, `header cell ${c}`).toBe(true);
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1, topLeftCell: 'A2' });
    expect(ws.autoFilter).toBe(`A1:S${SERVICES.length + 1}`);
    expect(ws.rowCount).toBe(SERVICES.length + 1);

    const byCode = new Map<string, ExcelJS.Row>();
    ws.eachRow((row, n) => {
      if (n > 1) byCode.set(String(row.getCell(1).value), row);
    });
    const srv1 = byCode.get('SRV-001')!;
    const T = ExcelJS.ValueType;
    expect(srv1.getCell(1).type).toBe(T.String); // code
    expect(srv1.getCell(7).value).toBe('G2C|G2B'); // audience, a set
    expect(srv1.getCell(10).type).toBe(T.Number); // fee_uzs
    expect(srv1.getCell(10).value).toBe(187500);
    expect(srv1.getCell(12).value).toBe(1); // processing_days
    expect(srv1.getCell(15).value).toBe('Pasport|Ariza, 2 nusxa|quote " and \\ back'); // a list
    expect(srv1.getCell(6).value).toBe('Line one\nLine "two"\r\nback\\slash\ttab \u2028 end 🙂');
    expect(srv1.getCell(17).type).toBe(T.Date);
    expect((srv1.getCell(17).value as Date).toISOString()).toBe('2024-01-01T00:00:00.000Z');
    expect(srv1.getCell(17).numFmt).toBe('yyyy-mm-dd');
    expect(srv1.getCell(19).type).toBe(T.Date); // updated_at
    // a formula-like text stays text: no formula, no ' prefix
    const srv2 = byCode.get('SRV-002')!;
    expect(srv2.getCell(14).type).toBe(T.String);
    expect(srv2.getCell(14).value).toBe('=HYPERLINK("x")');
    expect(srv2.getCell(11).value).toBe(0.5);
    expect(byCode.get('SRV-005')!.getCell(10).value).toBe(999999999999.99);
    // XML cannot hold U+0001: it goes as OOXML's escape _x0001_, which Excel and egovctl
    // decode (the round trip above) and exceljs leaves as it is
    expect(byCode.get('SRV-004')!.getCell(3).value).toBe('Control _x0001_ char');

    const wa = new ExcelJS.Workbook();
    await wa.xlsx.readFile(fa);
    const ag = wa.worksheets[0]!;
    expect(ag.getRow(1).getCell(7).value).toBe('tin');
    let minjust: ExcelJS.Row | null = null;
    ag.eachRow((row) => {
      if (row.getCell(1).value === 'MINJUST') minjust = row;
    });
    expect(minjust!.getCell(7).type).toBe(T.String);
    expect(minjust!.getCell(7).value).toBe('012345678'); // the leading zero kept
    expect(minjust!.getCell(11).value).toBe('+998712000000');
    expect(minjust!.getCell(7).numFmt).toBe('@');
  });

  test('--gzip with xlsx is a usage error (exit 2), nothing written; xlsx to a pipe is allowed', async () => {
    const target = out('never.xlsx');
    for (const args of [['--format', 'xlsx', '--gzip', '--out', target], ['--out', `${target}.gz`, '--format', 'xlsx'], ['--out', target, '--gzip']]) {
      const r = await runCli(['--db', urls.liteA!, 'export', 'services', ...args], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--gzip does not apply to xlsx/);
    }
    expect(fs.existsSync(target)).toBe(false);
    const piped = await runCli(['--db', urls.liteA!, 'export', 'agencies', '--format', 'xlsx'], { env });
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout.startsWith('PK')).toBe(true);
  });

  test('xlsx to standard output on a terminal is a usage error (exit 2): no zip bytes on the screen', () => {
    // python3's pty.spawn puts standard output (and the rest) on a pseudo-terminal
    const r = spawnSync('python3', ['-c', 'import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)', process.execPath, BIN,
      '--db', urls.liteA!, 'export', 'agencies', '--format', 'xlsx'], { env, encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/xlsx is a binary file: give --out <path>/);
    expect(r.stdout).not.toContain('PK\u0003\u0004');
  });
});
