import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase } from '../helpers/pg.js';
import { ROOT, runCli, scratch } from '../helpers/cli.js';
import { connect, closeKnex } from '../../src/db/connect.js';
import { targetFor } from '../helpers/targets.js';

// `validate file` and `validate db` through the built binary, as a clerk or a cron job
// meets them: exit 0 or 3, a table or the JSON report of SPEC §3.

const samples = path.join(ROOT, 'samples');
let home: ReturnType<typeof scratch>;
beforeAll(() => {
  home = scratch();
});
afterAll(() => home.cleanup());

const cli = (args: string[], input?: string | Buffer) => runCli(args, { env: home.env, ...(input !== undefined ? { input } : {}) });

describe('validate file', () => {
  test('the samples are valid: exit 0, the JSON report of SPEC §3', async () => {
    const r = await cli(['validate', 'file', 'services', path.join(samples, 'services.csv'), '--agencies', path.join(samples, 'agencies.csv'), '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toEqual({ valid: true, entity: 'services', source: path.join(samples, 'services.csv'), records: 22, errors: 0, warnings: 0, truncated: false, issues: [] });
  });

  test('a services file naming an agency the agencies file lacks: unknown-reference with its line, exit 3', async () => {
    const file = path.join(home.dir, 'orphan.csv');
    const lines = fs.readFileSync(path.join(samples, 'services.csv'), 'utf8').split('\n');
    // the 6th record starts on line 8 (the first record spans two lines)
    const at = lines.findIndex((l) => l.startsWith('CIT-0003'));
    lines[at] = lines[at]!.replace('CIT-0003,DXM,', 'CIT-0003,NOSUCH,');
    fs.writeFileSync(file, lines.join('\n'));
    const r = await cli(['validate', 'file', 'services', file, '--agencies', path.join(samples, 'agencies.csv'), '--json']);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(doc.valid).toBe(false);
    expect(doc.errors).toBe(1);
    expect(doc.issues).toEqual([{ severity: 'error', code: 'unknown-reference', line: at + 1, key: 'CIT-0003', field: 'agency_code', value: 'NOSUCH', message: 'agency NOSUCH does not exist' }]);
    const human = await cli(['validate', 'file', 'services', file, '--agencies', path.join(samples, 'agencies.csv')]);
    expect(human.code).toBe(3);
    expect(human.stdout).toContain('unknown-reference');
    expect(human.stdout).toContain('not valid');
  });

  test('standard input with --format', async () => {
    const r = await cli(['validate', 'file', 'agencies', '-', '--format', 'csv', '--json'], fs.readFileSync(path.join(samples, 'agencies.csv')));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, source: 'stdin', records: 12 });
    const noFormat = await cli(['validate', 'file', 'agencies', '-'], 'x');
    expect(noFormat.code).toBe(2);
  });

  test('a Windows-1251 file from an office program: valid with --encoding cp1251; without it, encoding-error with the line', async () => {
    const text = fs.readFileSync(path.join(samples, 'agencies.csv'), 'utf8').replace(/ʻ/g, "'").replace(/—/g, '-');
    const file = path.join(home.dir, 'agencies-1251.csv');
    fs.writeFileSync(file, iconv.encode(text.replace(/\n/g, '\r\n'), 'cp1251'));
    const ok = await cli(['validate', 'file', 'agencies', file, '--encoding', 'cp1251', '--delimiter', ',', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ valid: true, records: 12 });
    const bad = await cli(['validate', 'file', 'agencies', file, '--json']);
    expect(bad.code).toBe(3);
    const doc = JSON.parse(bad.stdout);
    expect(doc.issues[0]).toMatchObject({ code: 'encoding-error', line: 2 });
    expect(bad.stdout).not.toMatch(/Ð|Ñ|�/);
  });

  test('--strict makes warnings fail; --max-issues caps the list but not the counts', async () => {
    const file = path.join(home.dir, 'warn.csv');
    const head = 'code,name_uz,kind,region,status\n';
    fs.writeFileSync(file, head + Array.from({ length: 5 }, (_, i) => `AG-${i},=Nom ${i},agency,UZ,active`).join('\n'));
    const lax = await cli(['validate', 'file', 'agencies', file, '--json']);
    expect(lax.code).toBe(0);
    expect(JSON.parse(lax.stdout)).toMatchObject({ valid: true, errors: 0, warnings: 10 });
    const strict = await cli(['validate', 'file', 'agencies', file, '--strict', '--max-issues', '3', '--json']);
    expect(strict.code).toBe(3);
    const doc = JSON.parse(strict.stdout);
    expect(doc).toMatchObject({ valid: false, warnings: 10, truncated: true });
    expect(doc.issues).toHaveLength(3);
  });

  test('an unknown entity or option is a usage error', async () => {
    expect((await cli(['validate', 'file', 'agency', path.join(samples, 'agencies.csv')])).code).toBe(2);
    expect((await cli(['validate', 'file', 'agencies', path.join(samples, 'agencies.csv'), '--delimiter', '|'])).code).toBe(2);
  });
});

for (const dialect of ['pg', 'sqlite'] as const) {
  describe(`validate db on ${dialect}`, () => {
    let url: string;
    let drop = async () => {};
    beforeAll(async () => {
      if (dialect === 'pg') {
        const d = await createTestDatabase();
        url = d.url;
        drop = d.drop;
      } else url = `sqlite:${path.join(home.dir, 'validate-db.sqlite')}`;
      expect((await cli(['--db', url, 'migrate', 'latest'])).code).toBe(0);
      expect((await cli(['--db', url, 'import', 'agencies', path.join(samples, 'agencies.csv')])).code).toBe(0);
      expect((await cli(['--db', url, 'import', 'services', path.join(samples, 'services.csv')])).code).toBe(0);
    });
    afterAll(() => drop());

    test('the samples: valid, with the unused-agency warnings', async () => {
      const r = await cli(['--db', url, 'validate', 'db', '--json']);
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc).toMatchObject({ valid: true, records: 34, errors: 0, warnings: 2, entities: { agencies: { records: 12 }, services: { records: 22 } } });
      expect(doc.issues.map((i: { code: string; key: string }) => `${i.code} ${i.key}`)).toEqual(['unused-agency DXM-SA', 'unused-agency MF']);
      expect(doc.issues[0]).toMatchObject({ line: null, entity: 'agencies', severity: 'warning' });
      const strict = await cli(['--db', url, 'validate', 'db', '--strict']);
      expect(strict.code).toBe(3);
    });

    test('what the schema cannot stop: a parent cycle, an expired active service, an abolished authority', async () => {
      const db = await connect(targetFor(url));
      try {
        await db.knex('agencies').where({ code: 'MJ' }).update({ parent_code: 'DXM' });
        await db.knex('services').where({ code: 'JUS-0001' }).update({ effective_to: '2024-01-31' });
        await db.knex('agencies').where({ code: 'MIIT' }).update({ status: 'abolished' });
      } finally {
        await closeKnex(db.knex);
      }
      const r = await cli(['--db', url, 'validate', 'db', '--json']);
      expect(r.code).toBe(3);
      const doc = JSON.parse(r.stdout);
      const found = doc.issues.map((i: { code: string; key: string; field: string }) => `${i.code} ${i.key} ${i.field}`);
      expect(found).toContain('hierarchy-cycle MJ parent_code');
      expect(found).toContain('hierarchy-cycle DXM parent_code');
      expect(found).toContain('expired-but-active JUS-0001 effective_to');
      expect(found).toContain('inactive-authority GOV-0001 agency_code');
      const only = await cli(['--db', url, 'validate', 'db', '--entity', 'services', '--json']);
      expect(JSON.parse(only.stdout)).toMatchObject({ entity: 'services', records: 22, errors: 0 });
    });
  });
}
