import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { cli, openTestDb, type Dialect, type TestDb } from '../helpers/registry-seed.js';

// registry verify against the database, on both: what it catches when the database is
// changed behind the tool's back with plain SQL (the log's triggers dropped first where
// the log itself is edited).

const SAMPLES = path.join(ROOT, 'samples');

interface Report {
  valid: boolean;
  size: number;
  issues: Array<{ code: string; key: string | null; field: string | null; message: string }>;
}

describe.each<Dialect>(['pg', 'sqlite'])('registry verify (database) on %s', (dialect) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await openTestDb(dialect);
    expect((await cli(t, ['import', 'agencies', path.join(SAMPLES, 'agencies.csv')])).code).toBe(0);
    expect((await cli(t, ['import', 'services', path.join(SAMPLES, 'services.csv')])).code).toBe(0);
  });
  afterEach(async () => t?.cleanup());

  const verify = async (...args: string[]) => {
    const r = await cli(t, ['registry', 'verify', '--json', ...args]);
    const doc = JSON.parse(r.stdout) as Report;
    expect(r.code).toBe(doc.valid ? 0 : 3);
    return doc;
  };
  const dropTrigger = async (table: string) => {
    if (dialect === 'pg') await t.db.knex.raw(`drop trigger ${table}_append_only on ${table}`);
    else {
      await t.db.knex.raw(`drop trigger ${table}_no_update`);
      await t.db.knex.raw(`drop trigger ${table}_no_delete`);
    }
  };
  const codes = (d: Report) => d.issues.map((i) => i.code);

  test('a log written only by the tool verifies; the text report says verified', async () => {
    const d = await verify();
    expect(d.issues).toEqual([]);
    expect(d.valid).toBe(true);
    const count = async (table: string) => Number(((await t.db.knex(table).count({ n: '*' }))[0] as { n: number | string }).n);
    expect(d.size).toBe((await count('agencies')) + (await count('services')));
    const r = await cli(t, ['registry', 'verify']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('verified');
    const doc = await cli(t, ['doctor', '--json']);
    // doctor checks the last head from the head before it (and that entries 1…size are there)
    const heads = (await t.db.knex('registry_log_heads').orderBy('size', 'desc').limit(2)) as Array<{ size: number | string }>;
    expect(JSON.parse(doc.stdout).registry_log).toEqual({ size: d.size, root: (d as unknown as { root: string }).root, head_verifies: true, checked_from: heads.length > 1 ? Number(heads[1]!.size) : 0 });
    const text = await cli(t, ['doctor']);
    expect(text.stdout + text.stderr).toMatch(new RegExp(`registry log +${d.size} entries, root \\S+, last head verifies`));
  });

  test('a service changed, inserted or deleted with plain SQL: log-drift naming key and field', async () => {
    await t.db.knex('services').where({ code: 'BIZ-0001' }).update({ fee_bhm_percent: '0.75' });
    const d = await verify();
    expect(d.valid).toBe(false);
    expect(d.issues).toEqual([expect.objectContaining({ code: 'log-drift', key: 'BIZ-0001', field: 'fee_bhm_percent' })]);
    const row = (await t.db.knex('services').where({ code: 'BIZ-0001' }).first()) as Record<string, unknown>;
    await t.db.knex('services').insert({ ...row, code: 'BIZ-9999' });
    const other = (await t.db.knex('services').whereNot({ code: 'BIZ-0001' }).whereNot({ code: 'BIZ-9999' }).orderBy('code').first()) as { code: string };
    await t.db.knex('services').where({ code: other.code }).delete();
    const d2 = await verify();
    expect(d2.issues.map((i) => `${i.code}:${i.key}`).sort()).toEqual(['log-drift:BIZ-0001', 'log-drift:BIZ-9999', `log-drift:${other.code}`].sort());
    expect(d2.issues.find((i) => i.key === 'BIZ-9999')!.message).toMatch(/extra/);
    expect(d2.issues.find((i) => i.key === other.code)!.message).toMatch(/missing/);
  });

  test('an item edited in the table: item-mismatch', async () => {
    await dropTrigger('registry_log_items');
    const item = (await t.db.knex('registry_log_items').first()) as { hash: string; bytes: string };
    await t.db.knex('registry_log_items').where({ hash: item.hash }).update({ bytes: item.bytes.replace('"status":"', '"status":"x') });
    const d = await verify();
    expect(codes(d)).toContain('item-mismatch');
  });

  test('an item missing: item-mismatch', async () => {
    await dropTrigger('registry_log_items');
    const e = (await t.db.knex('registry_log_entries').where({ number: 3 }).first()) as { item: string };
    await t.db.knex('registry_log_items').where({ hash: e.item }).delete();
    const d = await verify();
    expect(d.issues[0]).toMatchObject({ code: 'item-mismatch' });
    expect(d.issues[0]!.message).toMatch(/missing/);
  });

  test('an entry deleted: log-gap', async () => {
    await dropTrigger('registry_log_entries');
    await t.db.knex('registry_log_entries').where({ number: 5 }).delete();
    const d = await verify();
    expect(codes(d)).toContain('log-gap');
    expect(d.issues.find((i) => i.code === 'log-gap')!.message).toMatch(/entries 5–5 are missing/);
    const doc = JSON.parse((await cli(t, ['doctor', '--json'])).stdout) as { registry_log: { head_verifies: boolean }; problems: string[] };
    expect(doc.registry_log.head_verifies).toBe(false);
    expect(doc.problems.join('\n')).toContain('does not match its stored entries');
  });

  test('a stored tree head that does not match: root-mismatch', async () => {
    const h = (await t.db.knex('registry_log_heads').orderBy('size', 'desc').first()) as { size: number | string; state: string };
    await t.db.knex('registry_log_heads').insert({ size: Number(h.size) + 1, root: Buffer.alloc(32).toString('base64'), state: h.state, created_at: new Date().toISOString() });
    const d = await verify();
    expect(codes(d)).toEqual(['root-mismatch']);
    await t.db.knex('registry_log_heads').insert({ size: 1, root: Buffer.alloc(32, 1).toString('base64'), state: h.state, created_at: new Date().toISOString() });
    const d2 = await verify();
    expect(codes(d2)).toEqual(['root-mismatch', 'root-mismatch']);
  });
});
