import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { BINARY_HEADER, BINARY_TRAILER, binaryEncoder, numeric, pgDays } from '../../src/import/copy-binary.js';
import { importFile } from '../../src/import/import.js';
import type { ImportOptions } from '../../src/import/types.js';
import type { EntityName } from '../../src/records/fields.js';
import { AGENCY_HEADER, SERVICE_HEADER, agency, openTestDb, testEnv, writeFile, type TestDb } from '../fixtures/import/setup.js';

// COPY's binary format (src/import/copy-binary.ts), which import uses on PostgreSQL for a
// UTF-8 CSV file: each value's binary form is checked against what the server makes of
// the same value as text, and a whole import against the text COPY of the same records.

const require = createRequire(import.meta.url);
let t: TestDb;
beforeAll(async () => {
  t = await openTestDb('pg');
});
afterAll(async () => {
  await t?.close();
});
beforeEach(async () => {
  await t.clear();
});

/** Rows (byte strings) sent by a binary COPY into `table` on a connection of its own. */
async function copyBinary(table: string, cols: string[], rows: string[]): Promise<void> {
  const { from } = require('pg-copy-streams') as typeof import('pg-copy-streams');
  const conn = (await t.db.knex.client.acquireConnection()) as pg.Client;
  try {
    const body = [BINARY_HEADER, ...rows.map((r) => Buffer.from(r, 'latin1')), BINARY_TRAILER];
    await pipeline(Readable.from(body), conn.query(from(`copy ${table} (${cols.join(', ')}) from stdin (format binary)`)));
  } finally {
    await t.db.knex.client.releaseConnection(conn);
  }
}

test('numbers and dates in binary are the values the server reads from their text', async () => {
  const decimals = ['0', '1', '0.5', '13811.5', '1500', '10000', '99990000', '0.001', '0.0001', '0.00001', '123456789012.34', '-2', '-0.75', '100000', '9999.9999', '10000.0001'];
  const dates = ['0001-01-01', '1900-03-01', '1999-12-31', '2000-01-01', '2000-02-29', '2000-03-01', '2024-12-31', '2099-12-31', '9999-12-31'];
  await t.db.knex.raw('create temporary table nums (n numeric, d date, k integer)');
  const rows = decimals.map((n, i) => {
    const d = dates[i % dates.length]!;
    const day = pgDays(Number(d.slice(0, 4)), Number(d.slice(5, 7)), Number(d.slice(8, 10)));
    const int = (x: number) => String.fromCharCode(0, 0, 0, 4, (x >> 24) & 255, (x >> 16) & 255, (x >> 8) & 255, x & 255);
    // numeric() gives the whole field: its length, then its value
    return String.fromCharCode(0, 3) + numeric(n) + int(day) + int(i - 5);
  });
  await copyBinary('nums', ['n', 'd', 'k'], rows);
  const got = (await t.db.knex.raw('select n::text as n, to_char(d, \'YYYY-MM-DD\') as d, k from nums')).rows as Array<{ n: string; d: string; k: number }>;
  const want = (await t.db.knex.raw(
    `select v.n::numeric::text as n, v.d as d, v.k from unnest(?::text[], ?::text[], ?::int[]) as v(n, d, k)`,
    [decimals, decimals.map((_, i) => dates[i % dates.length]!), decimals.map((_, i) => i - 5)],
  )).rows;
  expect(got).toEqual(want);
  expect(got.map((r) => r.n)).toEqual(decimals);
});

test('a decimal keeps its scale in a numeric(14,2) column, as from text', async () => {
  await t.db.knex.raw('create temporary table fees (f numeric(14,2))');
  const values = ['0', '0.5', '1500', '13811.5', '999999999999.99'];
  await copyBinary('fees', ['f'], values.map((v) => String.fromCharCode(0, 1) + numeric(v)));
  const got = ((await t.db.knex.raw('select f::text as f from fees')).rows as Array<{ f: string }>).map((r) => r.f);
  expect(got).toEqual(['0.00', '0.50', '1500.00', '13811.50', '999999999999.99']);
});

test('an encoder row holds the line, the original text and every typed field', async () => {
  await t.db.knex.raw(`create temporary table st (like services)`);
  await t.db.knex.raw('alter table st add column line integer, add column raw text');
  const cols = ['line', 'raw', 'code', 'agency_code', 'name_uz', 'audience', 'status', 'fee_uzs', 'processing_days', 'channels', 'required_documents', 'effective_from', 'updated_at'];
  const b = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
  const encode = binaryEncoder('services', cols, '2026-11-28T10:20:30.456Z');
  await copyBinary('st', cols.map((c) => `"${c}"`), [encode(7, b('S-1,«Р»'), {
    code: 'S-1', agency_code: 'MIN', name_uz: b('«Yagona darcha» Р 😀'), audience: ['G2C', 'G2G'], status: 'draft', fee_uzs: '13811.5',
    processing_days: 365, channels: ['portal'], required_documents: [b('Справка "A"'), 'x\\y'], effective_from: '2024-02-29',
  })]);
  const row = (await t.db.knex.raw(`select line, raw, code, name_uz, audience, fee_uzs::text as fee, processing_days, channels,
    required_documents, effective_from::text as ef, updated_at = '2026-11-28T10:20:30.456Z'::timestamptz as stamp, name_ru from st`)).rows[0];
  expect(row).toEqual({
    line: 7, raw: 'S-1,«Р»', code: 'S-1', name_uz: '«Yagona darcha» Р 😀', audience: 'G2C|G2G', fee: '13811.50', processing_days: 365,
    channels: 'portal', required_documents: JSON.stringify(['Справка "A"', 'x\\y']), ef: '2024-02-29', stamp: true, name_ru: null,
  });
});

test('a CSV import (binary COPY) stores exactly what the same records as NDJSON (text COPY) store', async () => {
  const run = (entity: EntityName, file: string, over: Partial<ImportOptions> = {}) => {
    const env = testEnv(t.dir);
    return { env, done: importFile(t.db, { entity, path: file, mode: 'upsert', dryRun: false, maxErrors: 0, maxIssues: 1000, ...over }, env) };
  };
  await run('agencies', writeFile(t.dir, 'a.csv', [AGENCY_HEADER, agency('MIN')])).done;
  const recs = [
    { fee_uzs: '0', fee_bhm_percent: '', days: '0', from: '0001-01-01', to: '9999-12-31', name: 'Р' },
    { fee_uzs: '', fee_bhm_percent: '0.001', days: '365', from: '1999-12-31', to: '2000-01-01', name: '«Bo‘sh» 😀' },
    { fee_uzs: '999999999999.99', fee_bhm_percent: '', days: '7', from: '2000-02-29', to: '', name: 'a\\b\ttab' },
    { fee_uzs: '', fee_bhm_percent: '100000', days: '12', from: '', to: '', name: '\u00a0edge\u00a0' },
  ];
  const csv = writeFile(t.dir, 's.csv', [SERVICE_HEADER, ...recs.map((r, i) =>
    `S-${i},MIN,"${r.name}",,,,G2C|G2B,,draft,${r.fee_uzs},${r.fee_bhm_percent},${r.days},portal|api,,"Справка|x",,${r.from},${r.to}`)]);
  const nd = path.join(t.dir, 's.ndjson');
  fs.writeFileSync(nd, recs.map((r, i) => JSON.stringify({
    code: `S-${i}`, agency_code: 'MIN', name_uz: r.name, audience: 'G2C|G2B', status: 'draft', fee_uzs: r.fee_uzs || null,
    fee_bhm_percent: r.fee_bhm_percent || null, processing_days: Number(r.days), channels: ['portal', 'api'], required_documents: ['Справка', 'x'],
    effective_from: r.from || null, effective_to: r.to || null,
  })).join('\n'));
  const snapshot = async () => (await t.db.knex.raw(`select s::text as row from (select code, agency_code, name_uz, name_ru, name_en, description, audience, sector, status,
    fee_uzs, fee_bhm_percent, processing_days, channels, legal_basis, required_documents, output, effective_from, effective_to from services order by code) s`)).rows;

  const first = run('services', csv);
  expect((await first.done).inserted).toBe(recs.length);
  expect(first.env.logger.lines).toContain('debug: import: rows go to COPY in its binary format');
  const fromCsv = await snapshot();
  // Into a stored table: the staging table, also binary; nothing changed.
  expect((await run('services', csv).done).unchanged).toBe(recs.length);

  await t.db.knex('services').del();
  const json = run('services', nd);
  expect((await json.done).inserted).toBe(recs.length);
  expect(json.env.logger.lines.some((l) => l.includes('binary'))).toBe(false);
  expect(await snapshot()).toEqual(fromCsv);
  expect(fromCsv).toHaveLength(recs.length);
});

test('a table whose column types were changed by hand gets text COPY', async () => {
  await importFile(t.db, { entity: 'agencies', path: writeFile(t.dir, 'a.csv', [AGENCY_HEADER, agency('MIN')]), mode: 'upsert', dryRun: false, maxErrors: 0, maxIssues: 1000 }, testEnv(t.dir));
  await t.db.knex.raw('alter table services alter column processing_days type bigint');
  try {
    const env = testEnv(t.dir);
    const f = writeFile(t.dir, 's.csv', [SERVICE_HEADER, 'S-1,MIN,Nom,,,,G2C,,draft,5,,3,portal,,,,,']);
    expect((await importFile(t.db, { entity: 'services', path: f, mode: 'upsert', dryRun: false, maxErrors: 0, maxIssues: 1000 }, env)).inserted).toBe(1);
    expect(env.logger.lines).toContain('debug: import: rows go to COPY as text: column processing_days is bigint');
    expect(Number((await t.db.knex('services').first()).processing_days)).toBe(3);
  } finally {
    await t.db.knex('services').del();
    await t.db.knex.raw('alter table services alter column processing_days type integer');
  }
});
