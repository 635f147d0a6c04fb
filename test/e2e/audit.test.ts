import os from 'node:os';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { redact } from '../../src/config/redact.js';
import { clearAuditLog } from '../helpers/audit-log.js';
import { runCli } from '../helpers/cli.js';
import { auditRows, cli, openTestDb, seed, type Dialect, type TestDb } from '../helpers/registry-seed.js';

// The audit trail (SPEC §7, §8): one row per writing command with its outcome, user,
// host, redacted arguments and counts; `audit list` in the shape of SPEC §8; and rows
// that no client can update or delete.

// SPEC §8's fields, then what §8 allows to be added: exit_code, message and the chain's prev and hash (§9)
const KEYS = ['id', 'started_at', 'finished_at', 'command', 'args', 'actor', 'host', 'target', 'outcome', 'counts', 'exit_code', 'message', 'prev', 'hash'];
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe.each<Dialect>(['pg', 'sqlite'])('audit on %s', (dialect) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(dialect);
    await seed(t.db);
  });
  afterAll(async () => t?.cleanup());

  test('ok, failed and refused rows through the binary; audit list has exactly the fields of SPEC §8', async () => {
    const run = (args: string[]) => runCli(['--db', t.url, ...args], { env: t.env });
    expect((await run(['registry', 'retire', 'ADL-0001', '--on', '2026-06-30'])).code).toBe(0);
    expect((await run(['registry', 'retire', 'ADL-0001', '--on', '2019-01-01'])).code).toBe(3);
    expect((await run(['registry', 'purge', '--status', 'draft'])).code).toBe(4);
    // reading commands leave no row
    expect((await run(['registry', 'list'])).code).toBe(0);
    const r = await run(['audit', 'list', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(rows.map((x) => Object.keys(x))).toEqual([KEYS, KEYS, KEYS]);
    expect(rows.map((x) => [x.command, x.args, x.outcome, x.counts])).toEqual([
      ['registry purge', ['--status', 'draft'], 'refused', {}],
      ['registry retire', ['ADL-0001', '--on', '2019-01-01'], 'failed', {}],
      ['registry retire', ['ADL-0001', '--on', '2026-06-30'], 'ok', { retired: 1 }],
    ]);
    const ids = rows.map((x) => x.id as number);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    for (const x of rows) {
      expect(x.actor).toBe(os.userInfo().username);
      expect(x.host).toBe(os.hostname());
      expect(x.target).toBe(t.shownTarget);
      expect(x.started_at).toMatch(ISO);
      expect(x.finished_at).toMatch(ISO);
      expect(String(x.finished_at) >= String(x.started_at)).toBe(true);
    }
    const human = await run(['audit', 'list', '--limit', '1']);
    expect(human.stdout).toContain('registry purge --status draft');
    expect(human.stdout).toContain('refused');
    expect(human.stdout).not.toContain('registry retire');
  });

  test('--limit and --since select rows; bad values are exit 2', async () => {
    const all = await auditRows(t);
    expect(all.length).toBeGreaterThanOrEqual(3);
    const two = JSON.parse((await cli(t, ['audit', 'list', '--limit', '2', '--json'])).stdout) as Array<{ id: number }>;
    expect(two.map((x) => x.id)).toEqual(all.slice(0, 2).map((x) => x.id));
    const newest = all[0]!;
    const since = JSON.parse((await cli(t, ['audit', 'list', '--since', String(newest.started_at), '--json'])).stdout) as Array<{ id: number }>;
    expect(since.map((x) => x.id)).toEqual([newest.id]);
    expect(JSON.parse((await cli(t, ['audit', 'list', '--since', '2999-01-01', '--json'])).stdout)).toEqual([]);
    expect((await cli(t, ['audit', 'list', '--since', 'last week'])).code).toBe(2);
    expect((await cli(t, ['audit', 'list', '--limit', '0'])).code).toBe(2);
  });

  test('the audit trail is append-only: UPDATE and DELETE are refused by the database', async () => {
    const before = await t.db.knex('audit_log').count({ n: '*' });
    await expect(t.db.knex('audit_log').update({ outcome: 'ok' })).rejects.toThrow(/audit_log is append-only/);
    await expect(t.db.knex('audit_log').delete()).rejects.toThrow(/audit_log is append-only/);
    if (dialect === 'pg') await expect(t.db.knex.raw('truncate audit_log')).rejects.toThrow(/audit_log is append-only/);
    expect(await t.db.knex('audit_log').count({ n: '*' })).toEqual(before);
  });
});

describe('audit arguments keep no secret', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb('pg');
    await seed(t.db);
  });
  afterAll(async () => t?.cleanup());

  test('a password in a URL typed after the command is *** in the audit row and in audit list', async () => {
    const u = new URL(t.url);
    // the test server trusts local connections or knows this password: either way it connects
    if (!u.password) u.password = 'Hunter2-secret';
    const secret = decodeURIComponent(u.password);
    const r = await runCli(['registry', 'retire', 'SOL-0001', '--db', u.toString()], { env: t.env });
    expect(r.code).toBe(0);
    const raw = (await t.db.knex('audit_log').select('args', 'target', 'message')) as Array<Record<string, unknown>>;
    expect(JSON.stringify(raw)).not.toContain(secret);
    expect(JSON.parse(String(raw[0]!.args))).toEqual(['SOL-0001', '--db', redact(u.toString())]);
    expect(redact(u.toString())).toContain(':***@');
    const list = await runCli(['audit', 'list', '--json', '--db', u.toString()], { env: t.env });
    expect(list.stdout).not.toContain(secret);
    expect(list.stdout).toContain(':***@');
  });
});

describe.each<Dialect>(['pg', 'sqlite'])('clearing the audit trail between tests on %s', (dialect) => {
  test('clearAuditLog empties it and the append-only triggers still hold afterwards', async () => {
    const t = await openTestDb(dialect);
    try {
      expect((await cli(t, ['registry', 'retire', 'NOPE-1'])).code).toBe(3);
      const count = async () => Number(((await t.db.knex('audit_log').count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
      expect(await count()).toBe(1);
      await clearAuditLog(t.db);
      expect(await count()).toBe(0);
      expect((await cli(t, ['registry', 'retire', 'NOPE-1'])).code).toBe(3);
      await expect(t.db.knex('audit_log').delete()).rejects.toThrow(/append-only/);
    } finally {
      await t.cleanup();
    }
  });
});
