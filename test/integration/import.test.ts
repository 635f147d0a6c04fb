import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { importFile, ImportFailed } from '../../src/import/import.js';
import type { ImportOptions } from '../../src/import/types.js';
import type { EntityName } from '../../src/records/fields.js';
import { NotConfirmedError } from '../../src/errors.js';
import {
  AGENCY_HEADER, DIALECTS, SERVICE_HEADER, agency, openTestDb, service, testEnv, writeFile, type TestDb,
} from '../fixtures/import/setup.js';

// importFile against real PostgreSQL and SQLite: modes, counts, all-or-nothing,
// references across file and database, --max-errors with the reject file.

function opts(entity: EntityName, file: string, over: Partial<ImportOptions> = {}): ImportOptions {
  return { entity, path: file, mode: 'upsert', dryRun: false, maxErrors: 0, maxIssues: 1000, ...over };
}

async function failed(p: Promise<unknown>): Promise<ImportFailed> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ImportFailed);
  return err as ImportFailed;
}

describe.each(DIALECTS)('import on %s', (dialect) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(dialect);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await t.clear();
  });

  const codes = async (table: string) => ((await t.db.knex(table).select('code').orderBy('code')) as Array<{ code: string }>).map((r) => r.code);
  const stamps = async () => Object.fromEntries(((await t.db.knex('services').select('code', 'updated_at')) as Array<{ code: string; updated_at: unknown }>).map((r) => [r.code, String(r.updated_at instanceof Date ? r.updated_at.toISOString() : r.updated_at)]));
  const run = (entity: EntityName, file: string, over: Partial<ImportOptions> = {}, env = {}) => importFile(t.db, opts(entity, file, over), testEnv(t.dir, env));
  const seedAgencies = async () => {
    const f = writeFile(t.dir, 'seed-agencies.csv', [AGENCY_HEADER, agency('MIN'), agency('OLD', '', 'abolished')]);
    await run('agencies', f);
  };

  test('upsert inserts new, updates changed, leaves unchanged records untouched', async () => {
    await seedAgencies();
    const f1 = writeFile(t.dir, 's1.csv', [SERVICE_HEADER, service('S-1', 'MIN'), service('S-2', 'MIN'), service('S-3', 'MIN')]);
    const r1 = await run('services', f1, {}, { now: () => new Date('2026-01-01T00:00:00.123Z') });
    expect([r1.records, r1.inserted, r1.updated, r1.unchanged, r1.deleted, r1.errors]).toEqual([3, 3, 0, 0, 0, 0]);
    expect(await stamps()).toEqual({ 'S-1': '2026-01-01T00:00:00.123Z', 'S-2': '2026-01-01T00:00:00.123Z', 'S-3': '2026-01-01T00:00:00.123Z' });

    const f2 = writeFile(t.dir, 's2.csv', [SERVICE_HEADER, service('S-1', 'MIN'), service('S-2', 'MIN', { name: 'Yangi nom' }), service('S-3', 'MIN'), service('S-4', 'MIN')]);
    const r2 = await run('services', f2, {}, { now: () => new Date('2026-02-02T10:00:00.456Z') });
    expect([r2.records, r2.inserted, r2.updated, r2.unchanged, r2.deleted]).toEqual([4, 1, 1, 2, 0]);
    expect(await stamps()).toEqual({
      'S-1': '2026-01-01T00:00:00.123Z',
      'S-2': '2026-02-02T10:00:00.456Z',
      'S-3': '2026-01-01T00:00:00.123Z',
      'S-4': '2026-02-02T10:00:00.456Z',
    });
    expect((await t.db.knex('services').where('code', 'S-2').first()).name_uz).toBe('Yangi nom');
  });

  test('text that looks like SQL is stored verbatim', async () => {
    await seedAgencies();
    const evil = "'); drop table services; --";
    const f = writeFile(t.dir, 'evil.csv', [SERVICE_HEADER, service('S-1', 'MIN', { description: evil, name: 'x"; delete from agencies; --' })]);
    const r = await run('services', f);
    expect(r.inserted).toBe(1);
    const row = await t.db.knex('services').where('code', 'S-1').first();
    expect(row.description).toBe(evil);
    expect(row.name_uz).toBe('x"; delete from agencies; --');
    expect(await codes('agencies')).toEqual(['MIN', 'OLD']);
  });

  test('text beyond ASCII is stored as its characters, whether a record goes as bytes (PostgreSQL, UTF-8 CSV) or decoded', async () => {
    await seedAgencies();
    // Names ending in Р (whose last byte is 0xA0, NO-BREAK SPACE in latin1), 4-byte
    // characters, guillemets, and white space beyond ASCII at the edges (decoded first).
    const names = ['ПАСПОРТ', 'Oʻzbekiston 😀 𝔸', '«Yagona darcha»', '\u00a0Bo‘sh joy\u3000', ' Р ', 'Р\u2028', '—'];
    const docs = (i: number) => ['Справка Р', i % 3 ? 'ichki' : '\u00a0ichki\u00a0', '😀'];
    const line = (code: string, name: string, i: number) =>
      `${code},MIN,"${name}",Р,,"=Лицензия ${name}",G2C,,draft,,,1,portal,,"${docs(i).join('|')}",,,`;
    const f = writeFile(t.dir, 'unicode.csv', [SERVICE_HEADER, ...names.map((n, i) => line(`S-U${i}`, n, i))]);
    const env = testEnv(t.dir);
    const r = await importFile(t.db, opts('services', f), env);
    expect(r.inserted).toBe(names.length);
    // On PostgreSQL, records 1, 2 and 4 go as their bytes; the rest have white space beyond
    // ASCII at an edge of a value and are decoded first.
    const asBytes = env.logger.lines.find((l) => l.includes('as the bytes they were'));
    expect(asBytes).toBe(dialect === 'pg' ? `debug: import: 3 of ${names.length} records checked and sent as the bytes they were` : undefined);
    // The formula-like warning of each record names the value as text, on either path.
    const formula = r.issues.filter((i) => i.code === 'formula-like-value');
    expect(formula.map((i) => [i.line, i.key, i.value])).toEqual(names.map((n, i) => [i + 2, `S-U${i}`, `=Лицензия ${n}`.trim()]));
    const rows = (await t.db.knex('services').orderBy('code').select('name_uz', 'name_ru', 'description', 'required_documents')) as Array<Record<string, string>>;
    expect(rows.map((x) => x.name_uz)).toEqual(names.map((n) => n.trim()));
    expect(rows.map((x) => x.name_ru)).toEqual(names.map(() => 'Р'));
    for (const x of rows) expect(JSON.parse(x.required_documents!)).toEqual(['Справка Р', 'ichki', '😀']);
    expect((await run('services', f)).unchanged).toBe(names.length);
  });

  test('a gzipped UTF-8 file with a byte-order mark and CRLF line ends reads the same from a file and from standard input', async () => {
    await seedAgencies();
    const text = [SERVICE_HEADER, service('S-1', 'MIN', { name: 'Паспорт Р' }), service('S-2', 'MIN', { description: 'bir\r\nikki' })].join('\r\n') + '\r\n';
    const gz = path.join(t.dir, 'bom.csv.gz');
    fs.writeFileSync(gz, zlib.gzipSync(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')])));
    const stored = async () => (await t.db.knex('services').orderBy('code').select('code', 'name_uz', 'description')) as unknown[];
    expect((await run('services', gz)).inserted).toBe(2);
    const fromFile = await stored();
    expect(fromFile).toEqual([
      { code: 'S-1', name_uz: 'Паспорт Р', description: null },
      { code: 'S-2', name_uz: 'Xizmat S-2', description: 'bir\r\nikki' },
    ]);
    await t.db.knex('services').del();
    const stdin = Readable.from([fs.readFileSync(gz)]);
    expect((await run('services', '-', { format: 'csv' }, { stdin })).inserted).toBe(2);
    expect(await stored()).toEqual(fromFile);
  });

  test('tabs, backslashes, line ends, quotes and \\N come through exactly, from CSV and JSON, into an empty table and a stored one', async () => {
    await seedAgencies();
    const tricky = ['tab\there', 'back\\slash \\N \\t', 'two\nlines\r\nand CR', '\\N', 'say "hi", Лицензия Oʻzbek', 'plain'];
    // The last two records hold no special character in their text (the quick path), but
    // their list's JSON does (\").
    const docsOf = (i: number) => (i < 4 ? ['a "quoted" item', 'back\\slash', 'tab\tin list'] : ['a "quoted" item', 'Справка']);
    const csvLine = (code: string, d: string, i: number) => `${code},MIN,Nom,,,"${d.replace(/"/g, '""')}",G2C,,draft,,,1,portal,,"${docsOf(i).join('|').replace(/"/g, '""')}",,,`;
    const json = (code: string, d: string, i: number) => ({ code, agency_code: 'MIN', name_uz: 'Nom', description: d, audience: ['G2C'], status: 'draft', processing_days: 1, channels: ['portal'], required_documents: docsOf(i) });
    const csv = writeFile(t.dir, 'tricky.csv', [SERVICE_HEADER, ...tricky.map((d, i) => csvLine(`S-C${i}`, d, i))]);
    const nd = path.join(t.dir, 'tricky.ndjson');
    fs.writeFileSync(nd, tricky.map((d, i) => JSON.stringify(json(`S-J${i}`, d, i))).join('\n') + '\n');
    const expectStored = async (prefix: string) => {
      const rows = (await t.db.knex('services').where('code', 'like', `${prefix}%`).orderBy('code').select('description', 'required_documents')) as Array<{ description: string; required_documents: string }>;
      expect(rows.map((r) => r.description)).toEqual(tricky);
      rows.forEach((r, i) => expect(JSON.parse(r.required_documents)).toEqual(docsOf(i)));
    };
    // Into the empty table (PostgreSQL: straight into it), then into a stored one (through the staging table).
    expect((await run('services', csv)).inserted).toBe(tricky.length);
    await expectStored('S-C');
    expect((await run('services', nd)).inserted).toBe(tricky.length);
    await expectStored('S-J');
    // Stored exactly as read: a second import finds nothing changed.
    for (const f of [csv, nd]) expect((await run('services', f)).unchanged).toBe(tricky.length);
  });

  test('insert mode: an existing code is key-exists with its line, and nothing is written', async () => {
    await seedAgencies();
    await run('services', writeFile(t.dir, 'a.csv', [SERVICE_HEADER, service('S-1', 'MIN')]));
    const f = writeFile(t.dir, 'b.csv', [SERVICE_HEADER, service('S-2', 'MIN'), service('S-1', 'MIN', { name: 'other' })]);
    const e = await failed(run('services', f, { mode: 'insert' }));
    expect(e.exitCode).toBe(3);
    expect(e.report.issues.map((i) => [i.code, i.line, i.key])).toEqual([['key-exists', 3, 'S-1']]);
    expect([e.report.inserted, e.report.errors]).toEqual([0, 1]);
    expect(await codes('services')).toEqual(['S-1']);
  });

  test('references resolve against file and database; unknown ones are errors with their lines', async () => {
    await seedAgencies();
    const f = writeFile(t.dir, 'refs.csv', [SERVICE_HEADER, service('S-1', 'MIN'), service('S-2', 'NOPE'), service('S-3', 'OLD', { status: 'active' })]);
    const e = await failed(run('services', f));
    expect(e.report.issues.filter((i) => i.severity === 'error').map((i) => [i.code, i.line, i.field, i.value])).toEqual([['unknown-reference', 3, 'agency_code', 'NOPE']]);
    expect(await codes('services')).toEqual([]);
    const ok = writeFile(t.dir, 'refs-ok.csv', [SERVICE_HEADER, service('S-3', 'OLD', { status: 'active' })]);
    const r = await run('services', ok);
    expect(r.issues.map((i) => [i.code, i.line, i.severity])).toEqual([['inactive-authority', 2, 'warning']]);
    expect(r.inserted).toBe(1);
    // Into a table that holds records (PostgreSQL: through the staging table, not straight in).
    const more = writeFile(t.dir, 'refs-more.csv', [SERVICE_HEADER, service('S-4', 'MIN'), service('S-5', 'OLD', { status: 'active' }), service('S-6', 'NOPE')]);
    const e2 = await failed(run('services', more));
    expect(e2.report.issues.map((i) => [i.code, i.line, i.severity])).toEqual([['inactive-authority', 3, 'warning'], ['unknown-reference', 4, 'error']]);
    expect(await codes('services')).toEqual(['S-3']);
  });

  test('agencies may list children before parents; cycles across file and database are hierarchy-cycle', async () => {
    const f = writeFile(t.dir, 'tree.csv', [AGENCY_HEADER, agency('CHILD', 'MID'), agency('MID', 'ROOT'), agency('ROOT')]);
    const r = await run('agencies', f);
    expect(r.inserted).toBe(3);
    // ROOT now under CHILD: ROOT → CHILD → MID → ROOT, with CHILD and MID only in the database.
    const loop = writeFile(t.dir, 'loop.csv', [AGENCY_HEADER, agency('ROOT', 'CHILD')]);
    const e = await failed(run('agencies', loop));
    expect(e.report.issues.map((i) => [i.code, i.line, i.key])).toEqual([['hierarchy-cycle', 2, 'ROOT']]);
    expect((await t.db.knex('agencies').where('code', 'ROOT').first()).parent_code).toBeNull();
  });

  test('duplicate codes: every line is reported', async () => {
    await seedAgencies();
    const f = writeFile(t.dir, 'dup.csv', [SERVICE_HEADER, service('S-1', 'MIN'), service('S-2', 'MIN'), service('S-1', 'MIN')]);
    const e = await failed(run('services', f));
    expect(e.report.issues.map((i) => [i.code, i.line, i.key])).toEqual([['duplicate-key', 2, 'S-1'], ['duplicate-key', 4, 'S-1']]);
    expect(await codes('services')).toEqual([]);
  });

  test('--max-errors skips up to N bad records into the reject file and commits the rest; one more and nothing is written', async () => {
    await seedAgencies();
    const bad1 = service('S-2', 'MIN', { days: 'soon' });
    const bad2 = service('S-4', 'NOPE');
    const f = writeFile(t.dir, 'mixed.csv', [SERVICE_HEADER, service('S-1', 'MIN'), bad1, service('S-3', 'MIN'), bad2, service('S-5', 'MIN')]);
    const rejects = path.join(t.dir, 'rejects.ndjson');

    const e = await failed(run('services', f, { maxErrors: 1, rejectFile: rejects }));
    expect([e.report.errors, e.report.inserted, e.report.rejected]).toEqual([2, 0, 0]);
    expect(await codes('services')).toEqual([]);

    const r = await run('services', f, { maxErrors: 2, rejectFile: rejects });
    expect([r.records, r.inserted, r.rejected, r.errors]).toEqual([5, 3, 2, 2]);
    expect(await codes('services')).toEqual(['S-1', 'S-3', 'S-5']);
    const lines = fs.readFileSync(rejects, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.line, l.raw, l.errors.map((x: { code: string }) => x.code)])).toEqual([
      [3, bad1, ['type-error']],
      [5, bad2, ['unknown-reference']],
    ]);
  });

  test('--max-errors: rejecting a parent agency rejects the children that name it', async () => {
    const f = writeFile(t.dir, 'cascade.csv', [AGENCY_HEADER, agency('PARENT', '', 'active', '123456789'), agency('OTHER', '', 'active', '123456789'), agency('KID', 'PARENT'), agency('FINE')]);
    const r = await run('agencies', f, { maxErrors: 3 });
    expect(r.issues.map((i) => [i.code, i.line])).toEqual([['duplicate-key', 2], ['duplicate-key', 3], ['unknown-reference', 4]]);
    expect([r.inserted, r.rejected]).toEqual([1, 3]);
    expect(await codes('agencies')).toEqual(['FINE']);
  });

  test('--dry-run runs every check and reports the counts, writing nothing', async () => {
    await seedAgencies();
    await run('services', writeFile(t.dir, 'a.csv', [SERVICE_HEADER, service('S-1', 'MIN'), service('S-2', 'MIN')]));
    const before = await stamps();
    const f = writeFile(t.dir, 'b.csv', [SERVICE_HEADER, service('S-1', 'MIN', { name: 'changed' }), service('S-3', 'MIN')]);
    const r = await run('services', f, { dryRun: true, mode: 'replace' });
    expect([r.dry_run, r.inserted, r.updated, r.unchanged, r.deleted, r.backup]).toEqual([true, 1, 1, 0, 1, null]);
    expect(await codes('services')).toEqual(['S-1', 'S-2']);
    expect(await stamps()).toEqual(before);
    const e = await failed(run('services', writeFile(t.dir, 'c.csv', [SERVICE_HEADER, service('S-9', 'NOPE')]), { dryRun: true }));
    expect(e.report.issues.map((i) => i.code)).toEqual(['unknown-reference']);
  });

  test('replace: refuses without --yes and no terminal; with it, backs up then deletes the absent records', async () => {
    await seedAgencies();
    await run('services', writeFile(t.dir, 'a.csv', [SERVICE_HEADER, service('S-1', 'MIN'), service('S-2', 'MIN'), service('S-3', 'MIN')]));
    const f = writeFile(t.dir, 'keep.csv', [SERVICE_HEADER, service('S-2', 'MIN')]);
    const refused = await run('services', f, { mode: 'replace' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(NotConfirmedError);
    expect((refused as Error).message).toContain('delete 2 services');
    expect(await codes('services')).toEqual(['S-1', 'S-2', 'S-3']);

    const backup = path.join(t.dir, 'backup.ndjson');
    const r = await run('services', f, { mode: 'replace', backup }, { yes: true });
    expect([r.deleted, r.unchanged, r.backup]).toEqual([2, 1, backup]);
    expect(await codes('services')).toEqual(['S-2']);
    expect(fs.readFileSync(backup, 'utf8').trim().split('\n').map((l) => JSON.parse(l).code)).toEqual(['S-1', 'S-3']);

    const none = await run('services', writeFile(t.dir, 'empty.csv', [SERVICE_HEADER]), { mode: 'replace', backup: null }, { yes: true });
    expect([none.deleted, none.backup]).toEqual([1, null]);
    expect(await codes('services')).toEqual([]);
  });

  test('the backup of a replace is NDJSON that import restores as it was', async () => {
    await seedAgencies();
    await run('services', writeFile(t.dir, 'a.csv', [SERVICE_HEADER, service('S-1', 'MIN', { description: 'bir\nikki', status: 'active' }), service('S-2', 'OLD')]));
    const before = await t.db.knex('services').select('*').orderBy('code');
    const backup = path.join(t.dir, 'restore.ndjson');
    await run('services', writeFile(t.dir, 'none.csv', [SERVICE_HEADER]), { mode: 'replace', backup }, { yes: true });
    expect(await codes('services')).toEqual([]);
    const r = await run('services', backup, { format: 'ndjson' });
    expect([r.records, r.inserted, r.errors]).toEqual([2, 2, 0]);
    const after = await t.db.knex('services').select('*').orderBy('code');
    const strip = (rows: Array<Record<string, unknown>>) => rows.map(({ updated_at: _u, ...rest }) => rest);
    expect(strip(after)).toEqual(strip(before));
  });

  test('replace of agencies that services still name fails cleanly, naming the agency', async () => {
    await seedAgencies();
    await run('services', writeFile(t.dir, 'a.csv', [SERVICE_HEADER, service('S-1', 'OLD'), service('S-2', 'OLD')]));
    const e = await failed(run('agencies', writeFile(t.dir, 'min-only.csv', [AGENCY_HEADER, agency('MIN')]), { mode: 'replace' }, { yes: true }));
    expect(e.report.issues.map((i) => [i.code, i.line, i.key, i.field])).toEqual([['unknown-reference', null, 'OLD', 'agency_code']]);
    expect(e.report.issues[0]!.message).toContain('2 services');
    expect(await codes('agencies')).toEqual(['MIN', 'OLD']);
  });

  test('an aborted import rolls back', async () => {
    await seedAgencies();
    const ac = new AbortController();
    const lines = [SERVICE_HEADER];
    for (let i = 0; i < 3000; i++) lines.push(service(`S-${i}`, 'MIN'));
    const f = writeFile(t.dir, 'big.csv', lines);
    let n = 0;
    const env = testEnv(t.dir, { signal: ac.signal, progress: { total() {}, update: () => { if (++n === 1500) ac.abort(new Error('stop')); }, phase() {}, done() {} } });
    const err = await importFile(t.db, opts('services', f), env).catch((e: unknown) => e);
    expect((err as Error).message).toBe('stop');
    expect(await codes('services')).toEqual([]);
  });
});
