import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import { closeKnex, connect, type Db } from '../../src/db/connect.js';
import { copyTo } from '../../src/db/copy-out.js';
import { parseFilters, type RawFilters } from '../../src/export/filters.js';
import type { ExportFormat } from '../../src/export/formats.js';
import { pgExportQuery } from '../../src/export/pg-query.js';
import type { EntityName } from '../../src/records/fields.js';
import { runCli } from '../helpers/cli.js';
import { seedApplications } from '../helpers/applications-export-data.js';
import { generateSql, seed } from '../helpers/export-data.js';
import { createTestDatabase } from '../helpers/pg.js';
import { pgExportQuery as queryBefore } from '../helpers/pg-query-before.js';

// The PostgreSQL export's SQL was restructured for speed (wave 24: each list's check
// computed once, in the parallel workers; the slow JSON path only for rows flagged slow),
// and its COPY output is read by a reader of its own (src/db/copy-out.ts). Both must give
// the bytes the earlier query (kept in test/helpers/pg-query-before.ts) and pg-copy-streams
// gave: this compares them over generated services and hand-made tricky rows — lists that
// are not in JSON.stringify's form, items holding "|", quotes, backslashes, line breaks,
// empty items, formula-like first items, Cyrillic; decimals like 0.10 and the largest fee;
// null fields — for every entity, format, --raw and filter.

const require = createRequire(import.meta.url);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'egovctl-export-diff-'));
let pgDb: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Db;

// stored list texts beside what import writes: other JSON spellings go the slow way
const LISTS: Array<string | null> = [
  null,
  '["Pasport"]',
  '["a|b","c"]',
  '["=SUM(A1)","x"]',
  '["+998","-","@"]',
  '["","x"]',
  '[""]',
  '["x",""]',
  '["a","",""]',
  '["quote \\" inside","back\\\\slash"]',
  '["line\\nbreak","tab\\t"]',
  '[ "spaced" , "json" ]',
  '["Квитанция об оплате","Ариза, 2 нусха"]',
  '["[x]","y]"]',
  '["x[","]"]',
  '["\\u003dformula"]',
  '["a\\",\\"b"]',
  '[]',
  '["emoji 🙂","\u2028"]',
  '["comma, inside","semi;colon"]',
  '["\'quoted\'"]',
  // not JSON, but in the compact form: written as it is, before and now
  '["a""b"]',
];

beforeAll(async () => {
  pgDb = await createTestDatabase('egovctl_expdiff');
  const m = await runCli(['--db', pgDb.url, 'migrate', 'latest'], { env: { PATH: process.env.PATH, HOME: tmp } });
  expect(m.code, m.stderr).toBe(0);
  db = await connect(resolveConfig({ db: pgDb.url }, {}, tmp).targets[0]!);
  await seed(db.knex);
  await seedApplications(db.knex);
  // generated services (SRV-0000001 …) beside the hand-made ones, then tricky rows over them
  await db.knex.raw(generateSql(3000));
  await db.knex.raw(`update services set required_documents = (array[${LISTS.map((l) => (l === null ? 'null' : `'${l.replace(/'/g, "''")}'`)).join(', ')}]::text[])[1 + (substr(code, 5)::int % ${LISTS.length})] where code like 'SRV-0%' and substr(code, 5)::int % 3 = 0`);
  await db.knex.raw(`update services set fee_uzs = (array[0.10, 0.01, 999999999999.99, 100, 1500.50, 0])[1 + substr(code, 5)::int % 6], fee_bhm_percent = null where code like 'SRV-0%' and substr(code, 5)::int % 5 = 1`);
  await db.knex.raw(`update services set fee_bhm_percent = (array[0.001, 0.100, 100000, 12.5])[1 + substr(code, 5)::int % 4], fee_uzs = null where code like 'SRV-0%' and substr(code, 5)::int % 5 = 2`);
  await db.knex.raw(`update services set name_en = null, sector = null, output = null, effective_to = null, description = 'многострочный' || chr(10) || 'текст "в кавычках", запятая' where code like 'SRV-0%' and substr(code, 5)::int % 7 = 3`);
}, 120_000);

afterAll(async () => {
  if (db) await closeKnex(db.knex);
  await pgDb?.drop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** sha256 and size of a COPY's output, with the session settings the export gives it. */
async function copyDigest(sql: string, settings: Array<[string, string]>, reader: 'before' | 'now'): Promise<{ sha: string; bytes: number; head: string }> {
  const client = db.knex.client as { acquireConnection(): Promise<import('pg').Client>; releaseConnection(c: unknown): Promise<void> };
  const conn = await client.acquireConnection();
  try {
    await conn.query('begin isolation level repeatable read read only');
    await conn.query("select set_config('jit', 'off', true)");
    await conn.query("select set_config('datestyle', 'ISO, YMD', true)");
    for (const [n, v] of settings) await conn.query('select set_config($1, $2, true)', [n, v]);
    const { to } = require('pg-copy-streams') as typeof import('pg-copy-streams');
    const stream = conn.query(reader === 'now' ? copyTo(sql) : to(sql));
    const hash = crypto.createHash('sha256');
    let bytes = 0;
    let head = '';
    const sink = new PassThrough();
    sink.on('data', (b: Buffer) => {
      hash.update(b);
      bytes += b.length;
      if (head.length < 4000) head += b.toString('utf8');
    });
    await pipeline(stream, sink);
    await conn.query('commit');
    return { sha: hash.digest('hex'), bytes, head };
  } finally {
    await client.releaseConnection(conn);
  }
}

const CASES: Array<[EntityName, RawFilters]> = [
  ['services', {}],
  ['services', { status: 'active,draft', audience: 'G2B' }],
  ['services', { agency: 'MINJUST,AG-0007', changedSince: '2026-01-01T00:20:00Z' }],
  ['agencies', {}],
  ['agencies', { status: 'active' }],
  ['applications', {}],
  ['applications', { from: '2026-04-01', to: '2026-04-30', agency: 'MINJUST' }],
];

test('the export SQL and its COPY reader give the bytes the earlier query and pg-copy-streams gave', async () => {
  let compared = 0;
  for (const [entity, raw] of CASES) {
    const filters = parseFilters(entity, raw);
    for (const format of ['csv', 'ndjson'] as ExportFormat[]) {
      for (const rawCells of format === 'csv' ? [false, true] : [false]) {
        const before = queryBefore(entity, format, filters, rawCells);
        const now = pgExportQuery(entity, format, filters, rawCells);
        expect(now.settings).toEqual(before.settings);
        const a = await copyDigest(before.copy, before.settings, 'before');
        const b = await copyDigest(now.copy, now.settings, 'now');
        const what = `${entity} ${format}${rawCells ? ' raw' : ''} ${JSON.stringify(raw)}`;
        expect(a.bytes, what).toBeGreaterThan(0);
        if (b.sha !== a.sha) expect(b.head, what).toBe(a.head);
        expect(b.sha, what).toBe(a.sha);
        expect(b.bytes, what).toBe(a.bytes);
        compared++;
      }
    }
  }
  expect(compared).toBe(CASES.length * 3);
}, 120_000);

test('every tricky list reached the export, both ways (compact and slow)', async () => {
  const now = pgExportQuery('services', 'csv', parseFilters('services', {}), false);
  const out = await copyDigest(now.copy, now.settings, 'now');
  expect(out.bytes).toBeGreaterThan(1000);
  const rows = (await db.knex.raw(`select count(distinct required_documents)::int as n from services where required_documents is not null`)) as { rows: Array<{ n: number }> };
  expect(rows.rows[0]!.n).toBeGreaterThanOrEqual(LISTS.length - 1);
});
