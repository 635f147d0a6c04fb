import crypto from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { closeKnex, connect } from '../../src/db/connect.js';
import { RULES } from '../../src/records/issues.js';
import { cases } from '../fixtures/rules/cases.js';
import { createTestDatabase } from '../helpers/pg.js';
import { ROOT, runCli, scratch } from '../helpers/cli.js';
import { targetFor } from '../helpers/targets.js';

// "Bad input gets a clear error and loses nothing": every rule's fixture imported through
// the binary into each database. An error is exit 3 with the rule's code at its line, and
// the database exactly as it was; a warning is exit 0 and reported.

const dir = path.join(ROOT, 'test', 'fixtures', 'rules');
let home: ReturnType<typeof scratch>;
beforeAll(() => {
  home = scratch();
});
afterAll(() => home.cleanup());

for (const dialect of ['pg', 'sqlite'] as const) {
  describe(`every rule code, imported into ${dialect}`, () => {
    let url: string;
    let drop = async () => {};
    const cli = (args: string[]) => runCli(['--db', url, ...args], { env: home.env });

    /** every row of both tables, hashed: "unchanged" means unchanged to the byte */
    async function fingerprint(): Promise<string> {
      const db = await connect(targetFor(url));
      try {
        const h = crypto.createHash('sha256');
        for (const t of ['agencies', 'services']) h.update(JSON.stringify(await db.knex(t).select('*').orderBy('code')));
        return h.digest('hex');
      } finally {
        await closeKnex(db.knex);
      }
    }

    beforeAll(async () => {
      if (dialect === 'pg') {
        const d = await createTestDatabase();
        url = d.url;
        drop = d.drop;
      } else url = `sqlite:${path.join(home.dir, `rules-${dialect}.sqlite`)}`;
      expect((await cli(['migrate', 'latest', '-q'])).code).toBe(0);
      const seeded = await cli(['import', 'agencies', path.join(dir, 'agencies.csv'), '-q']);
      expect(seeded.code, seeded.stderr).toBe(0);
    });
    afterAll(() => drop());

    for (const c of cases) {
      const errors = c.issues.filter(([code]) => RULES[code] === 'error');
      test(`${c.file}: ${errors.length ? 'exit 3, nothing written' : 'exit 0 with the warning'}`, async () => {
        // applications name services: theirs (of the abolished agency: AG-01 stays unused) are stored first
        if (c.entity === 'applications') expect((await cli(['import', 'services', path.join(dir, 'applications-services.csv'), '-q'])).code).toBe(0);
        const before = await fingerprint();
        const mode = errors.length ? 'insert' : 'upsert';
        const r = await cli(['import', c.entity, path.join(dir, c.file), '--mode', mode, '--json', ...(errors.length ? [] : ['--dry-run'])]);
        const doc = JSON.parse(r.stdout);
        const got = doc.issues.map((i: { code: string; line: number }) => `${i.code}@${i.line}`);
        for (const [code, line] of c.issues) expect(got, `${c.file}: ${code} at line ${line}`).toContain(`${code}@${line}`);
        if (errors.length) {
          expect(r.code).toBe(3);
          expect(doc.errors).toBeGreaterThanOrEqual(errors.length);
          expect(r.stderr).toMatch(/nothing was written|no record was written|wrote nothing/i);
        } else {
          expect(r.code, r.stderr).toBe(0);
          expect(doc.errors).toBe(0);
          expect(doc.warnings).toBeGreaterThanOrEqual(c.issues.length);
        }
        expect(await fingerprint()).toBe(before);
      });
    }

    test('key-exists: --mode insert of codes already stored, every line reported, exit 3, nothing written', async () => {
      const before = await fingerprint();
      const r = await cli(['import', 'agencies', path.join(dir, 'agencies.csv'), '--mode', 'insert', '--json']);
      expect(r.code).toBe(3);
      const doc = JSON.parse(r.stdout);
      const keyExists = doc.issues.filter((i: { code: string }) => i.code === 'key-exists');
      expect(keyExists.length).toBe(doc.records);
      expect(keyExists[0]).toMatchObject({ severity: 'error', line: 2, field: 'code' });
      expect(await fingerprint()).toBe(before);
    });

    test('unused-agency: validate db warns of an active agency with no service', async () => {
      const r = await cli(['validate', 'db', '--json']);
      const doc = JSON.parse(r.stdout);
      expect(doc.issues.some((i: { code: string; severity: string }) => i.code === 'unused-agency' && i.severity === 'warning')).toBe(true);
    });
  });
}
