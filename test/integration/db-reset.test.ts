import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { listMigrationFiles } from '../../src/db/migrator.js';
import { toJsonText } from '../../src/records/db-row.js';
import { ROOT } from '../helpers/cli.js';
import { AGENCIES, auditRows, cli, codes, openTestDb, seed, SERVICES, UPDATED, type Dialect, type TestDb } from '../helpers/registry-seed.js';

// db reset against real PostgreSQL and SQLite: says what, refuses without an answer,
// wants the database name typed, backs up both entities, then drops every table.

const TABLES = ['applications', 'services', 'agencies', 'registry_log_entries', 'registry_log_items', 'registry_log_heads', 'audit_log', 'egovctl_migrations'];
/** one row of egovctl_migrations per shipped migration */
const MIGRATIONS = listMigrationFiles(path.join(ROOT, 'dist', 'migrations')).length;

describe.each<Dialect>(['pg', 'sqlite'])('db reset on %s', (dialect) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await openTestDb(dialect);
    await seed(t.db);
  });
  afterEach(async () => t?.cleanup());

  const tablesLeft = async () => {
    const out: string[] = [];
    for (const table of TABLES) if (await t.db.knex.schema.hasTable(table)) out.push(table);
    return out;
  };

  test('no terminal, no --yes: exit 4, every table and row still there, refused on record', async () => {
    const r = await cli(t, ['db', 'reset']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`About to drop every table of egovctl on target`);
    expect(r.stderr).toContain('drops table services with 8 rows');
    expect(r.stderr).toContain('drops table agencies with 3 rows');
    expect(r.stderr).toContain(`drops table egovctl_migrations with ${MIGRATIONS} rows`);
    expect(r.stderr).toContain('pass --yes to proceed');
    expect(await tablesLeft()).toEqual(TABLES);
    expect(await codes(t.db)).toEqual(SERVICES.map((s) => s.code));
    const [row] = await auditRows(t);
    expect(row).toMatchObject({ command: 'db reset', args: [], outcome: 'refused', counts: { services: 8, agencies: 3, registry_log_entries: 0, registry_log_items: 0, registry_log_heads: 0, audit_log: 0, egovctl_migrations: MIGRATIONS } });
  });

  test('--dry-run: the plan as JSON, nothing dropped', async () => {
    const r = await cli(t, ['db', 'reset', '--dry-run', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      target: t.shownName,
      dry_run: true,
      tables: [{ table: 'applications', rows: 0 }, { table: 'services', rows: 8 }, { table: 'agencies', rows: 3 }, { table: 'registry_log_entries', rows: 0 }, { table: 'registry_log_items', rows: 0 }, { table: 'registry_log_heads', rows: 0 }, { table: 'audit_log', rows: 0 }, { table: 'egovctl_migrations', rows: MIGRATIONS }],
      dropped: 0,
      backups: [],
    });
    expect(await tablesLeft()).toEqual(TABLES);
  });

  test('a mistyped database name: exit 4, nothing dropped', async () => {
    const r = await cli(t, ['db', 'reset'], `${t.database}x\n`);
    expect(r.prompt).toContain(`Type the database name (${t.database}) to confirm:`);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`the name typed was not ${t.database}`);
    expect(await tablesLeft()).toEqual(TABLES);
    expect(await codes(t.db, 'agencies')).toEqual(['ADL', 'SOL', 'TOSH-HOK']);
  });

  test('the right name: backups of agencies and services, then every table dropped', async () => {
    const r = await cli(t, ['db', 'reset'], `${t.database}\n`);
    expect(r.code).toBe(0);
    expect(await tablesLeft()).toEqual([]);
    const files = [...r.stdout.matchAll(/^backup of (\d+) (agencies|services): (.+)$/gm)].map((m) => ({ rows: Number(m[1]), entity: m[2], path: m[3]! }));
    expect(files.map((f) => [f.entity, f.rows])).toEqual([['agencies', 3], ['services', 8]]);
    for (const f of files) expect(path.dirname(f.path)).toBe(path.join(t.dataDir, 'backups'));
    expect(fs.readFileSync(files[0]!.path, 'utf8')).toBe(AGENCIES.map((a) => `${toJsonText('agencies', { ...a, updated_at: UPDATED })}\n`).join(''));
    expect(fs.readFileSync(files[1]!.path, 'utf8')).toBe(SERVICES.map((s) => `${toJsonText('services', { ...s, updated_at: UPDATED })}\n`).join(''));
    if (dialect === 'pg') {
      const fn = await t.db.knex.raw(`select count(*)::int as n from pg_proc where proname = 'egovctl_audit_append_only'`);
      expect(fn.rows[0].n).toBe(0);
    }
    // and the schema comes back empty
    const again = await cli(t, ['migrate', 'latest']);
    expect(again.code).toBe(0);
    expect(await codes(t.db)).toEqual([]);
  });

  test('--yes --backup <dir> --json; --no-backup writes nothing', async () => {
    const dir = path.join(t.env.HOME!, 'reset-backups');
    const r = await cli(t, ['db', 'reset', '--yes', '--backup', dir, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ dry_run: false, dropped: 8 });
    expect(doc.backups.map((b: { entity: string; rows: number; path: string }) => [b.entity, b.rows, path.dirname(b.path)])).toEqual([['agencies', 3, dir], ['services', 8, dir], ['applications', 0, dir]]);
    expect(await tablesLeft()).toEqual([]);
    const nothing = await cli(t, ['db', 'reset', '--yes', '--json']);
    expect(nothing.code).toBe(0);
    expect(JSON.parse(nothing.stdout)).toMatchObject({ tables: [], dropped: 0 });

    await cli(t, ['migrate', 'latest']);
    const nb = await cli(t, ['db', 'reset', '--yes', '--no-backup']);
    expect(nb.code).toBe(0);
    expect(nb.stdout).toContain('no backup was written');
    expect(fs.existsSync(path.join(t.dataDir, 'backups'))).toBe(false);
  });
});
