import { afterAll, beforeAll, expect, test } from 'vitest';
import { connect, closeKnex, type Db } from '../../src/db/connect.js';
import * as migrator from '../../src/db/migrator.js';
import { createTestDatabase } from '../helpers/pg.js';
import { targetFor } from '../helpers/targets.js';

// Migration 20261128000003 (PostgreSQL): the set checks become lists of the canonical
// forms. A stored set in another order is rewritten to canonical order first; afterwards
// only canonical forms are accepted; down restores the v1 patterns.

const SET_CHECKS = '20261128000003_set_checks_as_lists';
let db: Db;
let drop: () => Promise<void>;

beforeAll(async () => {
  const t = await createTestDatabase();
  drop = t.drop;
  db = await connect(targetFor(t.url));
  await migrator.up(db, '20261128000002_audit_append_only');
});
afterAll(async () => {
  await closeKnex(db.knex);
  await drop();
});

const now = new Date().toISOString();
const service = (code: string, audience: string, channels: string) => ({
  code, agency_code: 'MIN-1', name_uz: 'Xizmat', audience, status: 'draft', processing_days: 3, channels, updated_at: now,
});

test('rewrites stored sets in canonical order, then admits only canonical forms; down restores the patterns', async () => {
  await db.knex('agencies').insert({ code: 'MIN-1', name_uz: 'Vazirlik', kind: 'ministry', region: 'UZ', status: 'active', updated_at: now });
  // v1's patterns accept any order and repeats.
  await db.knex('services').insert([service('SRV-1', 'G2G|G2C', 'api|portal|api'), service('SRV-2', 'G2B', 'office|mobile')]);

  await migrator.up(db, SET_CHECKS);
  const rows = await db.knex('services').select('code', 'audience', 'channels', 'updated_at').orderBy('code');
  expect(rows.map((r) => [r.code, r.audience, r.channels])).toEqual([['SRV-1', 'G2C|G2G', 'portal|api'], ['SRV-2', 'G2B', 'mobile|office']]);
  expect(new Date(rows[0].updated_at).toISOString()).toBe(now);

  await db.knex('services').insert(service('SRV-3', 'G2C|G2B|G2G', 'portal|mobile|center|office|api'));
  for (const [audience, channels] of [['G2B|G2C', 'portal'], ['G2C', 'mobile|portal'], ['G2C|G2C', 'portal'], ['G2C', 'fax'], ['G2C', '']]) {
    await expect(db.knex('services').insert(service('SRV-9', audience!, channels!))).rejects.toMatchObject({ code: '23514' });
  }

  await migrator.down(db, SET_CHECKS);
  await db.knex('services').insert(service('SRV-4', 'G2B|G2C', 'mobile|portal'));
  await expect(db.knex('services').insert(service('SRV-5', 'G2C', 'fax'))).rejects.toMatchObject({ code: '23514' });
});
