import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import knexFactory from 'knex';
import { importFile, ImportFailed } from '../../src/import/import.js';
import type { ImportOptions } from '../../src/import/types.js';
import type { EntityName } from '../../src/records/fields.js';
import { AGENCY_HEADER, SERVICE_HEADER, agency, openTestDb, service, testEnv, writeFile, type TestDb } from '../fixtures/import/setup.js';

// The first load of an empty services table on PostgreSQL drops its foreign key and adds
// it again after the COPY (src/import/bulk.ts). Whatever happens, the table must end with
// the same keys and indexes under the same names, validated — and when another session is
// using the table, the import must neither wait for it nor drop anything.

let t: TestDb;
beforeAll(async () => {
  t = await openTestDb('pg');
});
afterAll(async () => {
  await t?.close();
});
beforeEach(async () => {
  await t.clear();
  await run('agencies', writeFile(t.dir, 'agencies.csv', [AGENCY_HEADER, agency('MIN'), agency('VAZ')]));
});

let log: string[] = [];
function run(entity: EntityName, file: string, over: Partial<ImportOptions> = {}) {
  const env = testEnv(t.dir);
  log = env.logger.lines;
  return importFile(t.db, { entity, path: file, mode: 'upsert', dryRun: false, maxErrors: 0, maxIssues: 1000, ...over }, env);
}
const rebuilt = () => log.some((l) => l.includes('foreign keys are checked once, after the load'));

/** Every constraint and index of services: name, definition, validated. */
async function schemaOfServices(): Promise<string[]> {
  const r = await t.db.knex.raw(`
    select 'constraint ' || conname || ' ' || pg_get_constraintdef(oid) || case when convalidated then '' else ' NOT VALID' end as d
      from pg_constraint where conrelid = 'services'::regclass
    union all
    select 'index ' || pg_get_indexdef(indexrelid) from pg_index where indrelid = 'services'::regclass
    order by 1`);
  return (r.rows as Array<{ d: string }>).map((x) => x.d);
}

const services = (n: number, over: (i: number) => Parameters<typeof service>[2] = () => ({})) =>
  Array.from({ length: n }, (_, i) => service(`S-${i + 1}`, i % 2 ? 'MIN' : 'VAZ', over(i)));

test('a first load ends with the same keys and indexes, under the same names, validated', async () => {
  const before = await schemaOfServices();
  expect(before.filter((d) => d.startsWith('index'))).toHaveLength(4);
  expect(before.some((d) => d.includes('FOREIGN KEY (agency_code) REFERENCES agencies(code)'))).toBe(true);
  const r = await run('services', writeFile(t.dir, 's.csv', [SERVICE_HEADER, ...services(300)]));
  expect(r.inserted).toBe(300);
  expect(rebuilt()).toBe(true);
  expect(await schemaOfServices()).toEqual(before);
  // The rebuilt keys hold: a second row with a stored code, or naming no agency, is refused.
  await expect(t.db.knex.raw(`insert into services select * from services where code = 'S-1'`)).rejects.toMatchObject({ code: '23505' });
  await expect(t.db.knex.raw(`update services set agency_code = 'NOPE' where code = 'S-1'`)).rejects.toMatchObject({ code: '23503' });
});

test('a duplicate code in a first load: both lines reported, nothing written, keys and indexes as they were', async () => {
  const before = await schemaOfServices();
  const lines = services(50);
  lines.push(service('S-7', 'MIN', { name: 'again' }));
  const err = await run('services', writeFile(t.dir, 'dup.csv', [SERVICE_HEADER, ...lines])).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ImportFailed);
  expect((err as ImportFailed).report.issues.map((i) => [i.code, i.line])).toEqual([['duplicate-key', 8], ['duplicate-key', 52]]);
  expect(Number((await t.db.knex('services').count({ n: '*' }))[0]!.n)).toBe(0);
  expect(await schemaOfServices()).toEqual(before);
});

test('a bad record in a first load: nothing written, keys and indexes as they were', async () => {
  const before = await schemaOfServices();
  const err = await run('services', writeFile(t.dir, 'bad.csv', [SERVICE_HEADER, ...services(40, (i) => (i === 30 ? { days: '999' } : {}))])).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ImportFailed);
  expect((err as ImportFailed).report.issues.map((i) => [i.code, i.line])).toEqual([['out-of-range', 32]]);
  expect(rebuilt()).toBe(true);
  expect(Number((await t.db.knex('services').count({ n: '*' }))[0]!.n)).toBe(0);
  expect(await schemaOfServices()).toEqual(before);
});

test('while another session reads services, a first load neither waits nor drops anything', async () => {
  const other = knexFactory({ client: 'pg', connection: t.url, pool: { min: 1, max: 1 } });
  const reader = await other.transaction();
  try {
    await reader.raw('select count(*) from services'); // holds ACCESS SHARE until it ends
    const before = await schemaOfServices();
    const r = await run('services', writeFile(t.dir, 's.csv', [SERVICE_HEADER, ...services(200)]));
    expect(r.inserted).toBe(200); // done while the reader still holds its lock: it did not wait
    expect(rebuilt()).toBe(false);
    expect(await schemaOfServices()).toEqual(before);
  } finally {
    await reader.rollback();
    await other.destroy();
  }
});
