import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { tamperAudit } from '../helpers/audit-tamper.js';
import { runCli } from '../helpers/cli.js';
import { openTestDb, type Dialect, type TestDb } from '../helpers/registry-seed.js';

// The registry log and the audit chain together (SPEC §9): `registry checkpoint` prints the
// chain's head after the root as `audit <rows> <head hash>`, and `registry verify` walks the
// chain — an audit row edited behind the tool's back is `audit-chain-broken` naming the row,
// and a checkpoint whose audit line the chain no longer passes through is caught too.

const ROOT = path.resolve(import.meta.dirname, '..', '..');

describe.each<Dialect>(['pg', 'sqlite'])('registry log and audit chain on %s', (dialect) => {
  let t: TestDb;
  const run = (args: string[]) => runCli(['--db', t.url, ...args], { env: t.env, cwd: ROOT });
  beforeAll(async () => {
    t = await openTestDb(dialect);
    expect((await run(['import', 'agencies', 'samples/agencies.csv'])).code).toBe(0);
    expect((await run(['import', 'services', 'samples/services.csv'])).code).toBe(0);
    expect((await run(['registry', 'retire', 'BIZ-0001', '--on', '2030-01-01'])).code).toBe(0);
  });
  afterAll(async () => t?.cleanup());

  test('the checkpoint carries the audit head; verify walks the chain and holds it to the checkpoint', async () => {
    const cp = await run(['registry', 'checkpoint']);
    expect(cp.code, cp.stderr).toBe(0);
    const lines = cp.stdout.split('\n');
    const rows = (await t.db.knex('audit_log').select('id', 'hash').orderBy('id')) as Array<{ id: number; hash: string }>;
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(lines[3]).toBe(`audit ${rows.length} ${rows[rows.length - 1]!.hash}`);

    const ok = await run(['--json', 'registry', 'verify']);
    expect(ok.code, ok.stdout).toBe(0);
    expect(JSON.parse(ok.stdout).valid).toBe(true);

    // a checkpoint that counts more audit rows than the chain holds: rows were cut from its end
    const fs = await import('node:fs');
    const file = path.join(t.dataDir, 'ahead.checkpoint');
    fs.mkdirSync(t.dataDir, { recursive: true });
    fs.writeFileSync(file, cp.stdout.replace(/^audit (\d+) /m, (_m, n: string) => `audit ${Number(n) + 5} `));
    const ahead = await run(['--json', 'registry', 'verify', '--checkpoint', file]);
    expect(ahead.code).toBe(3);
    expect(JSON.parse(ahead.stdout).issues.map((i: { code: string }) => i.code)).toContain('audit-chain-broken');
  });

  test('an audit row edited with plain SQL is audit-chain-broken naming that row; exit 3', async () => {
    const rows = (await t.db.knex('audit_log').select('id').orderBy('id')) as Array<{ id: number }>;
    const victim = Number(rows[1]!.id);
    await tamperAudit(t.db, [['update audit_log set outcome = ? where id = ?', ['failed', victim]]]);
    const r = await run(['--json', 'registry', 'verify']);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout) as { valid: boolean; issues: Array<{ code: string; key: string | null }> };
    expect(doc.valid).toBe(false);
    const broken = doc.issues.filter((i) => i.code === 'audit-chain-broken');
    expect(broken).toHaveLength(1);
    expect(broken[0]!.key).toBe(String(victim));
  });
});
