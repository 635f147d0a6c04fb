import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { importFile, ImportFailed } from '../../src/import/import.js';
import type { ImportOptions } from '../../src/import/types.js';
import type { EntityName } from '../../src/records/fields.js';
import { UsageError } from '../../src/errors.js';
import { validateFile } from '../../src/validate/validate-file.js';
import { agencyLookupFromDb } from '../../src/records/validate-db.js';
import { StoredServices } from '../../src/applications/service-versions.js';
import { AGENCY_HEADER, DIALECTS, SERVICE_HEADER, agency, openTestDb, testEnv, writeFile, type TestDb } from '../fixtures/import/setup.js';
import { APPLICATION_HEADER, app, svc } from '../fixtures/applications/setup.js';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { xlsxStage } from '../../src/export/xlsx-writer.js';
import { toJsonText } from '../../src/records/db-row.js';
import { fromRow } from '../../src/records/db-row.js';

// import applications and validate file applications against real PostgreSQL and SQLite:
// every rule an application can break (code, line, exit, nothing written), the same
// issues from validate, the modes and counts, deadlines (SPEC §10), partitions.

function opts(entity: EntityName, file: string, over: Partial<ImportOptions> = {}): ImportOptions {
  return { entity, path: file, mode: 'upsert', dryRun: false, maxErrors: 0, maxIssues: 1000, ...over };
}

async function failed(p: Promise<unknown>): Promise<ImportFailed> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ImportFailed);
  return err as ImportFailed;
}

const LONG_ID = `A${'1'.repeat(64)}`;

/** Bad files: lines after the header, and the error each must raise (code, line, field). */
const BAD: Array<{ name: string; lines: string[]; want: Array<[string, number, string]>; mode?: 'insert' }> = [
  { name: 'pattern-mismatch id', lines: [app({ id: 'A-1' }), app({ id: '-A2' })], want: [['pattern-mismatch', 3, 'id']] },
  { name: 'out-of-range id longer than 64', lines: [app({ id: LONG_ID })], want: [['out-of-range', 2, 'id']] },
  { name: 'enum-mismatch channel', lines: [app({ id: 'A-1', channel: 'fax' })], want: [['enum-mismatch', 2, 'channel']] },
  { name: 'enum-mismatch status', lines: [app({ id: 'A-1', status: 'lost' })], want: [['enum-mismatch', 2, 'status']] },
  { name: 'missing-value region', lines: [app({ id: 'A-1', region: '' })], want: [['missing-value', 2, 'region']] },
  { name: 'missing-value decided_at of a completed application', lines: [app({ id: 'A-1' }), app({ id: 'A-2', status: 'completed' })], want: [['missing-value', 3, 'decided_at']] },
  { name: 'missing-value decided_at of a rejected application', lines: [app({ id: 'A-1', status: 'rejected' })], want: [['missing-value', 2, 'decided_at']] },
  { name: 'type-error submitted_at', lines: [app({ id: 'A-1', submittedAt: 'yesterday' })], want: [['type-error', 2, 'submitted_at']] },
  { name: 'type-error due_on', lines: [app({ id: 'A-1', dueOn: '2026-02-30' })], want: [['type-error', 2, 'due_on']] },
  { name: 'out-of-range submitted_at in the future', lines: [app({ id: 'A-1', submittedAt: '2099-01-01T00:00:00.000Z' })], want: [['out-of-range', 2, 'submitted_at']] },
  { name: 'date-order decided before submitted', lines: [app({ id: 'A-1', status: 'completed', submittedAt: '2026-03-02T10:00:00.000Z', decidedAt: '2026-03-01T10:00:00.000Z' })], want: [['date-order', 2, 'decided_at']] },
  { name: 'date-order decided while in progress', lines: [app({ id: 'A-1', status: 'in_progress', decidedAt: '2026-03-05T10:00:00.000Z' })], want: [['date-order', 2, 'decided_at']] },
  { name: 'duplicate-key id', lines: [app({ id: 'A-1' }), app({ id: 'A-2' }), app({ id: 'A-1', submittedAt: '2026-02-01T10:00:00.000Z' })], want: [['duplicate-key', 2, 'id'], ['duplicate-key', 4, 'id']] },
  { name: 'unknown-reference service_code', lines: [app({ id: 'A-1', service: 'NO-SUCH' })], want: [['unknown-reference', 2, 'service_code']] },
  { name: 'unknown-reference handled_by', lines: [app({ id: 'A-1', handledBy: 'NOBODY' })], want: [['unknown-reference', 2, 'handled_by']] },
];

describe.each(DIALECTS)('import applications on %s', (dialect) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(dialect);
    const run = (entity: EntityName, file: string, now: string) => importFile(t.db, opts(entity, file), testEnv(t.dir, { now: () => new Date(now) }));
    await run('agencies', writeFile(t.dir, 'a.csv', [AGENCY_HEADER, agency('MIN'), agency('REG', 'MIN')]), '2025-01-01T00:00:00.000Z');
    // S-1 (5 days, G2C, portal|center) and S-ZERO (0 days) from 2026-01-01; S-CHG changes
    // from 5 to 10 days on 2026-03-01T00:00:00Z.
    await run('services', writeFile(t.dir, 's1.csv', [SERVICE_HEADER, svc('S-1'), svc('S-ZERO', { days: 0 }), svc('S-CHG', { days: 5 })]), '2026-01-01T00:00:00.000Z');
    await run('services', writeFile(t.dir, 's2.csv', [SERVICE_HEADER, svc('S-1'), svc('S-ZERO', { days: 0 }), svc('S-CHG', { days: 10 })]), '2026-03-01T00:00:00.000Z');
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await t.db.knex('applications').del();
  });

  const run = (file: string, over: Partial<ImportOptions> = {}, env = {}) => importFile(t.db, opts('applications', file, over), testEnv(t.dir, env));
  const count = async () => Number(((await t.db.knex('applications').count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
  const dueOn = async (id: string) => {
    const row = await t.db.knex('applications').where('id', id).first();
    return row.due_on instanceof Date ? row.due_on.toISOString().slice(0, 10) : String(row.due_on);
  };
  const logSize = async () => Number(((await t.db.knex('registry_log_entries').count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
  const validate = async (file: string) => validateFile({
    entity: 'applications', path: file, agencyLookup: await agencyLookupFromDb(t.db), serviceLookup: await StoredServices.load(t.db.knex),
  });

  test.each(BAD)('a file with $name fails with that code at that line, writes nothing, and validate says the same', async ({ name, lines, want }) => {
    await run(writeFile(t.dir, 'seed.csv', [APPLICATION_HEADER, app({ id: 'SEED-1' })]));
    const file = writeFile(t.dir, `bad-${name.replace(/\W+/g, '-')}.csv`, [APPLICATION_HEADER, ...lines]);
    const err = await failed(run(file));
    expect(err.exitCode).toBe(3);
    const got = err.report.issues.filter((i) => i.severity === 'error').map((i) => [i.code, i.line, i.field]);
    expect(got).toEqual(want);
    expect(err.report.inserted).toBe(0);
    expect(await count()).toBe(1);
    const v = await validate(file);
    expect(v.valid).toBe(false);
    expect(v.issues.filter((i) => i.severity === 'error').map((i) => [i.code, i.line, i.field]).sort()).toEqual([...want].sort());
  });

  test('--mode insert: a stored id is key-exists; nothing is written', async () => {
    await run(writeFile(t.dir, 'seed.csv', [APPLICATION_HEADER, app({ id: 'A-1' })]));
    const err = await failed(run(writeFile(t.dir, 'ins.csv', [APPLICATION_HEADER, app({ id: 'A-2' }), app({ id: 'A-1', status: 'in_progress' })]), { mode: 'insert' }));
    expect(err.report.issues.map((i) => [i.code, i.line, i.field, i.key])).toEqual([['key-exists', 3, 'id', 'A-1']]);
    expect(await count()).toBe(1);
    expect((await t.db.knex('applications').where('id', 'A-1').first()).status).toBe('received');
    const ok = await run(writeFile(t.dir, 'ins2.csv', [APPLICATION_HEADER, app({ id: 'A-3' })]), { mode: 'insert' });
    expect([ok.inserted, ok.updated, ok.unchanged]).toEqual([1, 0, 0]);
  });

  test('--mode replace is a usage error (exit 2) and touches nothing', async () => {
    await run(writeFile(t.dir, 'seed.csv', [APPLICATION_HEADER, app({ id: 'A-1' })]));
    const err = await run(writeFile(t.dir, 'r.csv', [APPLICATION_HEADER, app({ id: 'A-2' })]), { mode: 'replace' }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(/upsert or insert/);
    expect(await count()).toBe(1);
  });

  test('audience-mismatch and channel-mismatch are warnings: the import goes ahead, validate is valid', async () => {
    const file = writeFile(t.dir, 'warn.csv', [APPLICATION_HEADER, app({ id: 'A-1', audience: 'G2B' }), app({ id: 'A-2', channel: 'mobile' }), app({ id: 'A-3' })]);
    const r = await run(file);
    expect([r.inserted, r.errors, r.warnings]).toEqual([3, 0, 2]);
    expect(r.issues.map((i) => [i.code, i.line, i.field, i.value])).toEqual([['audience-mismatch', 2, 'audience', 'G2B'], ['channel-mismatch', 3, 'channel', 'mobile']]);
    expect(r.issues[0]!.message).toBe('audience G2B is not in the audience of service S-1 (G2C)');
    const v = await validate(file);
    expect(v.valid).toBe(true);
    expect(v.issues.map((i) => [i.code, i.line, i.field, i.message])).toEqual(r.issues.map((i) => [i.code, i.line, i.field, i.message]));
  });

  test('upsert counts inserted, updated and unchanged; an unchanged record keeps its updated_at; nothing goes to the registry log', async () => {
    const before = await logSize();
    const t1 = '2026-06-01T00:00:00.000Z';
    const r1 = await run(writeFile(t.dir, 'u1.csv', [APPLICATION_HEADER, app({ id: 'A-1' }), app({ id: 'A-2' }), app({ id: 'A-3' })]), {}, { now: () => new Date(t1) });
    expect([r1.records, r1.inserted, r1.updated, r1.unchanged]).toEqual([3, 3, 0, 0]);
    const r2 = await run(writeFile(t.dir, 'u2.csv', [APPLICATION_HEADER,
      app({ id: 'A-1' }),
      app({ id: 'A-2', status: 'completed', decidedAt: '2026-03-03T10:00:00.000Z' }),
      // a new submitted_at: the row moves to another month (partition)
      app({ id: 'A-3', submittedAt: '2026-01-15T10:00:00.000Z' }),
      app({ id: 'A-4' }),
    ]), {}, { now: () => new Date('2026-07-01T00:00:00.000Z') });
    expect([r2.records, r2.inserted, r2.updated, r2.unchanged, r2.deleted]).toEqual([4, 1, 2, 1, 0]);
    expect(await count()).toBe(4);
    const a1 = await t.db.knex('applications').where('id', 'A-1').first();
    expect(new Date(a1.updated_at).toISOString()).toBe(t1);
    const a3 = await t.db.knex('applications').where('id', 'A-3').first();
    expect(new Date(a3.submitted_at).toISOString()).toBe('2026-01-15T10:00:00.000Z');
    expect(await dueOn('A-3')).toBe('2026-01-20');
    expect(await logSize()).toBe(before);
  });

  test('deadlines: the processing time the log had at submitted_at; the local date in Tashkent; 0 days; a given due_on is kept', async () => {
    const r = await run(writeFile(t.dir, 'd.csv', [APPLICATION_HEADER,
      app({ id: 'OLD', service: 'S-CHG', submittedAt: '2026-02-27T10:00:00.000Z' }), // 5 days then
      app({ id: 'NEW', service: 'S-CHG', submittedAt: '2026-03-02T10:00:00.000Z' }), // 10 days since 03-01
      app({ id: 'EARLY', service: 'S-CHG', submittedAt: '2025-11-01T10:00:00.000Z' }), // before the first entry: its first version
      app({ id: 'MIDNIGHT', service: 'S-1', submittedAt: '2026-03-31T19:30:00.000Z' }), // 2026-04-01 00:30 in Tashkent
      app({ id: 'ZERO', service: 'S-ZERO', submittedAt: '2026-03-31T18:59:59.999Z' }), // still 03-31 there
      app({ id: 'GIVEN', service: 'S-CHG', submittedAt: '2026-03-02T10:00:00.000Z', dueOn: '2026-12-31' }),
    ]));
    expect(r.inserted).toBe(6);
    expect(await dueOn('OLD')).toBe('2026-03-04');
    expect(await dueOn('NEW')).toBe('2026-03-12');
    expect(await dueOn('EARLY')).toBe('2025-11-06');
    expect(await dueOn('MIDNIGHT')).toBe('2026-04-06');
    expect(await dueOn('ZERO')).toBe('2026-03-31');
    expect(await dueOn('GIVEN')).toBe('2026-12-31');
    // Another time zone counts local dates there.
    await run(writeFile(t.dir, 'utc.csv', [APPLICATION_HEADER, app({ id: 'UTC', service: 'S-1', submittedAt: '2026-03-31T19:30:00.000Z' })]), { timeZone: 'UTC' });
    expect(await dueOn('UTC')).toBe('2026-04-05');
  });

  test('a later change of processing time leaves old deadlines where they were on re-import', async () => {
    const file = writeFile(t.dir, 'keep.csv', [APPLICATION_HEADER, app({ id: 'K-1', service: 'S-CHG', submittedAt: '2026-02-10T10:00:00.000Z' })]);
    await run(file);
    expect(await dueOn('K-1')).toBe('2026-02-15');
    const again = await run(file);
    expect([again.inserted, again.updated, again.unchanged]).toEqual([0, 0, 1]);
    expect(await dueOn('K-1')).toBe('2026-02-15');
  });

  test('--max-errors skips bad records into the reject file; --dry-run writes nothing', async () => {
    const rejects = path.join(t.dir, 'rejects.ndjson');
    const file = writeFile(t.dir, 'mixed.csv', [APPLICATION_HEADER, app({ id: 'A-1' }), app({ id: 'A-2', service: 'NO-SUCH' }), app({ id: 'A-3', region: 'XX' }), app({ id: 'A-4' })]);
    const dry = await run(file, { dryRun: true, maxErrors: 5 });
    expect([dry.inserted, dry.rejected]).toEqual([2, 2]);
    expect(await count()).toBe(0);
    const r = await run(file, { maxErrors: 2, rejectFile: rejects });
    expect([r.inserted, r.rejected]).toEqual([2, 2]);
    expect(fs.readFileSync(rejects, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { line: number }).line)).toEqual([3, 4]);
    expect(await count()).toBe(2);
    await t.db.knex('applications').del();
    await failed(run(file, { maxErrors: 1 }));
    expect(await count()).toBe(0);
  });

  test('JSON and NDJSON files read as CSV does', async () => {
    const rec = { id: 'J-1', service_code: 'S-1', audience: 'G2C', channel: 'portal', region: 'UZ', submitted_at: '2026-03-01T10:00:00Z', status: 'completed', decided_at: '2026-03-02T10:00:00Z' };
    const json = path.join(t.dir, 'a.json');
    fs.writeFileSync(json, JSON.stringify([rec, { ...rec, id: 'J-2', handled_by: 'REG' }]));
    expect((await run(json)).inserted).toBe(2);
    const nd = path.join(t.dir, 'a.ndjson');
    fs.writeFileSync(nd, `${JSON.stringify({ ...rec, id: 'N-1' })}\n${JSON.stringify({ ...rec, id: 'N-2', status: 'received' })}\n`);
    const err = await failed(run(nd));
    expect(err.report.issues.map((i) => [i.code, i.line])).toEqual([['date-order', 2]]);
    expect(await dueOn('J-2')).toBe('2026-03-06');
  });

  test('an XLSX workbook (timestamps as spreadsheet dates) reads as CSV does', async () => {
    const rows = [
      { id: 'X-1', service_code: 'S-1', handled_by: null, audience: 'G2C', channel: 'center', region: 'UZ-TK', submitted_at: '2026-03-31T19:30:00.000Z', due_on: null, status: 'completed', decided_at: '2026-04-02T08:00:00.000Z', updated_at: null },
      { id: 'X-2', service_code: 'S-1', handled_by: 'REG', audience: 'G2C', channel: 'portal', region: 'UZ', submitted_at: '2026-03-01T10:00:00.000Z', due_on: '2026-03-20', status: 'received', decided_at: null, updated_at: null },
    ];
    const file = path.join(t.dir, 'apps.xlsx');
    const lines = rows.map((r) => Buffer.from(`${toJsonText('applications', fromRow('applications', r))}\n`));
    await pipeline(Readable.from(lines), xlsxStage('applications'), fs.createWriteStream(file));
    const r = await run(file);
    expect([r.inserted, r.errors]).toEqual([2, 0]);
    expect(await dueOn('X-1')).toBe('2026-04-06');
    expect(await dueOn('X-2')).toBe('2026-03-20');
    const x1 = await t.db.knex('applications').where('id', 'X-1').first();
    expect(new Date(x1.decided_at).toISOString()).toBe('2026-04-02T08:00:00.000Z');
  });
});

describe('applications on PostgreSQL: monthly partitions', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb('pg');
    const run = (entity: EntityName, file: string) => importFile(t.db, opts(entity, file), testEnv(t.dir));
    await run('agencies', writeFile(t.dir, 'a.csv', [AGENCY_HEADER, agency('MIN')]));
    await run('services', writeFile(t.dir, 's.csv', [SERVICE_HEADER, svc('S-1')]));
  });
  afterAll(async () => {
    await t?.close();
  });
  const partitions = async () => ((await t.db.knex.raw(
    `select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent where p.relname = 'applications' order by 1`,
  )).rows as Array<{ relname: string }>).map((r) => r.relname);

  test('an import spanning months makes their partitions; a rolled-back one leaves none', async () => {
    const bad = writeFile(t.dir, 'bad.csv', [APPLICATION_HEADER, app({ id: 'B-1', submittedAt: '2025-06-01T10:00:00.000Z' }), app({ id: 'B-2', submittedAt: '2025-07-01T10:00:00.000Z', service: 'NO-SUCH' })]);
    await failed(importFile(t.db, opts('applications', bad), testEnv(t.dir)));
    expect(await partitions()).toEqual([]);
    // a dry run makes none either
    await importFile(t.db, opts('applications', writeFile(t.dir, 'dry.csv', [APPLICATION_HEADER, app({ id: 'D-1', submittedAt: '2025-06-01T10:00:00.000Z' })]), { dryRun: true }), testEnv(t.dir));
    expect(await partitions()).toEqual([]);
    const good = writeFile(t.dir, 'good.csv', [APPLICATION_HEADER,
      app({ id: 'G-1', submittedAt: '2026-01-31T23:59:59.999Z' }),
      app({ id: 'G-2', submittedAt: '2026-02-01T00:00:00.000Z' }),
      app({ id: 'G-3', submittedAt: '2026-04-15T10:00:00.000Z' }),
    ]);
    const env = testEnv(t.dir);
    const r = await importFile(t.db, opts('applications', good), env);
    expect(r.inserted).toBe(3);
    // the empty table was loaded straight, a COPY statement per new month
    expect(env.logger.lines.some((l) => /straight into the empty applications table/.test(l))).toBe(true);
    expect(await partitions()).toEqual(['applications_p2026_01', 'applications_p2026_02', 'applications_p2026_04']);
    const where = (await t.db.knex.raw(`select id, tableoid::regclass::text as part from applications order by id`)).rows as Array<{ id: string; part: string }>;
    expect(where).toEqual([{ id: 'G-1', part: 'applications_p2026_01' }, { id: 'G-2', part: 'applications_p2026_02' }, { id: 'G-3', part: 'applications_p2026_04' }]);
  });

  test('into the empty table, an id twice — at the same time or at two — is duplicate-key on every line; nothing written, no partition left', async () => {
    await t.db.knex('applications').del();
    const before = await partitions();
    for (const second of ['2025-05-01T10:00:00.000Z', '2025-06-01T10:00:00.000Z']) {
      const file = writeFile(t.dir, 'dup.csv', [APPLICATION_HEADER, app({ id: 'D-1', submittedAt: '2025-05-01T10:00:00.000Z' }), app({ id: 'D-2', submittedAt: '2025-07-01T10:00:00.000Z' }), app({ id: 'D-1', submittedAt: second })]);
      const err = await failed(importFile(t.db, opts('applications', file), testEnv(t.dir)));
      expect(err.report.issues.map((i) => [i.code, i.line])).toEqual([['duplicate-key', 2], ['duplicate-key', 4]]);
      expect(await partitions()).toEqual(before);
    }
  });

  test('into the empty table, a bad record and an id twice after it: both reported, as validate does', async () => {
    await t.db.knex('applications').del();
    const file = writeFile(t.dir, 'bad-dup.csv', [APPLICATION_HEADER, app({ id: 'E-1', submittedAt: '2025-05-01T10:00:00.000Z' }), app({ id: 'E-2', service: 'NO-SUCH' }), app({ id: 'E-1', submittedAt: '2025-06-01T10:00:00.000Z' })]);
    const err = await failed(importFile(t.db, opts('applications', file), testEnv(t.dir)));
    expect(err.report.issues.map((i) => [i.code, i.line]).sort()).toEqual([['duplicate-key', 2], ['duplicate-key', 4], ['unknown-reference', 3]]);
    expect(Number(((await t.db.knex('applications').count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n)).toBe(0);
  });
});

describe('timestamps already canonical skip the Date round trip', () => {
  test('exactly when the round trip gives the text back', async () => {
    const { isCanonicalInstant, parseValue } = await import('../../src/records/field-values.js');
    const f = { name: 'submitted_at', type: 'timestamp' as const, required: true, description: '' };
    let seed = 42;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    const pad = (x: number, w: number) => String(x).padStart(w, '0');
    for (let i = 0; i < 20000; i++) {
      const text = `${pad(rnd(3000) + 1, 4)}-${pad(rnd(14), 2)}-${pad(rnd(33), 2)}T${pad(rnd(26), 2)}:${pad(rnd(62), 2)}:${pad(rnd(62), 2)}.${pad(rnd(1000), 3)}Z`;
      const t = Date.parse(text);
      const roundTrip = Number.isNaN(t) ? null : new Date(t).toISOString();
      if (isCanonicalInstant(text)) expect(roundTrip).toBe(text);
      // what parseValue returns is the round trip, either way — unless the text names a day
      // that does not exist or an hour past 23, which Date.parse would roll over: an error
      const [y, m, d] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
      const real = m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate() && Number(text.slice(11, 13)) < 24;
      const p = parseValue(f, text);
      if (roundTrip === null || !real) expect(typeof p).toBe('object');
      else expect(p).toBe(roundTrip);
    }
    expect(isCanonicalInstant('2026-03-31T19:30:00.000Z')).toBe(true);
    expect(isCanonicalInstant('2026-02-30T00:00:00.000Z')).toBe(false);
    expect(isCanonicalInstant('2026-03-31T19:30:00Z')).toBe(false);
  });
});
