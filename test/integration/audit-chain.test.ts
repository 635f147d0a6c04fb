import crypto from 'node:crypto';
import path from 'node:path';
import canonicalize from 'canonicalize';
import { tamperAudit } from '../helpers/audit-tamper.js';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { auditHead, verifyAuditChain, verifyAuditExport } from '../../src/audit/audit-chain.js';
import { auditJson, listAudit, writeAudit, type AuditEntry } from '../../src/audit/audit.js';
import type { Db } from '../../src/db/connect.js';
import * as migrator from '../../src/db/migrator.js';
import { clearAuditLog } from '../helpers/audit-log.js';
import { ROOT } from '../helpers/cli.js';
import { openTestDb, type Dialect, type TestDb } from '../helpers/registry-seed.js';

// The audit trail as a hash chain (SPEC §9): rows written by the tool verify; a row edited,
// deleted, forged or moved with plain SQL — after the append-only trigger is dropped, as a
// superuser could — is caught at the row where the chain stops following; the migration
// chains the rows stored before it. Hashes are recomputed here with node:crypto and the
// `canonicalize` package, not with the production code.

const DIR = path.join(ROOT, 'dist', 'migrations');
const CHAIN = '20261201000002_audit_chain';

function entry(i: number, over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    command: 'import',
    args: ['services', `reg-${i}.csv`],
    target: 'test',
    started_at: `2026-12-01T10:00:0${i % 10}.000Z`,
    finished_at: `2026-12-01T10:00:0${i % 10}.500Z`,
    outcome: i % 3 ? 'ok' : 'failed',
    exit_code: i % 3 ? 0 : 3,
    counts: { inserted: i, nested: { a: [1, 'b'] } },
    message: i % 3 ? null : `row ${i} failed: «ошибка»`,
    ...over,
  };
}

async function writeRows(db: Db, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) expect(await writeAudit(db, entry(i))).toBeNull();
}

/** Recomputes a row's hash from its `audit list --json` object, independently of src/. */
function independentHash(row: Record<string, unknown>): string {
  const { hash: _h, ...rest } = row;
  return `sha-256:${crypto.createHash('sha256').update(canonicalize(rest)!, 'utf8').digest('hex')}`;
}

const tamper = tamperAudit;

async function hashes(db: Db): Promise<Array<{ id: number; prev: string | null; hash: string | null }>> {
  return (await db.knex('audit_log').select('id', 'prev', 'hash').orderBy('id')).map((r) => ({ id: Number(r.id), prev: r.prev ?? null, hash: r.hash ?? null }));
}

describe.each<Dialect>(['pg', 'sqlite'])('audit chain on %s', (dialect) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(dialect);
  });
  afterAll(async () => t?.cleanup());
  beforeEach(async () => {
    await clearAuditLog(t.db);
  });

  test('rows written by the tool form one chain that verifies; audit list --json lets anyone recompute every hash', async () => {
    await writeRows(t.db, 5);
    const rows = await hashes(t.db);
    expect(rows.map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
    expect(rows[0]!.prev).toBeNull();
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev).toBe(rows[i - 1]!.hash);
    for (const r of rows) expect(r.hash).toMatch(/^sha-256:[0-9a-f]{64}$/);
    expect(new Set(rows.map((r) => r.hash)).size).toBe(5);
    expect(await verifyAuditChain(t.db)).toEqual([]);
    expect(await auditHead(t.db)).toEqual({ rows: 5, hash: rows[4]!.hash });

    const json = (await listAudit(t.db, { limit: 100 })).map(auditJson) as Array<Record<string, unknown>>;
    for (const r of json) expect(independentHash(r)).toBe(r.hash);
    expect(json.find((r) => r.id === 3)).toMatchObject({ exit_code: 3, message: 'row 3 failed: «ошибка»', counts: { inserted: 3, nested: { a: [1, 'b'] } } });
    expect(await verifyAuditExport(json)).toEqual([]);
    // the export check is not blind either
    const edited = json.map((r) => (r.id === 2 ? { ...r, actor: 'someone-else' } : r));
    expect((await verifyAuditExport(edited)).map((i) => [i.code, i.key])).toEqual([['audit-chain-broken', '2']]);
    expect((await verifyAuditExport(json.filter((r) => r.id !== 3))).map((i) => [i.key, i.field])).toEqual([['4', 'prev']]);
  });

  test('an empty trail verifies and its head is 0 rows, no hash', async () => {
    expect(await verifyAuditChain(t.db)).toEqual([]);
    expect(await auditHead(t.db)).toEqual({ rows: 0, hash: null });
  });

  test('an edited row is caught at that row', async () => {
    await writeRows(t.db, 5);
    await tamper(t.db, [[`update audit_log set outcome = 'ok', exit_code = 0 where id = 3`]]);
    const issues = await verifyAuditChain(t.db);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ severity: 'error', code: 'audit-chain-broken', key: '3', field: 'hash' });
    expect(issues[0]!.message).toMatch(/audit row 3 was edited/);
  });

  test('a deleted row is caught at the row after it', async () => {
    await writeRows(t.db, 5);
    await tamper(t.db, [['delete from audit_log where id = 3']]);
    const issues = await verifyAuditChain(t.db);
    expect(issues.map((i) => [i.code, i.key, i.field])).toEqual([['audit-chain-broken', '4', 'prev']]);
    expect(issues[0]!.message).toMatch(/audit row 4 does not follow row 2/);
  });

  test('a deleted first row is caught: the new first row has a prev', async () => {
    await writeRows(t.db, 3);
    await tamper(t.db, [['delete from audit_log where id = 1']]);
    expect((await verifyAuditChain(t.db)).map((i) => [i.key, i.field])).toEqual([['2', 'prev']]);
  });

  test('a row inserted by plain SQL, knowing nothing of the chain, is caught at that row', async () => {
    await writeRows(t.db, 4);
    await tamper(t.db, [[`insert into audit_log (id, started_at, finished_at, command, args, actor, host, target, outcome, exit_code, counts) values (5, ?, ?, 'import', '[]', 'root', 'h', 'test', 'ok', 0, '{}')`, ['2026-12-01T11:00:00.000Z', '2026-12-01T11:00:01.000Z']]]);
    const issues = await verifyAuditChain(t.db);
    expect(issues.map((i) => [i.key, i.field])).toEqual([['5', 'hash']]);
    expect(issues[0]!.message).toMatch(/no hash/);
  });

  test('a forged row with a well-computed hash in place of a real one is caught at the next row', async () => {
    await writeRows(t.db, 5);
    const rows = await hashes(t.db);
    const json = (await listAudit(t.db, { limit: 100 })).map(auditJson) as Array<Record<string, unknown>>;
    const forged: Record<string, unknown> = { ...json.find((r) => r.id === 3)!, command: 'export', outcome: 'ok', exit_code: 0, message: null, prev: rows[1]!.hash };
    const forgedHash = independentHash(forged);
    await tamper(t.db, [
      ['delete from audit_log where id = 3'],
      [
        `insert into audit_log (id, started_at, finished_at, command, args, actor, host, target, outcome, exit_code, counts, message, prev, hash) values (3, ?, ?, 'export', ?, ?, ?, ?, 'ok', 0, ?, null, ?, ?)`,
        [forged.started_at, forged.finished_at, JSON.stringify(forged.args), forged.actor, forged.host, forged.target, JSON.stringify(forged.counts), forged.prev, forgedHash],
      ],
    ]);
    // the forged row itself is consistent…
    expect((await hashes(t.db))[2]!.hash).toBe(forgedHash);
    // …but row 4 follows the real row 3, not it
    expect((await verifyAuditChain(t.db)).map((i) => [i.key, i.field])).toEqual([['4', 'prev']]);
  });

  test('two rows swapped in order are caught at the first of them', async () => {
    await writeRows(t.db, 5);
    await tamper(t.db, [
      ['update audit_log set id = 100 where id = 2'],
      ['update audit_log set id = 2 where id = 3'],
      ['update audit_log set id = 3 where id = 100'],
    ]);
    const issues = await verifyAuditChain(t.db);
    expect(issues.map((i) => i.key)).toEqual(['2']);
  });

  test('a chain rewritten from some row on verifies alone, but not against a checkpoint taken before', async () => {
    await writeRows(t.db, 5);
    const head = await auditHead(t.db);
    const mid = { rows: 3, hash: (await hashes(t.db))[2]!.hash };
    // rewrite rows 3..5 with a consistent chain, computed independently
    const json = ((await listAudit(t.db, { limit: 100 })).map(auditJson) as Array<Record<string, unknown>>).sort((a, b) => Number(a.id) - Number(b.id));
    let prev = json[1]!.hash as string;
    const statements: Array<[string, unknown[]]> = [];
    for (const r of json.slice(2)) {
      const row = { ...r, actor: 'nobody', prev };
      const h = independentHash(row);
      statements.push([`update audit_log set actor = 'nobody', prev = ?, hash = ? where id = ?`, [prev, h, r.id]]);
      prev = h;
    }
    // the unique index on prev would refuse a transient duplicate: rewrite from the end
    await tamper(t.db, [['drop index audit_log_prev_unique'], ...statements, ['create unique index audit_log_prev_unique on audit_log (prev)']]);
    expect(await verifyAuditChain(t.db)).toEqual([]);
    const issues = await verifyAuditChain(t.db, { checkpoints: [mid, head] });
    expect(issues.map((i) => [i.key, i.field])).toEqual([['3', 'hash']]);
    expect(issues[0]!.message).toMatch(/checkpoint/);
    // and rows cut from the end are caught against the checkpoint's count
    await clearAuditLog(t.db);
    await writeRows(t.db, 3);
    const three = await auditHead(t.db);
    await tamper(t.db, [['delete from audit_log where id = 3']]);
    expect(await verifyAuditChain(t.db)).toEqual([]);
    expect((await verifyAuditChain(t.db, { checkpoints: [three] }))[0]!.message).toMatch(/counts 3 audit rows, but the chain has 2/);
  });

  test('verification reads the trail a page at a time, across page boundaries', async () => {
    await writeRows(t.db, 7);
    for (const pageSize of [1, 2, 3, 7, 1000]) expect(await verifyAuditChain(t.db, { pageSize })).toEqual([]);
    await tamper(t.db, [[`update audit_log set host = 'elsewhere' where id = 5`]]);
    for (const pageSize of [1, 2, 3, 1000]) expect((await verifyAuditChain(t.db, { pageSize })).map((i) => i.key)).toEqual(['5']);
    await clearAuditLog(t.db);
    await writeRows(t.db, 7);
    await tamper(t.db, [['delete from audit_log where id = 4']]);
    for (const pageSize of [1, 2, 3]) expect((await verifyAuditChain(t.db, { pageSize })).map((i) => i.key)).toEqual(['5']);
  });

  test('a fork (two rows after the same row) is refused by the unique index on prev', async () => {
    await writeRows(t.db, 2);
    const last = (await hashes(t.db))[1]!;
    await expect(
      t.db.knex('audit_log').insert({ id: 3, started_at: '2026-12-01T11:00:00.000Z', finished_at: '2026-12-01T11:00:00.000Z', command: 'x', args: '[]', actor: 'a', host: 'h', target: 't', outcome: 'ok', exit_code: 0, counts: '{}', prev: last.prev, hash: 'sha-256:00' }),
    ).rejects.toThrow(/unique|UNIQUE/);
  });

  test.runIf(dialect === 'pg')('the serial sequence stays in step with the explicit ids', async () => {
    await writeRows(t.db, 3);
    const r = await t.db.knex.raw(`insert into audit_log (started_at, finished_at, command, args, actor, host, target, outcome, exit_code, counts) values (now(), now(), 'psql', '[]', 'a', 'h', 't', 'ok', 0, '{}') returning id`);
    expect(Number(r.rows[0].id)).toBe(4);
  });

  test('the migration chains the rows stored before it; down and up again keep the triggers', async () => {
    await migrator.down(t.db, CHAIN, { dir: DIR });
    expect(await t.db.knex.schema.hasColumn('audit_log', 'hash')).toBe(false);
    // the tool still writes its plain row on a schema from before the chain
    await writeRows(t.db, 4);
    const ids = (await t.db.knex('audit_log').select('id').orderBy('id')).map((r) => Number(r.id));
    expect(ids).toHaveLength(4);
    const first = ids[0]!;
    // and the append-only triggers survived the down
    await expect(t.db.knex('audit_log').where({ id: first }).update({ host: 'x' })).rejects.toThrow(/append-only/);
    await expect(t.db.knex('audit_log').where({ id: first }).del()).rejects.toThrow(/append-only/);
    const before = (await t.db.knex('audit_log').select('id', 'command', 'args', 'message').orderBy('id')) as unknown[];

    await migrator.up(t.db, CHAIN, { dir: DIR });
    const rows = await hashes(t.db);
    expect(rows.map((r) => r.id)).toEqual(ids);
    expect(rows[0]!.prev).toBeNull();
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev).toBe(rows[i - 1]!.hash);
    expect(await verifyAuditChain(t.db)).toEqual([]);
    const json = (await listAudit(t.db, { limit: 100 })).map(auditJson) as Array<Record<string, unknown>>;
    for (const r of json) expect(independentHash(r)).toBe(r.hash);
    // nothing but prev and hash changed
    expect(await t.db.knex('audit_log').select('id', 'command', 'args', 'message').orderBy('id')).toEqual(before);
    await expect(t.db.knex('audit_log').where({ id: first }).update({ host: 'x' })).rejects.toThrow(/append-only/);
    await expect(t.db.knex('audit_log').where({ id: first }).del()).rejects.toThrow(/append-only/);
    // new rows continue the chain
    await writeRows(t.db, 1);
    expect(await verifyAuditChain(t.db)).toEqual([]);
    expect((await auditHead(t.db)).rows).toBe(5);

    // down, up again: the same chain
    const chained = await hashes(t.db);
    await migrator.down(t.db, CHAIN, { dir: DIR });
    expect(await t.db.knex.schema.hasColumn('audit_log', 'prev')).toBe(false);
    await migrator.up(t.db, CHAIN, { dir: DIR });
    expect(await hashes(t.db)).toEqual(chained);
    expect(await verifyAuditChain(t.db)).toEqual([]);
    await expect(t.db.knex('audit_log').where({ id: first }).del()).rejects.toThrow(/append-only/);
  });
});
