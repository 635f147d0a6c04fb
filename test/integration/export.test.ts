import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import zlib from 'node:zlib';
import { listMigrationFiles } from '../../src/db/migrator.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import { closeKnex, connect, type Db } from '../../src/db/connect.js';
import { exportRecords, writeRecordsFile, type ExportOptions } from '../../src/export/export.js';
import { NO_FILTERS, parseFilters } from '../../src/export/filters.js';
import { toJsonText } from '../../src/records/db-row.js';
import type { RecordValues } from '../../src/records/fields.js';
import { runCli } from '../helpers/cli.js';
import { AGENCIES, SERVICES, seed, stamp } from '../helpers/export-data.js';
import { createTestDatabase } from '../helpers/pg.js';

/** schema_version in a manifest: the last migration applied, here every shipped one */
const LAST_MIGRATION = listMigrationFiles().at(-1)!.name;

// The export core against real databases: the same records in PostgreSQL and SQLite, every
// format, the formula guard, filters, gzip, the manifest, and a failure that must leave the
// previous file alone. Needs the build (migrations are applied by the built binary).

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'egovctl-export-it-'));
let pgDb: Awaited<ReturnType<typeof createTestDatabase>>;
const dbs: Record<'pg' | 'sqlite', Db> = {} as Record<'pg' | 'sqlite', Db>;

async function open(url: string): Promise<Db> {
  const m = await runCli(['--db', url, 'migrate', 'latest'], { env: { PATH: process.env.PATH, HOME: tmp } });
  expect(m.code, m.stderr).toBe(0);
  const target = resolveConfig({ db: url }, {}, tmp).targets[0]!;
  return connect(target);
}

beforeAll(async () => {
  pgDb = await createTestDatabase('egovctl_export');
  dbs.pg = await open(pgDb.url);
  dbs.sqlite = await open(`sqlite:${path.join(tmp, 'it.sqlite')}`);
  for (const db of Object.values(dbs)) await seed(db.knex);
});

afterAll(async () => {
  for (const db of Object.values(dbs)) if (db) await closeKnex(db.knex);
  await pgDb?.drop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function text(db: Db, entity: 'agencies' | 'services', opts: Partial<ExportOptions> = {}): Promise<string> {
  return (await bytes(db, entity, opts)).toString('utf8');
}

async function bytes(db: Db, entity: 'agencies' | 'services', opts: Partial<ExportOptions> = {}): Promise<Buffer> {
  const sink = new PassThrough();
  const parts: Buffer[] = [];
  sink.on('data', (d: Buffer) => parts.push(d));
  await exportRecords(db, entity, { format: 'csv', ...opts }, sink);
  return Buffer.concat(parts);
}

const HEADER = 'code,agency_code,name_uz,name_ru,name_en,description,audience,sector,status,fee_uzs,fee_bhm_percent,processing_days,channels,legal_basis,required_documents,output,effective_from,effective_to,updated_at';

describe.each(['pg', 'sqlite'] as const)('export from %s', (dialect) => {
  const db = () => dbs[dialect];

  test('CSV: header in SPEC order, ordered by code, quoting, numbers in shortest form, formula guard', async () => {
    const lines = (await text(db(), 'services')).split('\n');
    expect(lines[0]).toBe(HEADER);
    expect(lines[1]).toBe(`SRV-001,MINJUST,Notarial harakat,"Нотариальное действие, «срочно»",Notarial act,"Line one`);
    expect(lines[2]).toBe('Line ""two""\r');
    expect(lines[3]).toBe(`back\\slash\ttab \u2028 end 🙂",G2C|G2B,Adliya,active,187500,,1,portal|center,VM qarori 123-son,"Pasport|Ariza, 2 nusxa|quote "" and \\ back",Guvohnoma,2024-01-01,,${stamp(0)}`);
    expect(lines[4]).toBe(`SRV-002,ADLIYA-TK,'+Formula kabi,'-минус,'@at,'=cmd|' /C calc'!A0,G2B,'-sector,draft,,0.5,0,api,"'=HYPERLINK(""x"")",'=SUM(A1)|b|c,'+output,,,${stamp(1)}`);
    expect(lines[5]).toBe(`SRV-003,MINJUST,Bepul xizmat,,,,G2C|G2B|G2G,,suspended,0,,365,portal|mobile|center|office|api,,Один,,,,${stamp(2)}`);
    expect(lines[6]).toBe(`SRV-004,OLD-COMM,Control \u0001 char,,,,G2G,,retired,13811.5,,30,office,,,,2020-02-29,2021-12-31,${stamp(3)}`);
    expect(lines[7]).toBe(`SRV-005,ADLIYA-TK,Katta toʻlov,,,,G2C,,active,999999999999.99,,10,mobile,Qonun,,,2025-06-01,,${stamp(4)}`);
    expect(lines[8]).toBe(`SRV-006,MINJUST,Foiz,,,,G2B|G2G,,active,,100000,5,portal,Qonun,x,,2025-06-01,,${stamp(5)}`);
    expect(lines.length).toBe(10);
    expect(lines[9]).toBe('');
  });

  test('CSV --raw writes free text exactly; codes, tin and phone are never altered', async () => {
    const lines = (await text(db(), 'services', { raw: true })).split('\n');
    expect(lines[4]).toBe(`SRV-002,ADLIYA-TK,+Formula kabi,-минус,@at,=cmd|' /C calc'!A0,G2B,-sector,draft,,0.5,0,api,"=HYPERLINK(""x"")",=SUM(A1)|b|c,+output,,,${stamp(1)}`);
    const agencies = (await text(db(), 'agencies')).split('\n');
    expect(agencies[1]).toBe(`ADLIYA-TK,'=Toshkent adliya boshqarmasi,,,agency,MINJUST,,UZ-TK,,,,active,${stamp(1)}`);
    expect(agencies[2]).toBe(`MINJUST,Adliya vazirligi,Министерство юстиции,Ministry of Justice,ministry,,012345678,UZ,https://minjust.uz,info@minjust.uz,+998712000000,active,${stamp(0)}`);
  });

  test('NDJSON lines equal toJsonText byte for byte', async () => {
    for (const [entity, records] of [['services', SERVICES], ['agencies', AGENCIES]] as const) {
      const order = [...records].map((r): RecordValues => ({ ...r, updated_at: stamp(records.indexOf(r)) })).sort((a, b) => (String(a.code) < String(b.code) ? -1 : 1));
      const expected = order.map((r) => `${toJsonText(entity, r)}\n`).join('');
      expect(await text(db(), entity, { format: 'ndjson' })).toBe(expected);
    }
  });

  test('JSON is one array, one record per line; an empty result is []', async () => {
    const out = await text(db(), 'services', { format: 'json' });
    const nd = (await text(db(), 'services', { format: 'ndjson' })).trimEnd().split('\n');
    expect(out).toBe(`[\n${nd.join(',\n')}\n]\n`);
    const parsed = JSON.parse(out) as Array<Record<string, unknown>>;
    expect(parsed.map((r) => r.code)).toEqual(['SRV-001', 'SRV-002', 'SRV-003', 'SRV-004', 'SRV-005', 'SRV-006']);
    expect(parsed[0]!.fee_uzs).toBe(187500);
    expect(parsed[0]!.required_documents).toEqual(['Pasport', 'Ariza, 2 nusxa', 'quote " and \\ back']);
    expect(parsed[2]!.fee_bhm_percent).toBeNull();
    const none = await text(db(), 'services', { format: 'json', filters: parseFilters('services', { status: 'draft', agency: 'MINJUST' }) });
    expect(none).toBe('[]\n');
    expect(await text(db(), 'services', { format: 'ndjson', filters: parseFilters('services', { agency: 'NOPE' }) })).toBe('');
    expect(await text(db(), 'services', { filters: parseFilters('services', { agency: 'NOPE' }) })).toBe(`${HEADER}\n`);
  });

  test('filters: status, agency, audience (any of), changed-since (at or after)', async () => {
    const codes = async (raw: Parameters<typeof parseFilters>[1], entity: 'services' | 'agencies' = 'services') =>
      (await text(db(), entity, { format: 'ndjson', filters: parseFilters(entity, raw) })).trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l).code);
    expect(await codes({ status: 'active' })).toEqual(['SRV-001', 'SRV-005', 'SRV-006']);
    expect(await codes({ status: 'draft,retired' })).toEqual(['SRV-002', 'SRV-004']);
    expect(await codes({ agency: 'ADLIYA-TK' })).toEqual(['SRV-002', 'SRV-005']);
    expect(await codes({ audience: 'G2G' })).toEqual(['SRV-003', 'SRV-004', 'SRV-006']);
    expect(await codes({ audience: 'G2B', status: 'active' })).toEqual(['SRV-001', 'SRV-006']);
    expect(await codes({ changedSince: stamp(4) })).toEqual(['SRV-005', 'SRV-006']);
    expect(await codes({ changedSince: '2026-01-31T13:04:04+05:00' })).toEqual(['SRV-005', 'SRV-006']);
    expect(await codes({ status: 'abolished' }, 'agencies')).toEqual(['OLD-COMM']);
    expect(await codes({ agency: 'MINJUST,OLD-COMM' }, 'agencies')).toEqual(['MINJUST', 'OLD-COMM']);
  });

  test('a filter value that tries SQL is only ever a value', async () => {
    const evil = `MINJUST' OR '1'='1`;
    const out = await text(db(), 'services', { format: 'ndjson', filters: parseFilters('services', { agency: `${evil},x'); drop table services; --` }) });
    expect(out).toBe('');
    expect(Number((await db().knex('services').count({ n: '*' }))[0]!.n)).toBe(6);
  });

  test('gzip: deterministic, and gunzips to the plain export', async () => {
    const a = await bytes(db(), 'services', { gzip: true });
    const b = await bytes(db(), 'services', { gzip: true });
    expect(a.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(a.equals(b)).toBe(true);
    expect(zlib.gunzipSync(a).equals(await bytes(db(), 'services'))).toBe(true);
  });

  test('--out: manifest with the file\'s own size and sha256', async () => {
    const out = path.join(tmp, `${dialect}-services.ndjson.gz`);
    const r = await writeRecordsFile(db(), 'services', out, { format: 'ndjson', gzip: true, manifest: true, toolVersion: '9.9.9', filters: parseFilters('services', { status: 'active' }) });
    const file = fs.readFileSync(out);
    const m = JSON.parse(fs.readFileSync(`${out}.manifest.json`, 'utf8'));
    expect(m).toEqual({
      entity: 'services', format: 'ndjson', rows: 3, bytes: file.length,
      sha256: crypto.createHash('sha256').update(file).digest('hex'),
      exported_at: r.exported_at, filters: { status: ['active'], agency: null, audience: null, changed_since: null },
      tool_version: '9.9.9', schema_version: LAST_MIGRATION, compression: 'gzip', raw: false,
    });
    expect(zlib.gunzipSync(file).toString().split('\n').length).toBe(4);
    expect(fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('a failed export leaves the previous file untouched and no temporary file', async () => {
    const out = path.join(tmp, `${dialect}-fail.csv`);
    fs.writeFileSync(out, 'previous export\n');
    // a list that is not JSON: the export fails part-way, after the first records
    await db().knex('services').insert({ ...(await db().knex('services').where({ code: 'SRV-006' }).first()), code: 'SRV-007', required_documents: '[broken' });
    try {
      await expect(writeRecordsFile(db(), 'services', out, { format: 'csv' })).rejects.toThrow();
      expect(fs.readFileSync(out, 'utf8')).toBe('previous export\n');
      expect(fs.readdirSync(tmp).filter((f) => f.startsWith(`.${dialect}-fail.csv`))).toEqual([]);
      // and the connection is usable afterwards (the audit row is written on it)
      expect(Number((await db().knex('services').count({ n: '*' }))[0]!.n)).toBe(7);
    } finally {
      await db().knex('services').where({ code: 'SRV-007' }).delete();
    }
  });

  test('an aborted export (SIGINT) leaves no file behind', async () => {
    const out = path.join(tmp, `${dialect}-abort.csv`);
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(writeRecordsFile(db(), 'services', out, { format: 'csv', signal: ac.signal })).rejects.toThrow('stop');
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('abort'))).toEqual([]);
  });
});

test('PostgreSQL and SQLite exports of the same records are byte-identical', async () => {
  for (const format of ['csv', 'ndjson', 'json'] as const) {
    for (const entity of ['services', 'agencies'] as const) {
      for (const raw of [false, true]) {
        const pg = await bytes(dbs.pg, entity, { format, raw });
        const lite = await bytes(dbs.sqlite, entity, { format, raw });
        expect(pg.toString(), `${entity} ${format} raw=${raw}`).toBe(lite.toString());
        expect(pg.length).toBeGreaterThan(100);
      }
    }
  }
  expect(NO_FILTERS.status).toBeNull();
});
