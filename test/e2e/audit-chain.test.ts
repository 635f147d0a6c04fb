import crypto from 'node:crypto';
import canonicalize from 'canonicalize';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { verifyAuditChain } from '../../src/audit/audit-chain.js';
import { runCli } from '../helpers/cli.js';
import { openTestDb, seed, type Dialect, type TestDb } from '../helpers/registry-seed.js';

// The audit chain through the built binary (SPEC §9): every command's row follows the one
// before it, even with ten commands at once; `audit list --json` is enough for a third
// party to recompute every hash (here with node:crypto and the `canonicalize` package,
// independently of src/); and an append that cannot get the chain's lock in time is a
// warning, not a hang or a crash.

type Row = Record<string, unknown> & { id: number; prev: string | null; hash: string };

function recompute(row: Row): string {
  const { hash: _h, ...rest } = row;
  return `sha-256:${crypto.createHash('sha256').update(canonicalize(rest)!, 'utf8').digest('hex')}`;
}

/** The whole trail, oldest first, checked link by link from its first row. */
function checkChain(rows: Row[]): void {
  expect(rows[0]!.prev).toBeNull();
  for (let i = 0; i < rows.length; i++) {
    expect(recompute(rows[i]!), `row ${rows[i]!.id}`).toBe(rows[i]!.hash);
    if (i) expect(rows[i]!.prev, `row ${rows[i]!.id}`).toBe(rows[i - 1]!.hash);
  }
}

describe.each<Dialect>(['pg', 'sqlite'])('audit chain through the binary on %s', (dialect) => {
  let t: TestDb;
  const run = (args: string[]) => runCli(['--db', t.url, ...args], { env: t.env });
  const list = async (): Promise<Row[]> => {
    const r = await run(['audit', 'list', '--json', '--limit', '1000']);
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as Row[]).reverse();
  };
  beforeAll(async () => {
    t = await openTestDb(dialect);
    await seed(t.db);
  });
  afterAll(async () => t?.cleanup());

  test('ok, failed and refused commands make one chain that audit list --json lets anyone recompute', async () => {
    expect((await run(['registry', 'retire', 'ADL-0001', '--on', '2026-06-30'])).code).toBe(0);
    expect((await run(['registry', 'retire', 'ADL-0001', '--on', '2019-01-01'])).code).toBe(3);
    expect((await run(['registry', 'purge', '--status', 'draft'])).code).toBe(4);
    const rows = await list();
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.slice(-3).map((r) => [r.command, r.outcome, r.exit_code])).toEqual([
      ['registry retire', 'ok', 0],
      ['registry retire', 'failed', 3],
      ['registry purge', 'refused', 4],
    ]);
    expect(Object.keys(rows[0]!)).toEqual(['id', 'started_at', 'finished_at', 'command', 'args', 'actor', 'host', 'target', 'outcome', 'counts', 'exit_code', 'message', 'prev', 'hash']);
    checkChain(rows);
    expect(await verifyAuditChain(t.db)).toEqual([]);
    // the check above can fail: a row shown with another value does not recompute
    const edited = { ...rows[1]!, counts: { retired: 2 } };
    expect(recompute(edited)).not.toBe(edited.hash);
  });

  test('ten commands at once (separate processes) give one unbroken chain', async () => {
    const before = (await list()).length;
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => run(['registry', 'purge', '--status', 'draft', '--backup', `/nonexistent/${i}`])));
    for (const r of results) {
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).not.toMatch(/no audit row/);
    }
    const rows = await list();
    expect(rows.length).toBe(before + 10);
    // explicit ids, one after the other, no gaps and no fork
    expect(rows.map((r) => r.id)).toEqual(rows.map((_, i) => rows[0]!.id + i));
    checkChain(rows);
    expect(new Set(rows.slice(-10).map((r) => (r.args as string[])[3])).size).toBe(10);
    expect(await verifyAuditChain(t.db)).toEqual([]);
  }, 60_000);

  test.runIf(dialect === 'pg')('an append that waits longer than --lock-timeout for the chain is a warning; the command keeps its exit code', async () => {
    const holder = new pg.Client({ connectionString: t.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query(`select pg_advisory_xact_lock('7306931474663826548'::bigint)`);
      const began = Date.now();
      const r = await run(['--lock-timeout', '1', 'registry', 'purge', '--status', 'draft']);
      expect(Date.now() - began).toBeLessThan(15_000);
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/no audit row was written on target .*lock/i);
      await holder.query('rollback');
    } finally {
      await holder.end();
    }
    // the next command appends after the last row as usual
    expect((await run(['registry', 'purge', '--status', 'draft'])).code).toBe(4);
    checkChain(await list());
  }, 30_000);
});
