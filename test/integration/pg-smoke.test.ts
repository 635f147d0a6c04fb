import { afterAll, beforeAll, expect, test } from 'vitest';
import pg from 'pg';
import { createTestDatabase } from '../helpers/pg.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => { await db?.drop(); });

test('a test database of its own answers', async () => {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  const r = await c.query('select current_database() as d');
  await c.end();
  expect(r.rows[0].d).toBe(db.name);
});
