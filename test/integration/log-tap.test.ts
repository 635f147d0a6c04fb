import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { importFile } from '../../src/import/import.js';
import type { ImportOptions } from '../../src/import/types.js';
import { fromRow } from '../../src/records/db-row.js';
import type { EntityName } from '../../src/records/fields.js';
import { ENTRIES_TABLE, HEADS_TABLE, ITEMS_TABLE } from '../../src/registry/log-store.js';
import { purgeServices } from '../../src/registry/purge.js';
import { entryText, type Entry } from '../../src/registry/log/entry.js';
import { itemBytes, itemHash, itemOf } from '../../src/registry/log/item.js';
import { leafHash } from '../../src/registry/log/merkle-hash.js';
import { rootOfLeafHashes } from '../../src/registry/log/merkle-tree.js';
import { verifyDatabase } from '../../src/registry/verify-db.js';
import { AGENCY_HEADER, DIALECTS, SERVICE_HEADER, agency, openTestDb, testEnv, writeFile, type TestDb } from '../fixtures/import/setup.js';

// The first load of an empty services table (PostgreSQL's direct load; on SQLite a staged
// import into an empty table) takes the registry log's items as the records go by
// (src/registry/log-tap.ts) instead of reading the rows back. What it appends must be exactly what the stored rows give through the JavaScript
// path (item.ts, entry.ts): every item's bytes and hash, every entry's bytes, numbers in
// code order, the tree head — for byte strings (CSV) and decoded text (NDJSON) alike, and
// for every character JSON escapes.

const CONTROLS = Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)).join('').slice(1).replace(/[\r\n]/g, '');
const TRICKY = [
  `quote " backslash \\ slash / ${CONTROLS}`,
  'tab\there, del \u007f, sep \u2028\u2029, bom \ufeff',
  'Ўзбекистон Республикаси — «давлат» xizmati oʻzbek 😀 \u{10ffff}',
];

interface Svc {
  code: string;
  name_uz: string;
  name_ru?: string;
  description?: string;
  fee_uzs?: string;
  fee_bhm_percent?: string;
  processing_days?: number;
  audience?: string;
  channels?: string;
  required_documents?: string[];
  status?: string;
}

// not in code order: the entries must be numbered in code order all the same
const SERVICES: Svc[] = [
  { code: 'ZZ-9', name_uz: TRICKY[0]!, name_ru: TRICKY[1]!, description: TRICKY[2]!, fee_uzs: '123456789012.34', required_documents: [TRICKY[0]!, TRICKY[2]!, 'x'] },
  { code: 'AA-1', name_uz: 'plain', fee_uzs: '0', audience: 'G2C|G2B|G2G', channels: 'portal|mobile|center|office|api', required_documents: ['passport', 'ariza | application'] },
  { code: 'B-2', name_uz: 'Xizmat', fee_bhm_percent: '0.001', processing_days: 0 },
  { code: 'AB-10', name_uz: 'x'.repeat(500), description: 'd'.repeat(3000), fee_uzs: '1500.5', processing_days: 365 },
  { code: 'AB-2', name_uz: 'Taʼlim — «xizmat»', fee_uzs: '0.5', status: 'draft' },
  ...Array.from({ length: 300 }, (_, i) => ({ code: `GEN-${String(i).padStart(4, '0')}`, name_uz: `Xizmat ${i} ${TRICKY[i % 3]}`, fee_uzs: String(i * 1000) })),
];

const cell = (s: string | number | undefined) => (s === undefined ? '' : `"${String(s).replace(/"/g, '""')}"`);

function csvLine(s: Svc): string {
  const active = (s.status ?? 'active') === 'active';
  return [s.code, 'MIN', s.name_uz, s.name_ru, undefined, s.description, s.audience ?? 'G2C', undefined, s.status ?? 'active', s.fee_uzs, s.fee_bhm_percent,
    s.processing_days ?? 5, s.channels ?? 'portal', active ? 'PQ-1' : undefined, s.required_documents?.join('|'), undefined, active ? '2024-01-01' : undefined, undefined].map(cell).join(',');
}

function ndjsonLine(s: Svc): string {
  const active = (s.status ?? 'active') === 'active';
  return JSON.stringify({
    code: s.code, agency_code: 'MIN', name_uz: s.name_uz, name_ru: s.name_ru ?? null, description: s.description ?? null,
    audience: (s.audience ?? 'G2C').split('|'), status: s.status ?? 'active', fee_uzs: s.fee_uzs === undefined ? null : Number(s.fee_uzs),
    fee_bhm_percent: s.fee_bhm_percent === undefined ? null : Number(s.fee_bhm_percent), processing_days: s.processing_days ?? 5,
    channels: (s.channels ?? 'portal').split('|'), legal_basis: active ? 'PQ-1' : null, required_documents: s.required_documents ?? null,
    effective_from: active ? '2024-01-01' : null,
  });
}

let t: TestDb;
let log: string[] = [];
function run(entity: EntityName, file: string, over: Partial<ImportOptions> = {}) {
  const env = testEnv(t.dir);
  log = env.logger.lines;
  return importFile(t.db, { entity, path: file, mode: 'upsert', dryRun: false, maxErrors: 0, maxIssues: 1000, ...over }, env);
}
const tapped = () => log.some((l) => l.includes("registry log's items are taken as the records are loaded"));

/** The log as the JavaScript path makes it from the stored rows, against the log stored. */
async function expectTheJavaScriptLog(firstNumber: number): Promise<void> {
  const k = t.db.knex;
  const rows = (await k('services').select('*')) as Array<Record<string, unknown>>;
  const byCode = [...rows].sort((a, b) => (String(a.code) < String(b.code) ? -1 : 1));
  const entries = (await k(ENTRIES_TABLE).where('entity', 'services').orderBy('number')) as Array<Record<string, unknown>>;
  expect(entries.map((e) => e.key)).toEqual(byCode.map((r) => r.code));
  const items = new Map(((await k(ITEMS_TABLE).select('hash', 'bytes')) as Array<{ hash: string; bytes: string }>).map((i) => [i.hash, i.bytes]));
  byCode.forEach((row, i) => {
    const e = entries[i]!;
    const bytes = itemBytes(itemOf('services', fromRow('services', row)));
    const hash = itemHash(bytes);
    expect(e.item, String(row.code)).toBe(hash);
    expect(items.get(hash), String(row.code)).toBe(bytes.toString('utf8'));
    const entry: Entry = { number: firstNumber + i, timestamp: String(e.timestamp), actor: String(e.actor), entity: 'services', op: 'put', key: String(row.code), item: hash };
    expect(Number(e.number)).toBe(entry.number);
    expect(e.bytes).toBe(entryText(entry));
    // the run's timestamp is the updated_at it wrote
    expect(new Date(row.updated_at as Date).toISOString()).toBe(e.timestamp);
  });
  const all = (await k(ENTRIES_TABLE).select('bytes').orderBy('number')) as Array<{ bytes: string }>;
  const head = (await k(HEADS_TABLE).orderBy('size', 'desc').first()) as { size: string | number; root: string };
  expect(Number(head.size)).toBe(all.length);
  expect(head.root).toBe(rootOfLeafHashes(all.map((e) => leafHash(Buffer.from(e.bytes, 'utf8')))).toString('base64'));
  const v = await verifyDatabase(t.db, {});
  expect(v.issues).toEqual([]);
  expect(v.valid).toBe(true);
}

describe.each(DIALECTS)('the first load takes its log as it goes (%s)', (dialect) => {
  // Each test its own database: the log is append-only, so a test cannot clear it for the next.
  beforeEach(async () => {
    t = await openTestDb(dialect);
    await run('agencies', writeFile(t.dir, 'agencies.csv', [AGENCY_HEADER, agency('MIN')]));
  });
  afterEach(async () => {
    await t?.close();
  });

  test('CSV (byte strings): the items, entries and head the stored rows give', async () => {
    const r = await run('services', writeFile(t.dir, 's.csv', [SERVICE_HEADER, ...SERVICES.map(csvLine)]));
    expect(r.inserted).toBe(SERVICES.length);
    expect(tapped()).toBe(true);
    await expectTheJavaScriptLog(2);
  });

  test('NDJSON (decoded text): the same', async () => {
    const r = await run('services', writeFile(t.dir, 's.ndjson', SERVICES.map(ndjsonLine)));
    expect(r.inserted).toBe(SERVICES.length);
    expect(tapped()).toBe(true);
    await expectTheJavaScriptLog(2);
  });

  test('more records than one COPY statement (or one batch of inserts) holds: items stored as they go, each once', async () => {
    const many = Array.from({ length: 60_000 }, (_, i) => ({ code: `M-${String(i).padStart(6, '0')}`, name_uz: `Xizmat ${i} ${TRICKY[i % 3]}`, fee_uzs: String(i) }));
    const r = await run('services', writeFile(t.dir, 'many.csv', [SERVICE_HEADER, ...many.map(csvLine)]));
    expect(r.inserted).toBe(many.length);
    expect(tapped()).toBe(true);
    expect(Number((await t.db.knex(ENTRIES_TABLE).count({ n: '*' }))[0]!.n)).toBe(many.length + 1);
    expect(Number((await t.db.knex(ITEMS_TABLE).count({ n: '*' }))[0]!.n)).toBe(many.length + 1);
    const v = await verifyDatabase(t.db, {});
    expect(v.valid).toBe(true);
  });

  test('a table emptied by a purge has items in the log already: the run reads its rows back instead', async () => {
    const five = SERVICES.slice(0, 5);
    await run('services', writeFile(t.dir, 's.csv', [SERVICE_HEADER, ...five.map(csvLine)]));
    await run('services', writeFile(t.dir, 'retired.csv', [SERVICE_HEADER, ...five.map((s) => csvLine({ ...s, status: 'retired' }))]));
    const purged = await purgeServices(t.db, { status: ['retired'] }, { backupFile: null });
    expect(purged.deleted).toBe(5);
    const r = await run('services', writeFile(t.dir, 'again.csv', [SERVICE_HEADER, ...five.map(csvLine)]));
    expect(r.inserted).toBe(5);
    expect(tapped()).toBe(false);
    const v = await verifyDatabase(t.db, {});
    expect(v.issues).toEqual([]);
    expect(v.valid).toBe(true);
  });

  test('a dry run and a failed load append nothing', async () => {
    await run('services', writeFile(t.dir, 's.csv', [SERVICE_HEADER, ...SERVICES.map(csvLine)]), { dryRun: true });
    const bad = [...SERVICES.map(csvLine), csvLine({ code: 'bad code', name_uz: 'x' })];
    await expect(run('services', writeFile(t.dir, 'bad.csv', [SERVICE_HEADER, ...bad]))).rejects.toThrow();
    const n = (await t.db.knex(ENTRIES_TABLE).count({ n: '*' }))[0]!.n;
    expect(Number(n)).toBe(1);
    expect(Number((await t.db.knex(ITEMS_TABLE).count({ n: '*' }))[0]!.n)).toBe(1);
  });

  test('a code twice: the load starts over staged, and its log is still the stored rows’', async () => {
    const lines = [...SERVICES.slice(0, 20).map(csvLine), csvLine(SERVICES[3]!)];
    await expect(run('services', writeFile(t.dir, 'dup.csv', [SERVICE_HEADER, ...lines]))).rejects.toThrow();
    expect(Number((await t.db.knex(ENTRIES_TABLE).count({ n: '*' }))[0]!.n)).toBe(1);
    const r = await run('services', writeFile(t.dir, 'ok.csv', [SERVICE_HEADER, ...SERVICES.slice(0, 20).map(csvLine)]));
    expect(r.inserted).toBe(20);
    await expectTheJavaScriptLog(2);
  });
});
