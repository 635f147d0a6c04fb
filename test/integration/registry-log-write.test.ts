import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { down, latest } from '../../src/db/migrator.js';
import { ENTRIES_TABLE, HEADS_TABLE, ITEMS_TABLE } from '../../src/registry/log-store.js';
import { entryBytes, parseEntry, type Entry } from '../../src/registry/log/entry.js';
import { itemHash } from '../../src/registry/log/item.js';
import { rootOfLeaves } from '../../src/registry/log/merkle-tree.js';
import { ROOT } from '../helpers/cli.js';
import { AGENCIES, cli, openTestDb, seed, SERVICES, UPDATED, type Dialect, type TestDb } from '../helpers/registry-seed.js';

// The registry log's tables on both databases: the genesis of a first-wave database, and
// the one write path (import in its modes, retire, purge) appending exactly the run's
// changes, gapless, in SPEC §9's order, with the head stored.

const MIGRATIONS = path.join(ROOT, 'dist', 'migrations');
const LOG_MIGRATION = '20261201000001_registry_log';

export async function entries(t: TestDb): Promise<Entry[]> {
  const rows = (await t.db.knex(ENTRIES_TABLE).select('bytes').orderBy('number')) as Array<{ bytes: string }>;
  return rows.map((r) => {
    const p = parseEntry(r.bytes);
    if ('error' in p) throw new Error(p.error);
    return p.entry;
  });
}

async function heads(t: TestDb) {
  return ((await t.db.knex(HEADS_TABLE).select('size', 'root').orderBy('size')) as Array<{ size: number | string; root: string }>).map((h) => ({ size: Number(h.size), root: h.root }));
}

describe.each<Dialect>(['pg', 'sqlite'])('registry log writes on %s', (dialect) => {
  let t: TestDb;
  let dir: string;
  beforeAll(async () => {
    t = await openTestDb(dialect);
    dir = fs.mkdtempSync(path.join(t.env.HOME!, 'files-'));
  });
  afterAll(async () => t?.cleanup());

  test('genesis: a first-wave database with rows gets one entry per record, agencies then services, in code order', async () => {
    // Start again from the first wave's schema: roll back the log migration, write rows, migrate.
    await down(t.db, LOG_MIGRATION, { dir: MIGRATIONS });
    expect(await t.db.knex.schema.hasTable(ENTRIES_TABLE)).toBe(false);
    expect(await t.db.knex.schema.hasTable('services')).toBe(true);
    await seed(t.db);
    const before = Date.now();
    await latest(t.db, { dir: MIGRATIONS });
    const es = await entries(t);
    expect(es.map((e) => `${e.entity}:${e.key}`)).toEqual([...AGENCIES.map((a) => `agencies:${a.code}`), ...SERVICES.map((s) => `services:${s.code}`)]);
    expect(es.map((e) => e.number)).toEqual(es.map((_, i) => i + 1));
    expect(new Set(es.map((e) => e.actor))).toEqual(new Set(['migration']));
    expect(new Set(es.map((e) => e.op))).toEqual(new Set(['put']));
    expect(Date.parse(es[0]!.timestamp)).toBeGreaterThanOrEqual(before - 5);
    // items keep each record's updated_at, and hash to their entries' hashes
    const items = (await t.db.knex(ITEMS_TABLE).select('hash', 'bytes')) as Array<{ hash: string; bytes: string }>;
    for (const i of items) {
      expect(itemHash(Buffer.from(i.bytes))).toBe(i.hash);
      expect(JSON.parse(i.bytes).updated_at).toBe(UPDATED);
    }
    expect(new Set(es.map((e) => e.item))).toEqual(new Set(items.map((i) => i.hash)));
    const root = rootOfLeaves(es.map((e) => entryBytes(e))).toString('base64');
    expect(await heads(t)).toEqual([{ size: es.length, root }]);
  });

  test('the log is append-only for every client', async () => {
    await expect(t.db.knex(ENTRIES_TABLE).where({ number: 1 }).update({ actor: 'x' })).rejects.toThrow(/append-only/);
    await expect(t.db.knex(ENTRIES_TABLE).where({ number: 1 }).delete()).rejects.toThrow(/append-only/);
    await expect(t.db.knex(ITEMS_TABLE).delete()).rejects.toThrow(/append-only/);
    await expect(t.db.knex(HEADS_TABLE).update({ root: 'x' })).rejects.toThrow(/append-only/);
  });

  test('import: the changed records only, deletions before puts in code order, the run\'s timestamp = updated_at; dry runs, failed and unchanged runs append nothing', async () => {
    const n0 = (await entries(t)).length;
    const file = path.join(dir, 'services.ndjson');
    const exp = await cli(t, ['export', 'services', '--format', 'ndjson', '--out', file]);
    expect(exp.code).toBe(0);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    // unchanged re-import
    expect((await cli(t, ['import', 'services', file])).code).toBe(0);
    expect((await entries(t)).length).toBe(n0);
    // a fee changed, one new service, and (replace) ADL-0004 and SOL-0002 left out
    const changed = lines.filter((l) => l.code !== 'ADL-0004' && l.code !== 'SOL-0002').map((l) => (l.code === 'SOL-0001' ? { ...l, fee_uzs: 200000 } : l));
    changed.push({ ...lines[0]!, code: 'ADL-0100' });
    fs.writeFileSync(file, changed.map((l) => JSON.stringify(l)).join('\n') + '\n');
    expect((await cli(t, ['import', 'services', file, '--mode', 'replace', '--dry-run', '--yes'])).code).toBe(0);
    expect((await entries(t)).length).toBe(n0);
    const bad = path.join(dir, 'bad.ndjson');
    fs.writeFileSync(bad, JSON.stringify({ ...lines[0]!, code: 'ADL-0200', fee_uzs: 5 }) + '\n' + JSON.stringify({ ...lines[0]!, code: 'x' }) + '\n');
    expect((await cli(t, ['import', 'services', bad])).code).toBe(3);
    expect((await entries(t)).length).toBe(n0);
    const r = await cli(t, ['import', 'services', file, '--mode', 'replace', '--yes', '--no-backup', '--json']);
    expect(r.code).toBe(0);
    const es = (await entries(t)).slice(n0);
    expect(es.map((e) => `${e.op}:${e.key}`)).toEqual(['delete:ADL-0004', 'delete:SOL-0002', 'put:ADL-0100', 'put:SOL-0001']);
    expect(es.map((e) => e.number)).toEqual([n0 + 1, n0 + 2, n0 + 3, n0 + 4]);
    const ts = es[0]!.timestamp;
    expect(new Set(es.map((e) => e.timestamp))).toEqual(new Set([ts]));
    const row = (await t.db.knex('services').where({ code: 'SOL-0001' }).first()) as { updated_at: unknown };
    expect(row.updated_at instanceof Date ? row.updated_at.toISOString() : row.updated_at).toBe(ts);
    expect(es[0]!.actor).toMatch(/^.+@.+$/);
    const item = (await t.db.knex(ITEMS_TABLE).where({ hash: es[3]!.item }).first()) as { bytes: string };
    expect(JSON.parse(item.bytes)).toMatchObject({ code: 'SOL-0001', fee_uzs: '200000', updated_at: ts });
    const hs = await heads(t);
    expect(hs[hs.length - 1]!.size).toBe(n0 + 4);
    const all = await entries(t);
    expect(hs[hs.length - 1]!.root).toBe(rootOfLeaves(all.map((e) => entryBytes(e))).toString('base64'));
  });

  test('agencies by import, then retire and purge append through the same path', async () => {
    const n0 = (await entries(t)).length;
    const file = path.join(dir, 'agencies.ndjson');
    expect((await cli(t, ['export', 'agencies', '--format', 'ndjson', '--out', file])).code).toBe(0);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    fs.writeFileSync(file, lines.map((l) => JSON.stringify({ ...l, name_en: `Agency ${String(l.code)}` })).join('\n') + '\n');
    expect((await cli(t, ['import', 'agencies', file])).code).toBe(0);
    const added = (await entries(t)).slice(n0);
    expect(added.map((e) => `${e.entity}:${e.key}`)).toEqual(AGENCIES.map((a) => `agencies:${a.code}`));
    const n1 = n0 + added.length;
    expect((await cli(t, ['registry', 'retire', 'ADL-0001', '--on', '2026-02-01', '--yes'])).code).toBe(0);
    let es = (await entries(t)).slice(n1);
    expect(es.map((e) => `${e.op}:${e.key}`)).toEqual(['put:ADL-0001']);
    // retiring again with the same date changes nothing, appends nothing
    expect((await cli(t, ['registry', 'retire', 'ADL-0001', '--on', '2026-02-01', '--yes'])).code).toBe(0);
    expect((await entries(t)).length).toBe(n1 + 1);
    const p = await cli(t, ['registry', 'purge', '--status', 'retired', '--yes', '--no-backup']);
    expect(p.code).toBe(0);
    es = (await entries(t)).slice(n1 + 1);
    expect(es.map((e) => `${e.op}:${e.key}`)).toEqual(['delete:ADL-0001', 'delete:ADL-0002', 'delete:ADL-0003', 'delete:SOL-0003', 'delete:TK-0001']);
    expect(es.map((e) => e.number)).toEqual([n1 + 2, n1 + 3, n1 + 4, n1 + 5, n1 + 6]);
  });

  test('undoing the log migration says the history will be lost and writes the log file first; the file verifies', async () => {
    const n = (await entries(t)).length;
    const r = await cli(t, ['migrate', 'down', LOG_MIGRATION, '--yes', '--backup', dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`the registry log's history (${n} entries) will be lost; the log file is written first to ${dir}`);
    const file = fs.readdirSync(dir).find((f) => f.includes('-registry-log-'))!;
    expect(r.stderr + r.stdout).toContain(`registry log (${n} entries): ${path.join(dir, file)}`);
    expect(fs.readFileSync(path.join(dir, file), 'utf8').trim().split('\n')).toHaveLength(n);
    expect(await t.db.knex.schema.hasTable(ENTRIES_TABLE)).toBe(false);
    const v = await cli(t, ['registry', 'verify', '--log', path.join(dir, file), '--json']);
    expect(JSON.parse(v.stdout)).toMatchObject({ valid: true, size: n });
    expect(v.code).toBe(0);
    await latest(t.db, { dir: MIGRATIONS });
  });
});
