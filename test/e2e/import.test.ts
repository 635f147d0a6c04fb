import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { ROOT, runCli, scratch } from '../helpers/cli.js';
import { DIALECTS, openTestDb, type TestDb } from '../fixtures/import/setup.js';

// `egovctl import` through the built binary, on both databases: the JSON report, exit
// codes, bad files that change nothing (SPEC §7), replace's confirmation, the audit row.

const FIX = path.join(ROOT, 'test', 'fixtures', 'import');
const fix = (name: string) => path.join(FIX, name);

describe.each(DIALECTS)('egovctl import on %s', (dialect) => {
  let t: TestDb;
  let home: ReturnType<typeof scratch>;
  beforeAll(async () => {
    t = await openTestDb(dialect);
    home = scratch();
  });
  afterAll(async () => {
    await t?.close();
    home?.cleanup();
  });
  beforeEach(async () => {
    await t.clear();
  });

  const cli = (args: string[], input?: string) => runCli(['--db', t.url, ...args], { env: home.env, ...(input !== undefined ? { input } : {}) });
  const codes = async (table: string) => ((await t.db.knex(table).select('code').orderBy('code')) as Array<{ code: string }>).map((r) => r.code);
  const loadValid = async () => {
    expect((await cli(['import', 'agencies', fix('agencies.csv')])).code).toBe(0);
    expect((await cli(['import', 'services', fix('services.csv')])).code).toBe(0);
  };

  test('--json prints the report of SPEC §8 and exits 0; SQL-looking text is stored as it is', async () => {
    const a = await cli(['import', 'agencies', fix('agencies.csv'), '--json']);
    expect(a.code).toBe(0);
    const r = await cli(['import', 'services', fix('services.csv'), '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc).slice(0, 14)).toEqual(['entity', 'source', 'mode', 'dry_run', 'records', 'inserted', 'updated', 'unchanged', 'deleted', 'rejected', 'errors', 'warnings', 'issues', 'duration_ms']);
    expect({ ...doc, duration_ms: 0 }).toMatchObject({
      entity: 'services', source: fix('services.csv'), mode: 'upsert', dry_run: false, records: 2, inserted: 2, updated: 0,
      unchanged: 0, deleted: 0, rejected: 0, errors: 0, warnings: 0, issues: [], duration_ms: 0,
    });
    const row = await t.db.knex('services').where('code', 'NOTARY-02').first();
    expect(row.description).toBe("'); drop table services; --");
    expect((await t.db.knex('services').where('code', 'NIKOH-01').first()).description).toBe('Ariza beriladi.\nIkki qatorli tavsif.');

    const again = JSON.parse((await cli(['import', 'services', fix('services.csv'), '--json'])).stdout);
    expect([again.inserted, again.updated, again.unchanged]).toEqual([0, 0, 2]);
  });

  test('standard input with --format, and a human report on standard output', async () => {
    expect((await cli(['import', 'agencies', fix('agencies.csv')])).code).toBe(0);
    const r = await cli(['import', 'services', '-', '--format', 'csv'], fs.readFileSync(fix('services.csv'), 'utf8'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('inserted   2');
    expect(r.stdout).toContain('records    2');
    expect(await codes('services')).toEqual(['NIKOH-01', 'NOTARY-02']);
  });

  const bad: Array<[string, string[], string, number | null]> = [
    ['bad-header.csv', [], 'header-missing-column', 1],
    ['bad-malformed.csv', [], 'malformed-record', 3],
    ['bad-type.csv', [], 'type-error', 4],
    ['bad-reference.csv', [], 'unknown-reference', 3],
    ['bad-duplicate.csv', [], 'duplicate-key', 2],
    ['services.csv', ['--mode', 'insert'], 'key-exists', 2],
  ];
  test.each(bad)('%s %j: %s at line %s, exit 3, the database unchanged', async (file, extra, code, line) => {
    await loadValid();
    const before = await t.db.knex('services').select('*').orderBy('code');
    const r = await cli(['import', 'services', fix(file), '--json', ...extra]);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout);
    const first = doc.issues.find((i: { severity: string }) => i.severity === 'error');
    expect([first.code, first.line]).toEqual([code, line]);
    expect([doc.inserted, doc.updated, doc.deleted]).toEqual([0, 0, 0]);
    expect(r.stderr).toContain('nothing was written');
    expect(await t.db.knex('services').select('*').orderBy('code')).toEqual(before);
  });

  test('--max-errors with --reject-file commits the good records and lists the bad ones', async () => {
    await loadValid();
    const rejects = path.join(home.dir, 'rejects.ndjson');
    const r = await cli(['import', 'services', fix('bad-type.csv'), '--max-errors', '1', '--reject-file', rejects, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect([doc.inserted, doc.rejected, doc.errors]).toEqual([2, 1, 1]);
    const lines = fs.readFileSync(rejects, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([{
      line: 4, record: null, raw: 'BAD-3,MINJUST,Nom,Имя,,,G2C,,draft,,,three,portal,,,,,',
      errors: [{ code: 'type-error', field: 'processing_days', value: 'three', message: lines[0].errors[0].message }],
    }]);
    expect(await codes('services')).toEqual(['NIKOH-01', 'NOTARY-02', 'OK-1', 'OK-2']);
  });

  test('replace: exit 4 with no terminal and no --yes; with --yes, deletes, backs up and prints the path', async () => {
    await loadValid();
    const only = path.join(home.dir, 'one.csv');
    fs.writeFileSync(only, fs.readFileSync(fix('services.csv'), 'utf8').split('\n').slice(0, 3).join('\n') + '\n');
    const refused = await cli(['import', 'services', only, '--mode', 'replace']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('delete 1 service absent from');
    expect(refused.stderr).toContain('--yes');
    expect(await codes('services')).toEqual(['NIKOH-01', 'NOTARY-02']);

    const dry = JSON.parse((await cli(['import', 'services', only, '--mode', 'replace', '--dry-run', '--json'])).stdout);
    expect([dry.deleted, dry.unchanged, dry.dry_run]).toEqual([1, 1, true]);
    expect(await codes('services')).toEqual(['NIKOH-01', 'NOTARY-02']);

    const r = await cli(['--yes', 'import', 'services', only, '--mode', 'replace', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.deleted).toBe(1);
    expect(doc.backup.startsWith(path.join(home.dir, 'data', 'egovctl', 'backups'))).toBe(true);
    expect(r.stderr).toContain(doc.backup);
    expect(JSON.parse(fs.readFileSync(doc.backup, 'utf8')).code).toBe('NOTARY-02');
    expect(await codes('services')).toEqual(['NIKOH-01']);
  });

  test('every import leaves an audit row with its outcome and counts', async () => {
    await loadValid();
    await cli(['import', 'services', fix('bad-reference.csv')]);
    const rows = (await t.db.knex('audit_log').select('*').orderBy('id')) as Array<Record<string, unknown>>;
    expect(rows.map((r) => [r.command, r.outcome, Number(r.exit_code)])).toEqual([['import', 'ok', 0], ['import', 'ok', 0], ['import', 'failed', 3]]);
    expect(JSON.parse(String(rows[1]!.counts))).toMatchObject({ entity: 'services', records: 2, inserted: 2, updated: 0, unchanged: 0, deleted: 0, rejected: 0, errors: 0 });
    expect(JSON.parse(String(rows[2]!.counts))).toMatchObject({ records: 2, inserted: 0, errors: 1 });
    expect(JSON.parse(String(rows[2]!.args))).toEqual(['services', fix('bad-reference.csv')]);
  });
});
