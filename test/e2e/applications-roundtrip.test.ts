import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ensureMonthPartitions } from '../../src/applications/partitions.js';
import { closeKnex, connect, type Db } from '../../src/db/connect.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { toRow } from '../../src/records/db-row.js';
import { fieldNames, type RecordValues } from '../../src/records/fields.js';
import { runCli, scratch } from '../helpers/cli.js';
import { seedApplications } from '../helpers/applications-export-data.js';
import { seed } from '../helpers/export-data.js';
import { createTestDatabase } from '../helpers/pg.js';

// SPEC §7 for applications: export --raw → import → export --raw is byte-identical into the
// same database, and identical but for updated_at into another (PostgreSQL ↔ SQLite).
// The first test loads the exported records with knex (what an import must store); the
// others use `egovctl import applications`, and so need the import of applications.

let s: ReturnType<typeof scratch>;
const pgDbs: Array<Awaited<ReturnType<typeof createTestDatabase>>> = [];
const open: Db[] = [];

async function fresh(dialect: 'pg' | 'sqlite', name: string): Promise<{ url: string; db: Db }> {
  let url: string;
  if (dialect === 'pg') {
    const t = await createTestDatabase(`egovctl_apprt_${name}`);
    pgDbs.push(t);
    url = t.url;
  } else url = `sqlite:${path.join(s.dir, `${name}.sqlite`)}`;
  const m = await runCli(['--db', url, 'migrate', 'latest'], { env: s.env, cwd: s.dir });
  expect(m.code, m.stderr).toBe(0);
  const db = await connect(resolveConfig({ db: url }, {}, s.dir).targets[0]!);
  open.push(db);
  await seed(db.knex);
  return { url, db };
}

beforeAll(() => {
  s = scratch('egovctl-app-roundtrip-');
});

afterAll(async () => {
  for (const db of open) await closeKnex(db.knex);
  for (const t of pgDbs) await t.drop();
  s?.cleanup();
});

const exportRaw = async (url: string, format: 'csv' | 'ndjson') => {
  const r = await runCli(['--db', url, 'export', 'applications', '--raw', '--format', format], { env: s.env, cwd: s.dir });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
};

/** The records of an NDJSON export, as stored values with their updated_at. */
async function load(db: Db, ndjson: string): Promise<void> {
  const records = ndjson.split('\n').filter(Boolean).map((l) => JSON.parse(l) as RecordValues);
  if (db.dialect === 'pg') await ensureMonthPartitions(db.knex, records.map((r) => String(r.submitted_at).slice(0, 7)));
  for (const r of records) await db.knex('applications').insert({ ...toRow('applications', r), updated_at: r.updated_at });
}

const withoutUpdatedAt = (csv: string) => {
  const i = fieldNames('applications').indexOf('updated_at');
  return csv.split('\n').map((l) => l.split(',').filter((_, j) => j !== i).join(',')).join('\n');
};

test('what an export --raw holds, stored again in the other database, exports to the same bytes (PostgreSQL ↔ SQLite)', async () => {
  const src = await fresh('pg', 'src');
  await seedApplications(src.db.knex);
  const csv = await exportRaw(src.url, 'csv');
  const nd = await exportRaw(src.url, 'ndjson');
  expect(csv.split('\n')).toHaveLength(8);
  for (const dialect of ['sqlite', 'pg'] as const) {
    const dst = await fresh(dialect, `knex_${dialect}`);
    await load(dst.db, nd);
    expect(await exportRaw(dst.url, 'csv')).toBe(csv);
    expect(await exportRaw(dst.url, 'ndjson')).toBe(nd);
  }
});

test.each(['pg', 'sqlite'] as const)('export --raw → egovctl import applications → export --raw on %s: byte-identical into the same database, identical but for updated_at into the other', async (dialect) => {
  const src = await fresh(dialect, `imp_${dialect}`);
  await seedApplications(src.db.knex);
  for (const format of ['csv', 'ndjson'] as const) {
    const before = await exportRaw(src.url, format);
    const file = path.join(s.dir, `${dialect}-apps.${format}`);
    fs.writeFileSync(file, before);
    const imp = await runCli(['--db', src.url, '--json', 'import', 'applications', file], { env: s.env, cwd: s.dir });
    expect(imp.code, imp.stderr).toBe(0);
    expect(JSON.parse(imp.stdout)).toMatchObject({ entity: 'applications', records: 6, inserted: 0, updated: 0, unchanged: 6 });
    expect(await exportRaw(src.url, format)).toBe(before);
  }
  const csv = await exportRaw(src.url, 'csv');
  const file = path.join(s.dir, `${dialect}-apps-other.csv`);
  fs.writeFileSync(file, csv);
  const other = await fresh(dialect === 'pg' ? 'sqlite' : 'pg', `other_${dialect}`);
  const imp = await runCli(['--db', other.url, '--json', 'import', 'applications', file], { env: s.env, cwd: s.dir });
  expect(imp.code, imp.stderr).toBe(0);
  expect(JSON.parse(imp.stdout)).toMatchObject({ entity: 'applications', records: 6, inserted: 6 });
  expect(withoutUpdatedAt(await exportRaw(other.url, 'csv'))).toBe(withoutUpdatedAt(csv));
});
