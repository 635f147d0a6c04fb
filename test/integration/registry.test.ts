import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { toJsonText } from '../../src/records/db-row.js';
import { today } from '../../src/flag-values.js';
import { auditRows, cli, codes, openTestDb, seed, service, SERVICES, UPDATED, type Dialect, type TestDb } from '../helpers/registry-seed.js';

// registry list / show / retire / purge against real PostgreSQL and SQLite, in process.

describe.each<Dialect>(['pg', 'sqlite'])('registry on %s', (dialect) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(dialect);
    await seed(t.db);
  });
  afterAll(async () => t?.cleanup());

  const listCodes = async (...args: string[]) => {
    const r = await cli(t, ['registry', 'list', '--json', ...args]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return (JSON.parse(r.stdout) as Array<{ code: string }>).map((s) => s.code);
  };

  test('list: every service by code, each filter, and the limit', async () => {
    expect(await listCodes()).toEqual(SERVICES.map((s) => s.code));
    expect(await listCodes('--status', 'retired')).toEqual(['ADL-0002', 'ADL-0003', 'SOL-0003', 'TK-0001']);
    expect(await listCodes('--status', 'draft,suspended')).toEqual(['ADL-0004', 'SOL-0002']);
    expect(await listCodes('--agency', 'SOL,TOSH-HOK')).toEqual(['SOL-0001', 'SOL-0002', 'SOL-0003', 'TK-0001']);
    expect(await listCodes('--audience', 'G2B')).toEqual(['ADL-0001', 'ADL-0003', 'SOL-0001']);
    expect(await listCodes('--audience', 'G2G', '--status', 'active')).toEqual(['SOL-0001']);
    expect(await listCodes('--limit', '2')).toEqual(['ADL-0001', 'ADL-0002']);
    expect(await listCodes('--changed-since', '2026-01-15T08:00:00.001Z')).toEqual([]);
    expect(await listCodes('--changed-since', '2026-01-15')).toEqual(SERVICES.map((s) => s.code));
  });

  test('list --json carries every field as export JSON does', async () => {
    const r = await cli(t, ['registry', 'list', '--json', '--limit', '1']);
    const [first] = JSON.parse(r.stdout) as unknown[];
    expect(first).toEqual(JSON.parse(toJsonText('services', { ...SERVICES[0]!, updated_at: UPDATED })));
    expect(first).toMatchObject({ fee_uzs: 13811.5, audience: ['G2C', 'G2B'], required_documents: ['passport', 'ariza | application'] });
  });

  test('list: a table on stdout, the count on stderr; a bad filter is exit 2', async () => {
    const r = await cli(t, ['registry', 'list', '--status', 'retired', '--limit', '3']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ADL-0002');
    expect(r.stdout).toContain('0.125% BHM');
    expect(r.stdout).not.toContain('TK-0001');
    expect(r.stderr).toBe('3 of 4 services shown (--limit 0 shows all)\n');
    const bad = await cli(t, ['registry', 'list', '--status', 'gone', '--json']);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout)).toEqual({ error: { exit_code: 2, kind: 'usage', message: '--status: "gone" is not allowed; allowed values: draft, active, suspended, retired' } });
    expect((await cli(t, ['registry', 'list', '--changed-since', 'yesterday'])).code).toBe(2);
  });

  test('show: every field and the agency name; an unknown code is exit 3', async () => {
    const r = await cli(t, ['registry', 'show', 'ADL-0002', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ...JSON.parse(toJsonText('services', { ...SERVICES[1]!, updated_at: UPDATED })), agency_name: 'Adliya vazirligi' });
    const human = await cli(t, ['registry', 'show', 'ADL-0001']);
    expect(human.stdout).toContain('agency_code         ADL (Adliya vazirligi)\n');
    expect(human.stdout).toContain('fee_uzs             13811.5\n');
    const missing = await cli(t, ['registry', 'show', 'ADL-9999', '--json']);
    expect(missing.code).toBe(3);
    expect(JSON.parse(missing.stdout).error).toMatchObject({ exit_code: 3, kind: 'data' });
    expect(missing.stderr).toContain('no service with code ADL-9999 on target');
    expect((await cli(t, ['registry', 'show', 'not a code'])).code).toBe(2);
  });

  test('retire: status, effective_to (today by default), updated_at, audited', async () => {
    const before = Date.now();
    const r = await cli(t, ['registry', 'retire', 'ADL-0001', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ code: 'ADL-0001', previous_status: 'active', status: 'retired', effective_to: today(), changed: true });
    const row = await t.db.knex('services').where({ code: 'ADL-0001' }).first();
    expect(row.status).toBe('retired');
    expect(String(row.effective_to)).toBe(today());
    expect(new Date(row.updated_at).getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(new Date(row.updated_at).toISOString()).toBe(doc.updated_at);

    const on = await cli(t, ['registry', 'retire', 'SOL-0001', '--on', '2026-12-31']);
    expect(on.code).toBe(0);
    expect(on.stdout).toMatch(/SOL-0001 .*retired \(was active\), effective to 2026-12-31/);
    const again = await cli(t, ['registry', 'retire', 'SOL-0001', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ changed: false, effective_to: '2026-12-31' });

    const early = await cli(t, ['registry', 'retire', 'TK-0001', '--on', '2019-04-30']);
    expect(early.code).toBe(3);
    expect(early.stderr).toContain('takes effect on 2019-05-01');
    expect((await cli(t, ['registry', 'retire', 'NOPE-1'])).code).toBe(3);
    expect((await cli(t, ['registry', 'retire', 'ADL-0002', '--on', '2026-02-30'])).code).toBe(2);

    const audit = (await auditRows(t)).filter((a) => a.command === 'registry retire');
    expect(audit.map((a) => [a.args, a.outcome, a.counts])).toEqual([
      [['NOPE-1'], 'failed', {}],
      [['TK-0001', '--on', '2019-04-30'], 'failed', {}],
      [['SOL-0001', '--json'], 'ok', { retired: 0 }],
      [['SOL-0001', '--on', '2026-12-31'], 'ok', { retired: 1 }],
      [['ADL-0001', '--json'], 'ok', { retired: 1 }],
    ]);
  });
});

describe.each<Dialect>(['pg', 'sqlite'])('registry purge on %s', (dialect) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(dialect);
    await seed(t.db);
  });
  afterAll(async () => t?.cleanup());
  const all = SERVICES.map((s) => String(s.code));

  test('with no one to answer and no --yes: exit 4, nothing deleted, refused on record', async () => {
    const r = await cli(t, ['registry', 'purge', '--status', 'retired']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`About to delete 4 services on target ${t.shownName}`);
    expect(r.stderr).toContain('table services: 4 records with status retired');
    expect(r.stderr).toContain('pass --yes to proceed');
    expect(await codes(t.db)).toEqual(all);
    expect(fs.existsSync(path.join(t.dataDir, 'backups'))).toBe(false);
    const [last] = await auditRows(t);
    expect(last).toMatchObject({ command: 'registry purge', args: ['--status', 'retired'], outcome: 'refused', counts: {} });
  });

  test('--dry-run says what and changes nothing (and writes no audit row)', async () => {
    const n = (await auditRows(t)).length;
    const r = await cli(t, ['registry', 'purge', '--status', 'retired', '--before', '2025-01-01', '--dry-run', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ target: t.shownName, status: ['retired'], before: '2025-01-01', dry_run: true, matched: 2, deleted: 0, backup: null });
    expect(r.stderr).toContain('Would delete 2 services');
    expect(await codes(t.db)).toEqual(all);
    expect((await auditRows(t)).length).toBe(n);
  });

  test('answering no at the prompt: exit 4, nothing deleted', async () => {
    const r = await cli(t, ['registry', 'purge', '--status', 'retired'], 'n\n');
    expect(r.prompt).toContain('Delete 4 services?');
    expect(r.code).toBe(4);
    expect(await codes(t.db)).toEqual(all);
    expect((await auditRows(t))[0]).toMatchObject({ outcome: 'refused' });
  });

  test('answering yes: deletes exactly the match, the backup holds exactly what was deleted', async () => {
    const expected = SERVICES.filter((s) => s.status === 'retired' && s.effective_to !== null && String(s.effective_to) < '2025-01-01');
    expect(expected.map((s) => s.code)).toEqual(['ADL-0002', 'TK-0001']);
    const r = await cli(t, ['registry', 'purge', '--status', 'retired', '--before', '2025-01-01'], 'y\n');
    expect(r.code).toBe(0);
    const m = /^backup: (.+)$/m.exec(r.stdout);
    // (human lines show the redacted URL; only logs and JSON pass through the secret filter too)
    expect(r.stdout).toContain(`deleted 2 services from target ${t.target.name}`);
    expect(m![1]!.startsWith(path.join(t.dataDir, 'backups'))).toBe(true);
    expect(fs.readFileSync(m![1]!, 'utf8')).toBe(expected.map((s) => `${toJsonText('services', { ...s, updated_at: UPDATED })}\n`).join(''));
    expect(await codes(t.db)).toEqual(all.filter((c) => !['ADL-0002', 'TK-0001'].includes(c)));
    expect((await auditRows(t))[0]).toMatchObject({ command: 'registry purge', outcome: 'ok', counts: { matched: 2, deleted: 2, backed_up: 2 } });
  });

  test('--yes with --backup <path>; --no-backup writes none; nothing left is exit 0', async () => {
    const file = path.join(t.env.HOME!, 'mine', 'retired.ndjson');
    const r = await cli(t, ['registry', 'purge', '--status', 'retired', '--yes', '--backup', file, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ target: t.shownName, status: ['retired'], before: null, dry_run: false, matched: 2, deleted: 2, backup: file });
    expect(fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).code)).toEqual(['ADL-0003', 'SOL-0003']);
    const none = await cli(t, ['registry', 'purge', '--status', 'draft', '--yes', '--no-backup']);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('no backup was written');
    expect(await codes(t.db)).toEqual(['ADL-0001', 'SOL-0001', 'SOL-0002']);
    const empty = await cli(t, ['registry', 'purge', '--status', 'retired', '--json']);
    expect(empty.code).toBe(0);
    expect(JSON.parse(empty.stdout)).toMatchObject({ matched: 0, deleted: 0 });
  });

  test('--status is required and checked', async () => {
    expect((await cli(t, ['registry', 'purge'])).code).toBe(2);
    expect((await cli(t, ['registry', 'purge', '--status', 'old'])).code).toBe(2);
    expect((await cli(t, ['registry', 'purge', '--status', 'retired', '--before', '01.01.2025'])).code).toBe(2);
  });
});

describe.each<Dialect>(['pg', 'sqlite'])('registry list defaults on %s', (dialect) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(dialect);
    await seed(t.db, Array.from({ length: 150 }, (_, i) => service(`L-${String(i).padStart(3, '0')}`)));
  });
  afterAll(async () => t?.cleanup());

  test('a table shows 100 and says how many there are; --json gives them all', async () => {
    const human = await cli(t, ['registry', 'list']);
    // standard output is a pipe here: tab-separated lines under a header line
    expect(human.stdout.split('\n')[0]).toBe('code\tagency\tstatus\taudience\tfee\tdays\tname');
    expect(human.stdout.match(/^L-\d{3}\t/gm)).toHaveLength(100);
    expect(human.stderr).toBe('100 of 150 services shown (--limit 0 shows all)\n');
    const json = JSON.parse((await cli(t, ['registry', 'list', '--json'])).stdout) as Array<{ code: string }>;
    expect(json.map((s) => s.code)).toEqual(Array.from({ length: 150 }, (_, i) => `L-${String(i).padStart(3, '0')}`));
    expect(JSON.parse((await cli(t, ['registry', 'list', '--json', '--limit', '7'])).stdout)).toHaveLength(7);
    expect((await cli(t, ['registry', 'list', '--limit', '0'])).stderr).toBe('150 services\n');
  });
});
