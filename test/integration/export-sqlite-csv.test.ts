import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { csvHeader, csvLine } from '../../src/export/csv-cell.js';
import { exportRecords } from '../../src/export/export.js';
import { sqliteCsvLine } from '../../src/export/sqlite-csv.js';
import { parseFilters } from '../../src/export/filters.js';
import { fromRow } from '../../src/records/db-row.js';
import type { EntityName } from '../../src/records/fields.js';
import { AGENCY_HEADER, agency, openTestDb, testEnv, writeFile, type TestDb } from '../fixtures/import/setup.js';
import { importFile } from '../../src/import/import.js';

// The SQLite export builds CSV lines in SQL (src/export/sqlite-csv.ts) and hands a row it
// cannot vouch for to JavaScript. Either way every line must be what JavaScript writes from
// the stored row (csvLine of fromRow): here over rows put straight into the table, past the
// import's checks — values in every form SQL must either write exactly or give up on.

let t: TestDb;

const CONTROLS = Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)).join('').slice(1);
const TEXTS = [
  'plain', 'with, comma', 'with "quote"', 'line\nbreak', 'cr\rhere', `controls ${CONTROLS}`, '=1+2', '+998', '-minus', '@at', "'apos",
  ' lead and trail ', 'Ўзбекистон — «давлат» xizmati oʻzbek 😀', '😀 first', '\u{10ffff}', 'tab\tin', '|pipe|', '""', ',', '\\back\\slash',
];
const LISTS = ['["a","b"]', '[]', '[""]', '["=x","b|c"]', '["a", "b"]', '["q\\"uote"]', '["\\u00e9"]', '[1,"a"]', '["ok, comma","new\\nline"]', '["Ўзбек","😀"]', '[ "sp" ]', '["=","+"]'];
const DECIMALS = ['0', '1500', '1500.5', '0.5', '0.05', '10', '1500.00', '007', '-3', '-0', '+5', '0.0', ' 12 ', '123456789012.34', '0001.2500'];
const DAYS: unknown[] = [0, 5, 365, 5.5, '7'];

function rows(): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const n = Math.max(TEXTS.length, LISTS.length, DECIMALS.length) * 3;
  for (let i = 0; i < n; i++) {
    const text = (k: number) => TEXTS[(i + k) % TEXTS.length]!;
    out.push({
      code: `S-${String(i).padStart(4, '0')}`, agency_code: 'MIN', name_uz: text(0), name_ru: i % 4 ? text(1) : null, name_en: i % 5 ? text(2) : '',
      description: text(3), audience: ['G2C', 'G2C|G2B', '', 'G2B'][i % 4], sector: i % 2 ? text(4) : null, status: 'draft',
      fee_uzs: i % 3 ? DECIMALS[i % DECIMALS.length] : null, fee_bhm_percent: i % 3 ? null : DECIMALS[(i * 7) % DECIMALS.length],
      processing_days: DAYS[i % DAYS.length], channels: 'portal|api', legal_basis: i % 2 ? null : text(5),
      required_documents: i % 6 === 5 ? null : LISTS[i % LISTS.length], output: text(6), effective_from: i % 2 ? '2024-01-01' : null,
      effective_to: null, updated_at: '2026-12-01T10:00:00.000Z',
    });
  }
  return out;
}

async function exported(entity: EntityName, raw: boolean, status?: string): Promise<string> {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  await exportRecords(t.db, entity, { format: 'csv', raw, filters: status ? parseFilters(entity, { status }) : undefined }, sink);
  return Buffer.concat(chunks).toString('utf8');
}

/** What JavaScript writes from the stored rows (the export's own path before SQL made the lines). */
async function byJavaScript(entity: EntityName, raw: boolean, status?: string): Promise<string> {
  const key = entity === 'applications' ? 'id' : 'code';
  const q = t.db.knex(entity).select('*').orderBy(key);
  if (status) q.where('status', status);
  const stored = (await q) as Array<Record<string, unknown>>;
  return csvHeader(entity) + stored.map((r) => csvLine(entity, fromRow(entity, r), raw)).join('');
}

beforeAll(async () => {
  t = await openTestDb('sqlite');
  await importFile(t.db, { entity: 'agencies', path: writeFile(t.dir, 'a.csv', [AGENCY_HEADER, agency('MIN'), agency('VAZ')]), mode: 'upsert', dryRun: false, maxErrors: 0, maxIssues: 100 }, testEnv(t.dir));
  const conn = (await t.db.knex.client.acquireConnection()) as { exec(sql: string): void; prepare(sql: string): { run(o: Record<string, unknown>): void } };
  try {
    // past the table's checks (a hand-made or older database may hold anything)
    conn.exec('PRAGMA ignore_check_constraints = ON');
    const cols = Object.keys(rows()[0]!);
    const insert = conn.prepare(`insert into services (${cols.join(', ')}) values (${cols.map((c) => `@${c}`).join(', ')})`);
    for (const r of rows()) insert.run(r);
    conn.exec('PRAGMA ignore_check_constraints = OFF');
  } finally {
    await t.db.knex.client.releaseConnection(conn);
  }
});
afterAll(async () => {
  await t?.close();
});

test.each([false, true])('every CSV line is the one JavaScript writes from the stored row (raw %s)', async (raw) => {
  const js = await byJavaScript('services', raw);
  expect(js.split('\n').length).toBeGreaterThan(100);
  expect(await exported('services', raw)).toBe(js);
  expect(await exported('agencies', raw)).toBe(await byJavaScript('agencies', raw));
});

test('with a filter: the same', async () => {
  expect(await exported('services', false, 'draft')).toBe(await byJavaScript('services', false, 'draft'));
});

test('a stored value no export can write is still a database error, named', async () => {
  await t.db.knex('services').insert({ ...rows()[0], code: 'ZZ-BAD', required_documents: 'not json' });
  try {
    await expect(exported('services', false)).rejects.toThrow(/cannot export service ZZ-BAD .*malformed/);
  } finally {
    await t.db.knex('services').where('code', 'ZZ-BAD').del();
  }
});

test('SQL writes the lines of rows in the import’s own forms, and leaves only the others to JavaScript', async () => {
  const conn = (await t.db.knex.client.acquireConnection()) as {
    function(name: string, o: { varargs: boolean }, f: (...a: unknown[]) => unknown): void;
    prepare(sql: string): { pluck(): { get(): unknown; all(): unknown[] } };
  };
  try {
    conn.function('to_javascript', { varargs: true }, () => null);
    const left = (where = '') => Number(conn.prepare(`select count(*) from services where ${sqliteCsvLine('services', false, 'to_javascript', 'services')} is null ${where}`).pluck().get());
    const all = Number(conn.prepare('select count(*) from services').pluck().get());
    expect(left()).toBeGreaterThan(0);
    expect(left()).toBeLessThan(all);
    // a row as the import stores it: SQL's
    expect(left(`and code = 'S-0000'`)).toBe(0);
  } finally {
    await t.db.knex.client.releaseConnection(conn);
  }
});
