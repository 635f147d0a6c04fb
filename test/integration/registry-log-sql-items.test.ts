import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fromRow } from '../../src/records/db-row.js';
import type { RecordValues } from '../../src/records/fields.js';
import { appendEntries, ENTRIES_TABLE, HEADS_TABLE, ITEMS_TABLE, type AppendOptions, type EntityChanges } from '../../src/registry/log-store.js';
import { itemBytes, itemOf } from '../../src/registry/log/item.js';
import { sqlItemExpression } from '../../src/registry/log/sql-item.js';
import { AGENCIES, openTestDb, seed, service, type TestDb } from '../helpers/registry-seed.js';

// PostgreSQL builds the items of a large run itself (src/registry/log/sql-item.ts): its bytes
// must be the JavaScript path's, byte for byte, for every value a table can hold — or NULL
// (the run then goes the JavaScript way). Checked row by row, and for whole appends.

// Every character JSON escapes, and some it must not; decimals of each scale; empty texts.
const CONTROLS = Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)).join('').slice(1); // PostgreSQL text holds no NUL
const TRICKY = [
  `quote " backslash \\ slash / ${CONTROLS}`,
  'tab\there, line\nfeed, return\r, del \u007f, sep \u2028\u2029, bom \ufeff',
  'Ўзбекистон Республикаси — «давлат» xizmati oʻzbek 😀 \u{10ffff}',
  '',
];

const HOSTILE: RecordValues[] = [
  service('AA-0001', { name_uz: TRICKY[0]!, name_ru: TRICKY[1]!, name_en: TRICKY[2]!, description: TRICKY[3]!, fee_uzs: '123456789012.34', required_documents: [TRICKY[0]!, TRICKY[2]!, ''] }),
  service('AA-0002', { fee_uzs: '0.00', audience: ['G2C', 'G2B', 'G2G'], channels: ['portal', 'mobile', 'center', 'office', 'api'], required_documents: ['passport', 'ariza | application'] }),
  service('AA-0003', { fee_uzs: null, fee_bhm_percent: '0.001', processing_days: 0, status: 'draft', legal_basis: null, effective_from: null }),
  service('AA-0004', { fee_uzs: null, fee_bhm_percent: '100000.000', processing_days: 365, sector: 'Sud', output: 'guvohnoma', effective_to: '2099-12-31' }),
  service('AA-0005', { fee_uzs: '0.5', required_documents: [] }),
  service('AB-0001', { fee_uzs: '1500.00', name_uz: 'x'.repeat(500), description: 'd'.repeat(5000) }),
  service('B-1', { fee_uzs: '-0.00' }),
  service('Z9', {}),
];

/** Stored forms only plain SQL writes: canonicalised in SQL (the first two), or left to JavaScript. */
const ODD_LISTS = [
  ['AA-0002', '["passport", "ariza"]'], // white space
  ['AA-0005', '["with \\"escapes\\" \\u00e9"]'], // escapes that are not the canonical ones
  ['B-1', '[1, "x"]'], // not strings
  ['AB-0001', '["\\u0000"]'], // a NUL, which PostgreSQL's JSON functions cannot decode
];

const OPTS: AppendOptions[] = [{ sql: 'always' }, { sql: 'never' }];

describe('registry log items built in SQL (pg)', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb('pg');
    await seed(t.db, HOSTILE, '2026-01-15T08:00:00.123Z');
  });
  afterAll(async () => t?.cleanup());

  async function compareRows(where = '1 = 1'): Promise<{ sql: number; nulls: string[] }> {
    for (const entity of ['agencies', 'services'] as const) {
      const expr = await sqlItemExpression(t.db.knex, entity, 's');
      expect(expr).not.toBeNull();
      const rows = (await t.db.knex.raw(`select s.*, ${expr} as sql_bytes from ${entity} s where ${where} order by s.code`)).rows as Array<Record<string, unknown>>;
      expect(rows.length).toBeGreaterThan(0);
      const nulls: string[] = [];
      let sql = 0;
      for (const r of rows) {
        const { sql_bytes, ...row } = r;
        if (sql_bytes === null) {
          nulls.push(String(row.code));
          continue;
        }
        sql++;
        expect(sql_bytes, `${entity} ${String(row.code)}`).toBe(itemBytes(itemOf(entity, fromRow(entity, row))).toString('utf8'));
      }
      if (entity === 'services') return { sql, nulls };
    }
    throw new Error('unreachable');
  }

  test('every row the tool wrote gets exactly the JavaScript bytes', async () => {
    const { sql, nulls } = await compareRows();
    expect(nulls).toEqual([]);
    expect(sql).toBe(HOSTILE.length);
  });

  async function appendBoth(changes: EntityChanges[]) {
    const out = [];
    for (const o of OPTS) {
      const trx = await t.db.knex.transaction();
      try {
        const r = await appendEntries(trx, changes, { timestamp: '2026-02-01T00:00:00.000Z', actor: 'tester@host "q" \\' }, o);
        const entries = (await trx(ENTRIES_TABLE).select('*').orderBy('number')) as Array<Record<string, unknown>>;
        const items = (await trx(ITEMS_TABLE).select('hash', 'bytes').orderBy('hash')) as Array<Record<string, unknown>>;
        const heads = (await trx(HEADS_TABLE).select('size', 'root', 'state').orderBy('size')) as Array<Record<string, unknown>>;
        out.push({ r, entries, items, heads });
      } finally {
        await trx.rollback();
      }
    }
    expect(out[0]!.entries.length).toBeGreaterThan(0);
    expect(out[0]).toEqual(out[1]);
    return out[0]!;
  }

  test('a whole append (all rows, then a list of codes with deletes) is the same in SQL and in JavaScript', async () => {
    const a = await appendBoth([
      { entity: 'agencies', deletes: [], puts: { all: true } },
      { entity: 'services', deletes: [], puts: { all: true } },
    ]);
    expect(a.entries.map((e) => e.key)).toEqual([...AGENCIES.map((x) => x.code), ...HOSTILE.map((x) => x.code)]);
    const b = await appendBoth([{ entity: 'services', deletes: ['ZZ-GONE', 'AA-GONE'], puts: ['Z9', 'AA-0003', 'B-1', 'AB-0001'] }]);
    expect(b.entries.map((e) => `${e.op}:${e.key}`)).toEqual(['delete:AA-GONE', 'delete:ZZ-GONE', 'put:AA-0003', 'put:AB-0001', 'put:B-1', 'put:Z9']);
    const c = await appendBoth([{ entity: 'services', deletes: [], puts: { all: true, updatedAt: '2026-01-15T08:00:00.123Z' } }]);
    expect(c.entries).toHaveLength(HOSTILE.length);
  });

  test('a list stored in a form only plain SQL writes, or an updated_at outside the years 1000–9999: NULL in SQL, and the run is the JavaScript one; other stored lists canonicalised in SQL', async () => {
    for (const [code, text] of ODD_LISTS) await t.db.knex.raw('update services set required_documents = ? where code = ?', [text, code]);
    await t.db.knex.raw(`update services set updated_at = '0500-03-01T10:00:00.5Z' where code = 'Z9'`);
    const { nulls } = await compareRows();
    expect(nulls).toEqual(['AB-0001', 'B-1', 'Z9']);
    await appendBoth([{ entity: 'services', deletes: [], puts: { all: true } }]);
  });
});
