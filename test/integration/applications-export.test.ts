import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import { closeKnex, connect, type Db } from '../../src/db/connect.js';
import { exportRecords, writeRecordsFile, type ExportOptions } from '../../src/export/export.js';
import { parseFilters, type RawFilters } from '../../src/export/filters.js';
import { pgExportQuery } from '../../src/export/pg-query.js';
import { toJsonText } from '../../src/records/db-row.js';
import { runCli } from '../helpers/cli.js';
import { APPLICATIONS, IDS_IN_ORDER, appStamp, seedApplications } from '../helpers/applications-export-data.js';
import { seed } from '../helpers/export-data.js';
import { createTestDatabase } from '../helpers/pg.js';

// export applications against real databases, both dialects: every format with its
// content checked, order by id (byte order), nulls, each filter — --from/--to on the local
// submission date across midnight in Tashkent, --agency as the handling agency — and
// PostgreSQL's partition pruning for a period. Needs the build (migrations run by the binary).

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'egovctl-app-export-it-'));
let pgDb: Awaited<ReturnType<typeof createTestDatabase>>;
const dbs = {} as Record<'pg' | 'sqlite', Db>;

async function open(url: string): Promise<Db> {
  const m = await runCli(['--db', url, 'migrate', 'latest'], { env: { PATH: process.env.PATH, HOME: tmp } });
  expect(m.code, m.stderr).toBe(0);
  return connect(resolveConfig({ db: url }, {}, tmp).targets[0]!);
}

beforeAll(async () => {
  pgDb = await createTestDatabase('egovctl_appexp');
  dbs.pg = await open(pgDb.url);
  dbs.sqlite = await open(`sqlite:${path.join(tmp, 'it.sqlite')}`);
  for (const db of Object.values(dbs)) {
    await seed(db.knex);
    await seedApplications(db.knex);
  }
});

afterAll(async () => {
  for (const db of Object.values(dbs)) if (db) await closeKnex(db.knex);
  await pgDb?.drop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function bytes(db: Db, opts: Partial<ExportOptions> = {}): Promise<Buffer> {
  const sink = new PassThrough();
  const parts: Buffer[] = [];
  sink.on('data', (d: Buffer) => parts.push(d));
  await exportRecords(db, 'applications', { format: 'csv', ...opts }, sink);
  return Buffer.concat(parts);
}
const text = async (db: Db, opts: Partial<ExportOptions> = {}) => (await bytes(db, opts)).toString('utf8');
const ids = async (db: Db, raw: RawFilters) =>
  (await text(db, { format: 'ndjson', filters: parseFilters('applications', raw) })).split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { id: string }).id);

const HEADER = 'id,service_code,handled_by,audience,channel,region,submitted_at,due_on,status,decided_at,updated_at';
const byId = (id: string) => APPLICATIONS.findIndex((a) => a.id === id);

describe.each(['pg', 'sqlite'] as const)('export applications from %s', (dialect) => {
  const db = () => dbs[dialect];

  test('CSV: the header of SPEC §1, ordered by id in byte order, empty cells for no value', async () => {
    const lines = (await text(db())).split('\n');
    expect(lines[0]).toBe(HEADER);
    expect(lines.slice(1, -1).map((l) => l.split(',')[0])).toEqual(IDS_IN_ORDER);
    expect(lines[1]).toBe(`A-0001,SRV-001,,G2C,portal,UZ,2026-03-31T19:30:00.000Z,2026-04-02,completed,2026-04-02T05:00:00.000Z,${appStamp(0)}`);
    expect(lines[2]).toBe(`A-0002,SRV-001,ADLIYA-TK,G2B,center,UZ-TK,2026-03-31T18:59:59.999Z,2026-04-01,in_progress,,${appStamp(1)}`);
    expect(lines[4]).toBe(`B.10/x,SRV-005,MINJUST,G2C,mobile,UZ-SA,2026-04-30T18:59:59.999Z,2026-05-10,rejected,2026-05-02T10:00:00.000Z,${appStamp(3)}`);
    expect(lines[5]).toBe(`Z9,SRV-006,,G2B,portal,UZ,2026-01-10T00:00:00.000Z,2026-01-15,completed,2026-01-20T07:15:30.250Z,${appStamp(4)}`);
    expect(lines.at(-1)).toBe('');
    expect(lines.length).toBe(IDS_IN_ORDER.length + 2);
  });

  test('NDJSON and JSON: exactly the fields of §1 in order, null where there is no value', async () => {
    const expected = IDS_IN_ORDER.map((id) => toJsonText('applications', { ...APPLICATIONS[byId(id)]!, updated_at: appStamp(byId(id)) }));
    const nd = await text(db(), { format: 'ndjson' });
    expect(nd).toBe(`${expected.join('\n')}\n`);
    expect(nd.split('\n')[1]).toBe(`{"id":"A-0002","service_code":"SRV-001","handled_by":"ADLIYA-TK","audience":"G2B","channel":"center","region":"UZ-TK","submitted_at":"2026-03-31T18:59:59.999Z","due_on":"2026-04-01","status":"in_progress","decided_at":null,"updated_at":"${appStamp(1)}"}`);
    const json = JSON.parse(await text(db(), { format: 'json' })) as Array<Record<string, unknown>>;
    expect(json.map((r) => r.id)).toEqual(IDS_IN_ORDER);
    expect(Object.keys(json[0]!)).toEqual(['id', 'service_code', 'handled_by', 'audience', 'channel', 'region', 'submitted_at', 'due_on', 'status', 'decided_at', 'updated_at']);
    expect(json[0]!.handled_by).toBeNull();
  });

  test('XLSX: one sheet named applications, a row per application in id order', async () => {
    const out = path.join(tmp, `${dialect}-apps.xlsx`);
    const r = await writeRecordsFile(db(), 'applications', out, { format: 'xlsx', manifest: true, toolVersion: 't' });
    expect(r.rows).toBe(IDS_IN_ORDER.length);
    const ExcelJS = (await import('exceljs')).default;
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(out);
    const ws = wb.worksheets[0]!;
    expect(ws.name).toBe('applications');
    expect((ws.getRow(1).values as unknown[]).slice(1)).toEqual(HEADER.split(','));
    const col = (n: number) => Array.from({ length: IDS_IN_ORDER.length }, (_, i) => ws.getRow(i + 2).getCell(n).value);
    expect(col(1)).toEqual(IDS_IN_ORDER);
    expect(ws.getRow(2).getCell(3).value).toBeNull();
    const m = JSON.parse(fs.readFileSync(`${out}.manifest.json`, 'utf8')) as { entity: string; rows: number };
    expect([m.entity, m.rows]).toEqual(['applications', 6]);
  });

  test('gzip and an atomic --out: the file holds the same bytes compressed', async () => {
    const out = path.join(tmp, `${dialect}-apps.csv.gz`);
    const r = await writeRecordsFile(db(), 'applications', out, { format: 'csv', gzip: true });
    expect(zlib.gunzipSync(fs.readFileSync(out)).toString('utf8')).toBe(await text(db()));
    expect(r.rows).toBe(6);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  test('--from/--to: the local submission date in Tashkent, inclusive, across midnight', async () => {
    // A-0001 at 2026-03-31T19:30Z is 1 April in Tashkent; A-0002 at 18:59:59.999Z is still 31 March
    expect(await ids(db(), { from: '2026-04-01', to: '2026-04-30' })).toEqual(['A-0001', 'B.10/x']);
    expect(await ids(db(), { from: '2026-04-01', to: '2026-04-01' })).toEqual(['A-0001']);
    expect(await ids(db(), { to: '2026-03-31' })).toEqual(['A-0002', 'Z9', 'a-lower']);
    expect(await ids(db(), { from: '2026-05-01' })).toEqual(['A-0003']);
    expect(await ids(db(), { from: '2026-06-01' })).toEqual([]);
    // in UTC the same dates are other applications: the zone decides
    const utc = parseFilters('applications', { from: '2026-04-01', to: '2026-04-30' }, { timeZone: 'UTC' });
    const lines = (await text(db(), { format: 'ndjson', filters: utc })).split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { id: string }).id);
    expect(lines).toEqual(['A-0003', 'B.10/x']);
  });

  test('--agency is the handling agency: handled_by, or when empty the service\'s agency', async () => {
    // A-0002 is a MINJUST service handled by ADLIYA-TK; B.10/x an ADLIYA-TK service handled by MINJUST
    expect(await ids(db(), { agency: 'MINJUST' })).toEqual(['A-0001', 'B.10/x', 'Z9']);
    expect(await ids(db(), { agency: 'ADLIYA-TK' })).toEqual(['A-0002', 'A-0003']);
    expect(await ids(db(), { agency: 'OLD-COMM,NOBODY' })).toEqual(['a-lower']);
    expect(await ids(db(), { agency: "x'; drop table applications; --" })).toEqual([]);
  });

  test('--status, --audience, --changed-since, and all of them together (AND)', async () => {
    expect(await ids(db(), { status: 'received,in_progress' })).toEqual(['A-0002', 'A-0003']);
    expect(await ids(db(), { audience: 'G2B' })).toEqual(['A-0002', 'A-0003', 'Z9']);
    expect(await ids(db(), { changedSince: appStamp(3) })).toEqual(['B.10/x', 'Z9', 'a-lower']);
    expect(await ids(db(), { agency: 'MINJUST', status: 'completed', audience: 'G2C', from: '2026-04-01' })).toEqual(['A-0001']);
  });

  test('as-of and at-size are not for applications; cpsv-ap describes services only (exit 2)', async () => {
    await expect(bytes(db(), { point: { atSize: 0 } })).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('applications are not in the registry log') });
    await expect(bytes(db(), { format: 'cpsv-ap' })).rejects.toMatchObject({ exitCode: 2 });
  });
});

test('the same bytes from PostgreSQL and SQLite, every text format and filter', async () => {
  for (const format of ['csv', 'json', 'ndjson'] as const) {
    for (const raw of [{}, { from: '2026-04-01' }, { agency: 'MINJUST' }] as RawFilters[]) {
      const filters = parseFilters('applications', raw);
      expect(await text(dbs.pg, { format, filters }), `${format} ${JSON.stringify(raw)}`).toBe(await text(dbs.sqlite, { format, filters }));
    }
  }
});

test('PostgreSQL prunes the monthly partitions for --from/--to, and the filter values are bound, not in the SQL', async () => {
  const filters = parseFilters('applications', { from: '2026-04-01', to: '2026-04-30', agency: 'MINJUST' });
  const q = pgExportQuery('applications', 'csv', filters, false);
  expect(q.copy).not.toContain('MINJUST');
  expect(q.copy).not.toContain('2026-');
  const select = q.copy.replace(/^copy \(/, '').replace(/\) to stdout.*$/, '');
  const conn = await dbs.pg.knex.client.acquireConnection();
  try {
    await conn.query('begin');
    for (const [n, v] of q.settings) await conn.query('select set_config($1, $2, true)', [n, v]);
    const plan = ((await conn.query(`explain ${select}`)).rows as Array<{ 'QUERY PLAN': string }>).map((r) => r['QUERY PLAN']).join('\n');
    // local April is 2026-03-31T19:00Z … 2026-04-30T19:00Z: the March and April partitions
    expect(plan).toContain('applications_p2026_03');
    expect(plan).toContain('applications_p2026_04');
    expect(plan).not.toContain('applications_p2026_01');
    expect(plan).not.toContain('applications_p2026_02');
    await conn.query('rollback');
  } finally {
    await dbs.pg.knex.client.releaseConnection(conn);
  }
});
