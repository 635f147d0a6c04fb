import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect, closeKnex, type Db } from '../../src/db/connect.js';
import * as migrator from '../../src/db/migrator.js';
import { ConflictError } from '../../src/errors.js';
import { createTestDatabase } from '../helpers/pg.js';
import { tempSqlite, targetFor } from '../helpers/targets.js';
import { ROOT } from '../helpers/cli.js';

// The migrator on both dialects, against a copy of the shipped (compiled) migrations so
// that a test may change a file the way a careless edit would.

const shipped = path.join(ROOT, 'dist', 'migrations');

for (const dialect of ['pg', 'sqlite'] as const) {
  describe(`migrator on ${dialect}`, () => {
    let db: Db;
    let dir: string;
    let base: string;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      // Laid out as dist/ is: a migration may import the code it shares (../src/…).
      base = fs.mkdtempSync(path.join(os.tmpdir(), 'egovctl-mig-'));
      dir = path.join(base, 'migrations');
      fs.mkdirSync(dir);
      fs.symlinkSync(path.join(ROOT, 'dist', 'src'), path.join(base, 'src'));
      for (const f of fs.readdirSync(shipped)) fs.copyFileSync(path.join(shipped, f), path.join(dir, f));
      if (dialect === 'pg') {
        const t = await createTestDatabase();
        db = await connect(targetFor(t.url));
        cleanup = t.drop;
      } else {
        const s = tempSqlite();
        db = await connect(targetFor(s.url));
        cleanup = async () => s.cleanup();
      }
    });
    afterAll(async () => {
      await closeKnex(db.knex);
      await cleanup();
      fs.rmSync(base, { recursive: true, force: true });
    });

    test('dry run prints the SQL and changes nothing', async () => {
      const r = await migrator.latest(db, { dir, dryRun: true });
      expect(r.dryRun).toBe(true);
      expect(r.sql.join('\n')).toMatch(/create table [`"]?agencies/i);
      expect(await db.knex.schema.hasTable('agencies')).toBe(false);
      expect(await db.knex.schema.hasTable(migrator.MIGRATIONS_TABLE)).toBe(false);
    });

    test('latest applies every pending migration as one batch; a second run has nothing to do', async () => {
      const names = fs.readdirSync(dir).filter((f) => f.endsWith('.js')).map((f) => f.replace(/\.js$/, '')).sort();
      const r = await migrator.latest(db, { dir });
      expect(r.migrations).toEqual(names);
      expect(r.batch).toBe(1);
      const st = await migrator.migrationStatus(db, dir);
      expect(st.migrations.map((m) => m.state)).toEqual(names.map(() => 'applied'));
      expect((await migrator.latest(db, { dir })).migrations).toEqual([]);
    });

    test('the schema enforces the rules too: a bad code, a bad enum, both fees', async () => {
      const now = new Date().toISOString();
      const agency = { code: 'MIN-1', name_uz: 'Vazirlik', kind: 'ministry', region: 'UZ', status: 'active', updated_at: now };
      await db.knex('agencies').insert(agency);
      await expect(db.knex('agencies').insert({ ...agency, code: 'bad-code' })).rejects.toThrow();
      await expect(db.knex('agencies').insert({ ...agency, code: 'MIN-2', kind: 'club' })).rejects.toThrow();
      await expect(db.knex('agencies').insert({ ...agency, code: 'MIN-3', tin: '12345' })).rejects.toThrow();
      const service = { code: 'SRV-1', agency_code: 'MIN-1', name_uz: 'Xizmat', audience: 'G2C', status: 'draft', processing_days: 3, channels: 'portal', updated_at: now };
      await db.knex('services').insert(service);
      await expect(db.knex('services').insert({ ...service, code: 'SRV-2', fee_uzs: '10', fee_bhm_percent: '5' })).rejects.toThrow();
      await expect(db.knex('services').insert({ ...service, code: 'SRV-3', agency_code: 'NOPE' })).rejects.toThrow();
      await expect(db.knex('services').insert({ ...service, code: 'SRV-4', status: 'active' })).rejects.toThrow();
      await expect(db.knex('services').insert({ ...service, code: 'SRV-5', processing_days: 366 })).rejects.toThrow();
      await db.knex('services').delete();
      await db.knex('agencies').delete();
    });

    test('a migration file changed after it was applied shows as modified, and latest refuses (exit 6)', async () => {
      const file = fs.readdirSync(dir).find((f) => f.endsWith('.js'))!;
      const p = path.join(dir, file);
      const original = fs.readFileSync(p, 'utf8');
      fs.writeFileSync(p, `${original}\n// an innocent-looking edit\n`);
      try {
        const st = await migrator.migrationStatus(db, dir);
        expect(st.modified).toBe(1);
        expect(st.migrations.find((m) => `${m.name}.js` === file)!.state).toBe('modified');
        const err = await migrator.latest(db, { dir }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ConflictError);
        expect((err as ConflictError).exitCode).toBe(6);
        await expect(migrator.requireSchema(db, dir)).rejects.toBeInstanceOf(ConflictError);
      } finally {
        fs.writeFileSync(p, original);
      }
      expect((await migrator.migrationStatus(db, dir)).modified).toBe(0);
    });

    test('an applied migration without its file is missing', async () => {
      await db.knex(migrator.MIGRATIONS_TABLE).insert({ name: '29990101000000_from_the_future', batch: 9, checksum: 'x'.repeat(64), applied_at: new Date().toISOString() });
      const st = await migrator.migrationStatus(db, dir);
      expect(st.missing).toBe(1);
      await db.knex(migrator.MIGRATIONS_TABLE).where({ name: '29990101000000_from_the_future' }).delete();
    });

    test('rollback undoes the last batch; up and down move one at a time', async () => {
      const r = await migrator.rollback(db, {}, { dir });
      expect(r.direction).toBe('down');
      expect(await db.knex.schema.hasTable('services')).toBe(false);
      expect((await migrator.migrationStatus(db, dir)).applied).toBe(0);
      const u = await migrator.up(db, undefined, { dir });
      expect(u.migrations).toHaveLength(1);
      expect(await db.knex.schema.hasTable('services')).toBe(true);
      const d = await migrator.down(db, undefined, { dir });
      expect(d.migrations).toEqual(u.migrations);
      await migrator.latest(db, { dir });
      const all = await migrator.rollback(db, { all: true }, { dir });
      expect(all.migrations.length).toBe(fs.readdirSync(dir).filter((f) => f.endsWith('.js')).length);
      expect(await db.knex.schema.hasTable('agencies')).toBe(false);
    });

    test('requireSchema: pending migrations are a conflict (exit 6)', async () => {
      const err = await migrator.requireSchema(db, dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConflictError);
      expect((err as Error).message).toMatch(/pending/);
    });

    test('the lock is free when no run holds it', async () => {
      expect((await migrator.lockState(db)).locked).toBe(false);
    });
  });
}
