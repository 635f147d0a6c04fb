import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ROOT, runCli, scratch } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/pg.js';

// `validate file applications` as a user runs it: against files of services and agencies,
// and against the database (--with-db), with the same codes and lines as the import.

const s = scratch('egovctl-apps-val-');
const env = s.env;
const FX = path.join(ROOT, 'test', 'fixtures', 'applications');
const fx = (f: string) => path.join(FX, f);
let db: Awaited<ReturnType<typeof createTestDatabase>> | null = null;

afterAll(async () => {
  await db?.drop();
  s.cleanup();
});

type Doc = { valid: boolean; entity: string; records: number; errors: number; warnings: number; issues: Array<{ code: string; line: number; field: string; severity: string }> };
const refs = ['--services', fx('services.csv'), '--agencies', fx('agencies.csv')];
const pairs = (d: Doc) => d.issues.map((i) => [i.code, i.line, i.field]).sort();

describe('validate file applications (built binary)', () => {
  test('a good file against files of services and agencies: exit 0, nothing on standard error', async () => {
    const r = await runCli(['validate', 'file', 'applications', fx('applications.csv'), ...refs, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, entity: 'applications', records: 4, errors: 0, warnings: 0 });
  });

  test('bad references and a duplicate id: exit 3 with each line', async () => {
    const r = await runCli(['validate', 'file', 'applications', fx('bad-references.csv'), ...refs, '--json'], { env });
    expect(r.code).toBe(3);
    expect(pairs(JSON.parse(r.stdout) as Doc)).toEqual([
      ['duplicate-key', 2, 'id'], ['duplicate-key', 5, 'id'], ['unknown-reference', 3, 'service_code'], ['unknown-reference', 4, 'handled_by'],
    ]);
    // without the files, references are not checked; the duplicate still is
    const bare = await runCli(['validate', 'file', 'applications', fx('bad-references.csv'), '--json'], { env });
    expect(bare.code).toBe(3);
    expect(pairs(JSON.parse(bare.stdout) as Doc)).toEqual([['duplicate-key', 2, 'id'], ['duplicate-key', 5, 'id']]);
  });

  test('record rules: each code at its line', async () => {
    const r = await runCli(['validate', 'file', 'applications', fx('bad-rules.csv'), '--json'], { env });
    expect(r.code).toBe(3);
    expect((JSON.parse(r.stdout) as Doc).issues.map((i) => [i.code, i.line, i.field])).toEqual([
      ['pattern-mismatch', 2, 'id'], ['enum-mismatch', 3, 'audience'], ['out-of-range', 4, 'submitted_at'],
      ['date-order', 5, 'decided_at'], ['date-order', 6, 'decided_at'], ['missing-value', 7, 'decided_at'], ['type-error', 8, 'submitted_at'],
    ]);
  });

  test('audience-mismatch and channel-mismatch are warnings: exit 0, and 3 with --strict', async () => {
    const r = await runCli(['validate', 'file', 'applications', fx('warnings.csv'), ...refs, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as Doc;
    expect(doc.issues.map((i) => [i.severity, i.code, i.line])).toEqual([['warning', 'audience-mismatch', 2], ['warning', 'channel-mismatch', 3]]);
    const strict = await runCli(['validate', 'file', 'applications', fx('warnings.csv'), ...refs, '--strict'], { env });
    expect(strict.code).toBe(3);
    expect(strict.stdout).toMatch(/channel-mismatch/);
    expect(strict.stdout).toMatch(/not valid — 2 records: 0 errors, 2 warnings/);
  });

  test('--with-db resolves against the stored services and agencies, as the import does', async () => {
    db = await createTestDatabase('egovctl_apps_val');
    for (const args of [['migrate', 'latest'], ['import', 'agencies', fx('agencies.csv')], ['import', 'services', fx('services.csv')]]) {
      const m = await runCli(['--db', db.url, '--quiet', ...args], { env });
      expect(m.code, m.stderr).toBe(0);
    }
    const v = await runCli(['--db', db.url, 'validate', 'file', 'applications', fx('bad-references.csv'), '--with-db', '--json'], { env });
    expect(v.code).toBe(3);
    const imp = await runCli(['--db', db.url, 'import', 'applications', fx('bad-references.csv'), '--json'], { env });
    expect(imp.code).toBe(3);
    expect(pairs(JSON.parse(v.stdout) as Doc)).toEqual(pairs(JSON.parse(imp.stdout) as Doc));
    const w = await runCli(['--db', db.url, 'validate', 'file', 'applications', fx('warnings.csv'), '--with-db', '--json'], { env });
    expect(w.code).toBe(0);
    expect((JSON.parse(w.stdout) as Doc).warnings).toBe(2);
  });

  test('--services on another entity is a usage error; --help has an example for applications', async () => {
    const r = await runCli(['validate', 'file', 'services', fx('services.csv'), '--services', fx('services.csv')], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--services is for validate file applications/);
    const h = await runCli(['validate', 'file', '--help'], { env });
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/egovctl validate file applications applications\.csv --services reg\.csv/);
  });

  test('an unusable services file is an error that says so, not an internal error', async () => {
    const r = await runCli(['validate', 'file', 'applications', fx('applications.csv'), '--services', fx('agencies.csv')], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/the services file .* cannot be used to resolve references/);
  });
});
