import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { AGENCIES, cli, codes, openTestDb, seed, SERVICES, type Dialect, type TestDb } from '../helpers/registry-seed.js';

// Issue 13.12: `migrate rollback` / `migrate down` that drop tables holding rows say how
// many rows each holds, and back the records up first (as db reset does).

describe.each<Dialect>(['sqlite', 'pg'])('undoing migrations that drop rows, on %s', (dialect) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await openTestDb(dialect);
    await seed(t.db);
  });
  afterEach(async () => t?.cleanup());
  const backups = () => (fs.existsSync(path.join(t.dataDir, 'backups')) ? fs.readdirSync(path.join(t.dataDir, 'backups')).sort() : []);

  test('--dry-run and the refusal say which tables go with how many rows; nothing is dropped or written', async () => {
    const dry = await cli(t, ['migrate', 'rollback', '--all', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain(`drops table services with ${SERVICES.length} rows`);
    expect(dry.stderr).toContain(`drops table agencies with ${AGENCIES.length} rows`);
    expect(dry.stderr).toMatch(/backup of services first to .*\.ndjson/);
    const no = await cli(t, ['migrate', 'rollback', '--all']);
    expect(no.code).toBe(4);
    expect(no.stderr).toContain(`drops table services with ${SERVICES.length} rows`);
    expect(await codes(t.db)).toEqual(SERVICES.map((s) => s.code));
    expect(backups()).toEqual([]);
  });

  test('a rollback of a registry with rows writes a backup first, and the backup re-imports', async () => {
    const r = await cli(t, ['migrate', 'rollback', '--all', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^backup of ${SERVICES.length} services: .*\\.ndjson$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^backup of ${AGENCIES.length} agencies: .*\\.ndjson$`, 'm'));
    expect(await t.db.knex.schema.hasTable('services')).toBe(false);
    const files = backups();
    expect(files).toHaveLength(2);
    expect((await cli(t, ['migrate', 'latest'])).code).toBe(0);
    const file = (e: string) => path.join(t.dataDir, 'backups', files.find((f) => f.includes(`-${e}-`))!);
    expect((await cli(t, ['import', 'agencies', file('agencies')])).code).toBe(0);
    const imp = await cli(t, ['import', 'services', file('services'), '--json']);
    expect(imp.code).toBe(0);
    expect(JSON.parse(imp.stdout)).toMatchObject({ inserted: SERVICES.length, errors: 0 });
    expect(await codes(t.db)).toEqual(SERVICES.map((s) => s.code));
  });

  test('--backup <dir> and --no-backup; an undo that drops no table backs nothing up', async () => {
    // the last migration drops an index of the registry log: no table, nothing to back up
    const index = await cli(t, ['migrate', 'down', '--yes', '--json']);
    expect(index.code).toBe(0);
    expect(JSON.parse(index.stdout)).toMatchObject({ migrations: ['20261202000002_log_entries_without_timestamp_index'], tables: [], backups: [] });
    // the one before is the applications': its table is empty here, so no backup
    const apps = await cli(t, ['migrate', 'down', '--yes', '--json']);
    expect(apps.code).toBe(0);
    expect(JSON.parse(apps.stdout)).toMatchObject({ migrations: ['20261202000001_applications'], tables: [{ table: 'applications', rows: 0 }], backups: [] });
    // the one before chains the audit trail: it drops no table, so nothing to back up
    const chain = await cli(t, ['migrate', 'down', '--yes', '--json']);
    expect(chain.code).toBe(0);
    expect(JSON.parse(chain.stdout)).toMatchObject({ tables: [], backups: [] });
    // the one before that is the registry log's, whose tables are empty here: no rows, no backup
    const last = await cli(t, ['migrate', 'down', '--yes', '--json']);
    expect(last.code).toBe(0);
    expect(JSON.parse(last.stdout)).toMatchObject({ tables: [{ table: 'registry_log_entries', rows: 0 }, { table: 'registry_log_items', rows: 0 }, { table: 'registry_log_heads', rows: 0 }], backups: [], log_backup: null });
    expect(backups()).toEqual([]);
    await cli(t, ['migrate', 'latest']);
    const dir = path.join(t.env.HOME!, 'elsewhere');
    const there = await cli(t, ['migrate', 'rollback', '--all', '--yes', '--backup', dir, '--json']);
    expect(there.code).toBe(0);
    const doc = JSON.parse(there.stdout);
    expect(doc.tables).toEqual(expect.arrayContaining([{ table: 'services', rows: SERVICES.length }]));
    expect(doc.backups.map((b: { entity: string; rows: number }) => [b.entity, b.rows])).toEqual([['agencies', AGENCIES.length], ['services', SERVICES.length]]);
    // the records, and the registry log's file (its genesis holds them: the history goes with its tables)
    expect(fs.readdirSync(dir).sort()).toEqual([expect.stringMatching(/-agencies-.*\.ndjson$/), expect.stringMatching(/-registry-log-.*\.log$/), expect.stringMatching(/-services-.*\.ndjson$/)]);
    expect(doc.log_backup).toMatchObject({ entries: AGENCIES.length + SERVICES.length });
    await cli(t, ['migrate', 'latest']);
    await seed(t.db);
    const none = await cli(t, ['migrate', 'rollback', '--all', '--yes', '--no-backup']);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('no backup was written (--no-backup)');
    expect(backups()).toEqual([]);
  });
});
