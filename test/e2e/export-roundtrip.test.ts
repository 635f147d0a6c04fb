import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import { closeKnex, connect } from '../../src/db/connect.js';
import { runCli, scratch } from '../helpers/cli.js';
import { AGENCIES, SERVICES, seed } from '../helpers/export-data.js';
import { createTestDatabase } from '../helpers/pg.js';

// SPEC §7: export --raw → import → export --raw is byte-identical into the same database,
// and identical but for updated_at into another (PostgreSQL ↔ SQLite). CSV joins list
// items with "|", so an item holding "|" cannot come back from CSV: the CSV round trip
// uses records without one; NDJSON carries every record as it is.

const s = scratch('egovctl-export-rt-');
const env = s.env;
const pgs: Array<Awaited<ReturnType<typeof createTestDatabase>>> = [];
const urls: Record<string, string> = {};
const CSV_SAFE = SERVICES.map((r) => ({ ...r, required_documents: (r.required_documents as string[] | null)?.map((i) => i.replace(/\|/g, '/')) ?? null }));

async function migrated(url: string): Promise<string> {
  const m = await runCli(['--db', url, 'migrate', 'latest'], { env });
  expect(m.code, m.stderr).toBe(0);
  return url;
}

async function seeded(url: string, services = SERVICES): Promise<void> {
  const db = await connect(resolveConfig({ db: url }, {}, s.dir).targets[0]!);
  try {
    await seed(db.knex, AGENCIES, services);
  } finally {
    await closeKnex(db.knex);
  }
}

beforeAll(async () => {
  for (const name of ['pgA', 'pgB', 'pgC']) {
    const d = await createTestDatabase(`egovctl_rt_${name.toLowerCase()}`);
    pgs.push(d);
    urls[name] = await migrated(d.url);
  }
  for (const name of ['liteA', 'liteB', 'liteC']) urls[name] = await migrated(`sqlite:${path.join(s.dir, `${name}.sqlite`)}`);
  await seeded(urls.pgA!);
  await seeded(urls.liteA!);
  await seeded(urls.pgC!, CSV_SAFE);
  await seeded(urls.liteC!, CSV_SAFE);
});

afterAll(async () => {
  for (const d of pgs) await d.drop();
  s.cleanup();
});

async function exportRaw(url: string, entity: string, format: string): Promise<string> {
  const out = path.join(s.dir, `${Math.random().toString(16).slice(2)}.${format}`);
  const r = await runCli(['--db', url, '--quiet', 'export', entity, '--raw', '--out', out], { env });
  expect(r.code, r.stderr).toBe(0);
  return out;
}

async function importFile(url: string, entity: string, file: string): Promise<void> {
  const r = await runCli(['--db', url, '--json', 'import', entity, file], { env });
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(JSON.parse(r.stdout).errors).toBe(0);
}

const read = (f: string) => fs.readFileSync(f, 'utf8');
/** the same text with every updated_at value blanked out */
const butUpdatedAt = (t: string) => t.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z(?=\n|"\})/g, 'T');

test.each([
  ['pgA', 'pgB', 'ndjson'], ['liteA', 'liteB', 'ndjson'], ['pgA', 'liteB', 'ndjson'], ['liteA', 'pgB', 'ndjson'],
  ['pgC', 'liteB', 'csv'], ['liteC', 'pgB', 'csv'], ['pgC', 'pgB', 'csv'], ['liteC', 'liteB', 'csv'],
])('%s → %s as %s: the same records, only updated_at differs; re-import into the source changes nothing', async (from, to, format) => {
  const urlFrom = urls[from]!;
  const urlTo = urls[to]!;
  for (const entity of ['agencies', 'services']) {
    const first = await exportRaw(urlFrom, entity, format);
    await importFile(urlTo, entity, first);
    const second = await exportRaw(urlTo, entity, format);
    expect(read(second).length).toBeGreaterThan(200);
    expect(butUpdatedAt(read(second))).toBe(butUpdatedAt(read(first)));
    // into the same database: unchanged records are left alone, so byte-identical
    await importFile(urlFrom, entity, first);
    expect(read(await exportRaw(urlFrom, entity, format))).toBe(read(first));
  }
  // clear the target for the next pair (services first: they refer to agencies)
  const db = await connect(resolveConfig({ db: urlTo }, {}, s.dir).targets[0]!);
  try {
    await db.knex('services').delete();
    await db.knex('agencies').whereNotNull('parent_code').delete();
    await db.knex('agencies').delete();
  } finally {
    await closeKnex(db.knex);
  }
});
