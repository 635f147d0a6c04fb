import { afterEach, beforeEach, expect, test } from 'vitest';
import { importFile, ImportFailed } from '../../src/import/import.js';
import type { ImportOptions } from '../../src/import/types.js';
import type { EntityName } from '../../src/records/fields.js';
import { ENTRIES_TABLE, ITEMS_TABLE } from '../../src/registry/log-store.js';
import { verifyDatabase } from '../../src/registry/verify-db.js';
import { AGENCY_HEADER, SERVICE_HEADER, agency, openTestDb, service, testEnv, writeFile, type TestDb } from '../fixtures/import/setup.js';

// SQLite's first load of an empty services table goes straight into the table (no staging
// table, no merge: src/import/dialects/sqlite.ts), its registry log taken as it goes. What
// it cannot report line by line — a code twice — makes it start over through the staging
// table, which reports every line; anything else the staged path does is unchanged.

let t: TestDb;
let log: string[] = [];
function run(entity: EntityName, file: string, over: Partial<ImportOptions> = {}) {
  const env = testEnv(t.dir);
  log = env.logger.lines;
  return importFile(t.db, { entity, path: file, mode: 'upsert', dryRun: false, maxErrors: 0, maxIssues: 1000, ...over }, env);
}
const straight = () => log.some((l) => l.includes('straight into the empty services table'));
const staged = () => log.some((l) => l.includes('into the staging table'));
const count = async (table: string) => Number((await t.db.knex(table).count({ n: '*' }))[0]!.n);
const code = (i: number) => `S-${String(i).padStart(6, '0')}`;

beforeEach(async () => {
  t = await openTestDb('sqlite');
  await run('agencies', writeFile(t.dir, 'agencies.csv', [AGENCY_HEADER, agency('MIN'), agency('VAZ')]));
});
afterEach(async () => {
  await t?.close();
});

test('a first load goes straight into the empty table; a second import of it is staged and finds it unchanged', async () => {
  // more than one stretch of the load (the log's items are stored every 10,000 records)
  const lines = Array.from({ length: 25_000 }, (_, i) => service(code(i), i % 2 ? 'MIN' : 'VAZ', { description: `Xizmat ${i}, «tavsif»` }));
  const file = writeFile(t.dir, 's.csv', [SERVICE_HEADER, ...lines]);
  const r = await run('services', file);
  expect(r).toMatchObject({ inserted: 25_000, updated: 0, unchanged: 0, errors: 0 });
  expect(straight()).toBe(true);
  expect(staged()).toBe(false);
  expect(await count('services')).toBe(25_000);
  // agencies' two entries and one per service; every item once
  expect(await count(ENTRIES_TABLE)).toBe(25_002);
  expect(await count(ITEMS_TABLE)).toBe(25_002);
  expect((await verifyDatabase(t.db, {})).valid).toBe(true);

  const again = await run('services', file);
  expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 25_000 });
  expect(straight()).toBe(false);
  expect(await count(ENTRIES_TABLE)).toBe(25_002);
});

test('a code twice: it starts over staged, reports both lines, writes nothing', async () => {
  const lines = [service(code(1), 'MIN'), service(code(2), 'MIN'), service(code(3), 'MIN'), service(code(2), 'VAZ')];
  const err = await run('services', writeFile(t.dir, 'dup.csv', [SERVICE_HEADER, ...lines])).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ImportFailed);
  const issues = (err as ImportFailed).report.issues.filter((i) => i.code === 'duplicate-key');
  expect(issues.map((i) => i.line)).toEqual([3, 5]);
  expect(straight()).toBe(true);
  expect(staged()).toBe(true);
  expect(await count('services')).toBe(0);
  expect(await count(ENTRIES_TABLE)).toBe(2);
  expect(await count(ITEMS_TABLE)).toBe(2);
});

test('a bad record or an unknown agency: every one reported, nothing written', async () => {
  const lines = [service(code(1), 'MIN'), service('bad code', 'MIN'), service(code(3), 'NOPE'), service(code(4), 'MIN')];
  const err = await run('services', writeFile(t.dir, 'bad.csv', [SERVICE_HEADER, ...lines])).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ImportFailed);
  expect((err as ImportFailed).report.issues.filter((i) => i.severity === 'error').map((i) => i.line)).toEqual([3, 4]);
  expect(await count('services')).toBe(0);
  expect(await count(ENTRIES_TABLE)).toBe(2);
});

test('--max-errors and a table that is not empty stay staged', async () => {
  const r = await run('services', writeFile(t.dir, 'a.csv', [SERVICE_HEADER, service(code(1), 'MIN'), service('bad code', 'MIN')]), { maxErrors: 1 });
  expect(r).toMatchObject({ inserted: 1, rejected: 1 });
  expect(straight()).toBe(false);
  const more = await run('services', writeFile(t.dir, 'b.csv', [SERVICE_HEADER, service(code(2), 'MIN')]));
  expect(more).toMatchObject({ inserted: 1 });
  expect(straight()).toBe(false);
  expect((await verifyDatabase(t.db, {})).valid).toBe(true);
});
