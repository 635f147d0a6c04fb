import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { doctor } from '../../src/db/doctor.js';
import { importFile, ImportFailed } from '../../src/import/import.js';
import type { ImportOptions } from '../../src/import/types.js';
import { defineEntity, forgetEntity, type EntityName, type FieldDef } from '../../src/records/fields.js';
import type { Issue } from '../../src/records/issues.js';
import { validateFile } from '../../src/validate/validate-file.js';
import { agencyLookupFromDb, validateDb } from '../../src/records/validate-db.js';
import { AGENCY_HEADER, DIALECTS, agency, openTestDb, testEnv, writeFile, type TestDb } from '../fixtures/import/setup.js';

// An entity defined here only, in the test suite: its key, a unique field and a reference
// to agencies come from its definition alone, and import and validate report the same
// codes and lines for it on both databases (issue 14).

const WIDGETS = 'widgets' as EntityName;
const WIDGET_FIELDS: readonly FieldDef[] = [
  { name: 'code', type: 'identifier', required: true, unique: true, description: 'identifier of the widget' },
  { name: 'name_uz', type: 'text', required: true, maxLength: 100, freeText: true, description: 'name' },
  { name: 'serial', type: 'identifier', required: false, unique: true, description: 'serial number, once in the registry' },
  { name: 'agency_code', type: 'identifier', required: true, references: 'agencies', description: 'the agency that keeps it' },
  { name: 'status', type: 'enum', required: true, values: ['active', 'retired'], description: 'active or retired' },
  { name: 'updated_at', type: 'timestamp', required: false, managed: true, description: 'last change, set by the tool' },
];
const HEADER = 'code,name_uz,serial,agency_code,status';

beforeAll(() => {
  defineEntity({
    name: WIDGETS, table: 'test_widgets', noun: 'widget', fields: WIDGET_FIELDS, key: 'code', logged: false,
    modes: ['upsert', 'insert', 'replace'], rules: { statusField: 'status', activeStatus: 'active' },
    filters: ['--status', '--agency', '--changed-since'], agencyFilter: { field: 'agency_code' },
  });
});
afterAll(() => forgetEntity(WIDGETS));

const opts = (file: string, over: Partial<ImportOptions> = {}): ImportOptions => ({ entity: WIDGETS, path: file, mode: 'upsert', dryRun: false, maxErrors: 0, maxIssues: 1000, ...over });
const shape = (issues: readonly Issue[]) => issues.map((i) => [i.code, i.line, i.field, i.value, i.message]);

describe.each(DIALECTS)('an entity defined by a test, on %s', (dialect) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(dialect);
    await t.db.knex.schema.createTable('test_widgets', (tb) => {
      tb.string('code').primary();
      tb.string('name_uz').notNullable();
      tb.string('serial').unique();
      tb.string('agency_code').notNullable().references('code').inTable('agencies');
      tb.string('status').notNullable();
      tb.string('updated_at');
    });
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await t.db.knex('test_widgets').del();
    await t.clear();
    await importFile(t.db, { entity: 'agencies', path: writeFile(t.dir, 'agencies.csv', [AGENCY_HEADER, agency('MIN'), agency('OLD')]), mode: 'upsert', dryRun: false, maxErrors: 0, maxIssues: 1000 }, testEnv(t.dir));
  });

  const rows = async () => t.db.knex('test_widgets').select('code', 'name_uz', 'serial', 'agency_code', 'status').orderBy('code');
  const importIssues = async (file: string, over: Partial<ImportOptions> = {}) => {
    const err = await importFile(t.db, opts(file, over), testEnv(t.dir)).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ImportFailed);
    return (err as ImportFailed).report.issues;
  };
  const validateIssues = async (file: string) => (await validateFile({ entity: WIDGETS, path: file, agencyLookup: await agencyLookupFromDb(t.db) })).issues;

  test('a good file goes in, validate db finds nothing wrong with it, doctor counts it', async () => {
    const f = writeFile(t.dir, 'good.csv', [HEADER, 'W-1,Bir,SN-1,MIN,active', 'W-2,Ikki,,OLD,retired']);
    const r = await importFile(t.db, opts(f), testEnv(t.dir));
    expect([r.inserted, r.updated, r.errors]).toEqual([2, 0, 0]);
    expect(await rows()).toEqual([
      { code: 'W-1', name_uz: 'Bir', serial: 'SN-1', agency_code: 'MIN', status: 'active' },
      { code: 'W-2', name_uz: 'Ikki', serial: null, agency_code: 'OLD', status: 'retired' },
    ]);
    const db = await validateDb(t.db, { entities: [WIDGETS] });
    expect(db.issues).toEqual([]);
    expect(db.entities[WIDGETS]).toEqual({ records: 2, errors: 0, warnings: 0 });
    // doctor counts it after the built-in entities
    const { report } = await doctor(t.target);
    expect(report.counts).toEqual({ agencies: 2, services: 0, applications: 0, widgets: 2 });
  });

  test('a duplicate key, a duplicate unique value and an unknown reference: the same issues from import and validate, nothing written', async () => {
    const seed = writeFile(t.dir, 'seed.csv', [HEADER, 'W-9,Eski,SN-9,MIN,active']);
    await importFile(t.db, opts(seed), testEnv(t.dir));
    const before = await rows();
    const f = writeFile(t.dir, 'bad.csv', [
      HEADER,
      'W-1,Bir,SN-1,MIN,active',
      'W-2,Ikki,SN-1,MIN,active',
      'W-1,Uch,,MIN,active',
      'W-3,Tort,,NOPE,active',
    ]);
    const expected = [
      // in line order, the issues of one line in the order they were found
      ['duplicate-key', 2, 'code', 'W-1', 'code W-1 appears 2 times: lines 2, 4'],
      ['duplicate-key', 2, 'serial', 'SN-1', 'serial SN-1 appears 2 times: lines 2, 3'],
      ['duplicate-key', 3, 'serial', 'SN-1', 'serial SN-1 appears 2 times: lines 2, 3'],
      ['duplicate-key', 4, 'code', 'W-1', 'code W-1 appears 2 times: lines 2, 4'],
      ['unknown-reference', 5, 'agency_code', 'NOPE', 'agency NOPE does not exist'],
    ];
    expect(shape(await importIssues(f))).toEqual(expected);
    expect(shape(await validateIssues(f))).toEqual(expected);
    expect(await rows()).toEqual(before);
  });

  test('a unique value another stored record holds is an issue of the import (exit 3), not a constraint violation', async () => {
    await importFile(t.db, opts(writeFile(t.dir, 'seed.csv', [HEADER, 'W-9,Eski,SN-9,MIN,active'])), testEnv(t.dir));
    const before = await rows();
    const f = writeFile(t.dir, 'taken.csv', [HEADER, 'W-1,Bir,SN-9,MIN,active']);
    const err = await importFile(t.db, opts(f), testEnv(t.dir)).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ImportFailed);
    expect((err as ImportFailed).exitCode).toBe(3);
    expect(shape((err as ImportFailed).report.issues)).toEqual([
      ['duplicate-key', 2, 'serial', 'SN-9', 'serial SN-9 is already the serial of widget W-9 in the database'],
    ]);
    expect(await rows()).toEqual(before);
  });

  test('--mode insert: a stored key is key-exists on its line', async () => {
    await importFile(t.db, opts(writeFile(t.dir, 'seed.csv', [HEADER, 'W-9,Eski,SN-9,MIN,active'])), testEnv(t.dir));
    const before = await rows();
    const f = writeFile(t.dir, 'again.csv', [HEADER, 'W-1,Bir,,MIN,active', 'W-9,Yangi,SN-9,MIN,active']);
    expect(shape(await importIssues(f, { mode: 'insert' }))).toEqual([
      ['key-exists', 3, 'code', 'W-9', 'widget W-9 already exists in the database (--mode insert only adds new records)'],
    ]);
    expect(await rows()).toEqual(before);
  });

  test('replace deletes the widgets not in the file; --max-errors leaves out the one with an unknown agency', async () => {
    await importFile(t.db, opts(writeFile(t.dir, 'two.csv', [HEADER, 'W-1,Bir,,MIN,active', 'W-2,Ikki,,MIN,active'])), testEnv(t.dir));
    const r = await importFile(t.db, opts(writeFile(t.dir, 'one.csv', [HEADER, 'W-1,Bir,,MIN,active']), { mode: 'replace' }), testEnv(t.dir, { yes: true }));
    expect([r.deleted, r.unchanged, r.inserted]).toEqual([1, 1, 0]);
    const f = writeFile(t.dir, 'some-bad.csv', [HEADER, 'W-3,Uch,,NOPE,active', 'W-4,Tort,,OLD,active']);
    const r2 = await importFile(t.db, opts(f, { maxErrors: 1 }), testEnv(t.dir));
    expect([r2.inserted, r2.rejected]).toEqual([1, 1]);
    expect(shape(r2.issues)).toEqual([['unknown-reference', 2, 'agency_code', 'NOPE', 'agency NOPE does not exist']]);
    expect((await rows()).map((w) => w.code)).toEqual(['W-1', 'W-4']);
  });

  test('replacing agencies may not delete one a stored widget still names', async () => {
    await importFile(t.db, opts(writeFile(t.dir, 'seed.csv', [HEADER, 'W-9,Eski,,OLD,active'])), testEnv(t.dir));
    const f = writeFile(t.dir, 'only-min.csv', [AGENCY_HEADER, agency('MIN')]);
    const err = await importFile(t.db, { entity: 'agencies', path: f, mode: 'replace', dryRun: false, maxErrors: 0, maxIssues: 1000 }, testEnv(t.dir, { yes: true })).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ImportFailed);
    expect(shape((err as ImportFailed).report.issues)).toEqual([
      ['unknown-reference', null, 'agency_code', 'OLD', 'replace would delete agency OLD, still the agency_code of 1 widget (W-9); import those widgets elsewhere or keep the agency in the file'],
    ]);
    expect((await t.db.knex('agencies').select('code').orderBy('code')).map((r: { code: string }) => r.code)).toEqual(['MIN', 'OLD']);
  });
});
