import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { toJsonText } from '../../src/records/db-row.js';
import { runCli } from '../helpers/cli.js';
import { APPLICATIONS, IDS_IN_ORDER, appStamp, seedApplications } from '../helpers/applications-export-data.js';
import { seed } from '../helpers/export-data.js';
import { openTestDb, type Dialect, type TestDb } from '../helpers/registry-seed.js';

// The housekeeping commands know applications, run as the built binary on both databases:
// doctor counts them (and PostgreSQL's monthly partitions), db reset and the undo of the
// applications migration back them up before dropping them (partitions with the table),
// validate db checks every stored application.

describe.each<Dialect>(['pg', 'sqlite'])('applications housekeeping on %s', (dialect) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await openTestDb(dialect);
    await seed(t.db.knex);
    await seedApplications(t.db.knex);
  });
  afterEach(async () => t?.cleanup());

  const run = (args: string[]) => runCli(['--db', t.url, ...args], { env: t.env, cwd: t.env.HOME });
  const backupsDir = () => path.join(t.dataDir, 'backups');
  const backups = () => (fs.existsSync(backupsDir()) ? fs.readdirSync(backupsDir()).sort() : []);
  const expectedNdjson = () => IDS_IN_ORDER.map((id) => {
    const i = APPLICATIONS.findIndex((a) => a.id === id);
    return `${toJsonText('applications', { ...APPLICATIONS[i]!, updated_at: appStamp(i) })}\n`;
  }).join('');
  const count = async (table: string) => Number(((await t.db.knex(table).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
  const partitions = async () => dialect === 'pg'
    ? ((await t.db.knex.raw("select count(*)::int as n from pg_class where relname like 'applications_p%'")).rows[0] as { n: number }).n
    : 0;

  test('doctor: counts.applications, and on PostgreSQL the number of monthly partitions', async () => {
    const r = await run(['--json', 'doctor']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { counts: Record<string, number>; application_partitions: number | null };
    expect(doc.counts).toEqual({ agencies: 3, services: 6, applications: 6 });
    // UTC months 2026-01 … 2026-04
    expect(doc.application_partitions).toBe(dialect === 'pg' ? 4 : null);
    const h = await run(['doctor']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(dialect === 'pg' ? /^applications {4}6 in 4 monthly partitions$/m : /^applications {4}6$/m);
  });

  test('db reset: says it drops applications, backs them up first, drops the partitions with the table', async () => {
    const dry = await run(['db', 'reset', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain(`drops table applications with 6 rows${dialect === 'pg' ? ' in 4 monthly partitions' : ''}`);
    expect(dry.stderr).toMatch(/backup of applications first to .*-applications-.*\.ndjson/);
    const no = await run(['db', 'reset']);
    expect(no.code).toBe(4);
    expect(await count('applications')).toBe(6);

    const r = await run(['--json', 'db', 'reset', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { tables: Array<{ table: string; rows: number }>; backups: Array<{ entity: string; path: string; rows: number }> };
    expect(doc.tables[0]).toEqual({ table: 'applications', rows: 6 });
    const b = doc.backups.find((x) => x.entity === 'applications')!;
    expect(b.rows).toBe(6);
    expect(fs.readFileSync(b.path, 'utf8')).toBe(expectedNdjson());
    expect(await t.db.knex.schema.hasTable('applications')).toBe(false);
    expect(await partitions()).toBe(0);
  });

  test('migrate rollback of the applications migration: says how many applications go, backs them up first', async () => {
    // (two steps: the last migration, after the applications', drops an index of the registry log)
    const dry = await run(['migrate', 'rollback', '--steps', '2', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain('migration 20261202000001_applications');
    expect(dry.stderr).toContain('drops table applications with 6 rows');
    expect(dry.stderr).toContain(`6 applications will be lost with the table${dialect === 'pg' ? ' (and its 4 monthly partitions)' : ''}`);
    expect(dry.stderr).toMatch(/backup of applications first to .*\.ndjson/);
    expect(backups()).toEqual([]);
    const no = await run(['migrate', 'rollback', '--steps', '2']);
    expect(no.code).toBe(4);
    expect(await t.db.knex.schema.hasTable('applications')).toBe(true);

    const r = await run(['migrate', 'rollback', '--steps', '2', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^backup of 6 applications: .*-applications-.*\.ndjson$/m);
    expect(backups()).toHaveLength(1);
    expect(fs.readFileSync(path.join(backupsDir(), backups()[0]!), 'utf8')).toBe(expectedNdjson());
    expect(await t.db.knex.schema.hasTable('applications')).toBe(false);
    expect(await partitions()).toBe(0);
    // the registry is untouched
    expect(await count('services')).toBe(6);
  });

  test('migrate down --no-backup drops the applications without a file, and says so', async () => {
    const r = await run(['migrate', 'rollback', '--steps', '2', '--yes', '--no-backup']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('no backup was written (--no-backup)');
    expect(backups()).toEqual([]);
    expect(await t.db.knex.schema.hasTable('applications')).toBe(false);
  });

  test('validate db: a clean set of applications is valid, and is counted', async () => {
    const r = await run(['--json', 'validate', 'db']);
    expect(r.code, r.stdout).toBe(0);
    const doc = JSON.parse(r.stdout) as { valid: boolean; entities: Record<string, { records: number; errors: number; warnings: number }>; issues: Array<{ code: string; key: string }> };
    expect(doc.entities.applications).toEqual({ records: 6, errors: 0, warnings: 0 });
    expect(doc.issues.filter((i) => IDS_IN_ORDER.includes(i.key))).toEqual([]);
  });

  test('validate db: dangling service_code and handled_by, audience-mismatch, channel-mismatch (exit 3)', async () => {
    const bad = [
      // SRV-404 is no service; NOBODY is no agency
      { id: 'X-1', service_code: 'SRV-404', handled_by: null, audience: 'G2C', channel: 'portal', region: 'UZ', submitted_at: '2026-04-05T10:00:00.000Z', due_on: '2026-04-06', status: 'received', decided_at: null },
      { id: 'X-2', service_code: 'SRV-001', handled_by: 'NOBODY', audience: 'G2C', channel: 'portal', region: 'UZ', submitted_at: '2026-04-05T10:00:00.000Z', due_on: '2026-04-06', status: 'received', decided_at: null },
      // SRV-002 is G2B over api only
      { id: 'X-3', service_code: 'SRV-002', handled_by: null, audience: 'G2G', channel: 'office', region: 'UZ', submitted_at: '2026-04-05T10:00:00.000Z', due_on: '2026-04-05', status: 'received', decided_at: null },
    ];
    await seedApplications(t.db.knex, bad, () => '2026-04-05T10:00:00.000Z');
    const before = await t.db.knex('applications').orderBy('id').select('*');
    const r = await run(['--json', 'validate', 'db', '--max-issues', '100']);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout) as { valid: boolean; entities: Record<string, { records: number; errors: number; warnings: number }>; issues: Array<Record<string, unknown>> };
    expect(doc.valid).toBe(false);
    expect(doc.entities.applications).toEqual({ records: 9, errors: 2, warnings: 2 });
    const mine = doc.issues.filter((i) => String(i.key).startsWith('X-')).map((i) => [i.code, i.line, i.key, i.field, i.value, i.severity]);
    expect(mine).toEqual([
      ['unknown-reference', null, 'X-1', 'service_code', 'SRV-404', 'error'],
      ['unknown-reference', null, 'X-2', 'handled_by', 'NOBODY', 'error'],
      ['audience-mismatch', null, 'X-3', 'audience', 'G2G', 'warning'],
      ['channel-mismatch', null, 'X-3', 'channel', 'office', 'warning'],
    ]);
    expect(doc.issues.find((i) => i.key === 'X-3' && i.code === 'audience-mismatch')!.message).toBe('audience G2G is not in the audience of service SRV-002');
    // validation reads only
    expect(await t.db.knex('applications').orderBy('id').select('*')).toEqual(before);
  });

  if (dialect === 'pg') {
    test('validate db: one id twice (PostgreSQL\'s key is id with submitted_at) is a duplicate-key on both rows', async () => {
      await seedApplications(t.db.knex, [{ ...APPLICATIONS[4]!, submitted_at: '2026-01-11T00:00:00.000Z' }], () => '2026-01-11T00:00:00.000Z');
      const r = await run(['--json', 'validate', 'db']);
      expect(r.code).toBe(3);
      const doc = JSON.parse(r.stdout) as { issues: Array<Record<string, unknown>> };
      expect(doc.issues.filter((i) => i.code === 'duplicate-key').map((i) => [i.key, i.field, i.line])).toEqual([['Z9', 'id', null], ['Z9', 'id', null]]);
    });
  }
});
