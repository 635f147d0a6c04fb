import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, test } from 'vitest';
import { ROOT, runCli, scratch } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/pg.js';

// `import applications` as a user runs it: the built binary on PostgreSQL and SQLite, with
// standard output, standard error and the exit code checked apart.

const s = scratch('egovctl-apps-in-');
const env = s.env;
const FX = path.join(ROOT, 'test', 'fixtures', 'applications');
const fx = (f: string) => path.join(FX, f);
const pgs: Array<Awaited<ReturnType<typeof createTestDatabase>>> = [];
let n = 0;

afterAll(async () => {
  for (const d of pgs) await d.drop();
  s.cleanup();
});

const cli = (url: string, args: string[], extra: string[] = []) => runCli([...extra, '--db', url, ...args], { env });

async function freshDb(dialect: string): Promise<string> {
  let url: string;
  if (dialect === 'pg') {
    const d = await createTestDatabase('egovctl_apps_in');
    pgs.push(d);
    url = d.url;
  } else url = `sqlite:${path.join(s.dir, `db${++n}.sqlite`)}`;
  for (const args of [['migrate', 'latest'], ['import', 'agencies', fx('agencies.csv')], ['import', 'services', fx('services.csv')]]) {
    const r = await cli(url, ['--quiet', ...args]);
    expect(r.code, r.stderr).toBe(0);
  }
  return url;
}

/** Rows of a query, straight from the database. */
async function query(url: string, sql: string): Promise<Array<Record<string, unknown>>> {
  if (url.startsWith('sqlite:')) {
    const db = new Database(url.slice('sqlite:'.length), { readonly: true });
    try {
      return db.prepare(sql).all() as Array<Record<string, unknown>>;
    } finally {
      db.close();
    }
  }
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows as Array<Record<string, unknown>>;
  } finally {
    await c.end();
  }
}

const count = async (url: string) => Number((await query(url, 'select count(*) as n from applications'))[0]!.n);
const dueOn = async (url: string, id: string) => {
  const v = (await query(url, `select due_on from applications where id = '${id}'`))[0]!.due_on;
  return v instanceof Date ? `${v.getFullYear()}-${String(v.getMonth() + 1).padStart(2, '0')}-${String(v.getDate()).padStart(2, '0')}` : String(v);
};

describe.each(['sqlite', 'pg'])('import applications on %s (built binary)', (dialect) => {
  test('a good file: exit 0, the report of SPEC §8, deadlines in Tashkent, an audit row, nothing in the registry log', async () => {
    const url = await freshDb(dialect);
    const logBefore = Number((await query(url, 'select count(*) as n from registry_log_entries'))[0]!.n);
    const r = await cli(url, ['--json', 'import', 'applications', fx('applications.csv')]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(doc.source).toBe(fx('applications.csv'));
    expect(doc).toMatchObject({ entity: 'applications', mode: 'upsert', dry_run: false, records: 4, inserted: 4, updated: 0, unchanged: 0, deleted: 0, rejected: 0, errors: 0, warnings: 0, issues: [] });
    expect(typeof doc.duration_ms).toBe('number');
    expect(await dueOn(url, '2026/0001')).toBe('2026-04-06'); // 19:30Z is 00:30 on 04-01 in Tashkent, + 5 days
    expect(await dueOn(url, '2026/0002')).toBe('2026-03-10'); // given
    expect(await dueOn(url, '2026/0003')).toBe('2026-02-14'); // 0 days
    expect(Number((await query(url, 'select count(*) as n from registry_log_entries'))[0]!.n)).toBe(logBefore);
    const audit = await cli(url, ['--json', 'audit', 'list', '--limit', '1']);
    expect(audit.code, audit.stderr).toBe(0);
    const [row] = JSON.parse(audit.stdout) as Array<{ command: string; args: string[]; outcome: string; counts: Record<string, unknown> }>;
    expect(row).toMatchObject({ command: 'import', outcome: 'ok', counts: { entity: 'applications', inserted: 4 } });
    expect(row!.args.slice(0, 1)).toEqual(['applications']);
    // again: unchanged
    const again = await cli(url, ['--json', 'import', 'applications', fx('applications.csv')]);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ inserted: 0, updated: 0, unchanged: 4 });
  });

  test('bad references and a duplicate id: exit 3, every line reported, nothing written', async () => {
    const url = await freshDb(dialect);
    const r = await cli(url, ['--json', 'import', 'applications', fx('bad-references.csv')]);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout) as { errors: number; inserted: number; issues: Array<{ code: string; line: number; field: string }> };
    expect(doc.issues.map((i) => [i.code, i.line, i.field]).sort()).toEqual([
      ['duplicate-key', 2, 'id'], ['duplicate-key', 5, 'id'], ['unknown-reference', 3, 'service_code'], ['unknown-reference', 4, 'handled_by'],
    ]);
    expect(doc.inserted).toBe(0);
    expect(r.stderr).not.toMatch(/internal error/i);
    expect(await count(url)).toBe(0);
    // the human form says nothing was written
    const human = await cli(url, ['import', 'applications', fx('bad-references.csv')]);
    expect(human.code).toBe(3);
    expect(human.stdout).toMatch(/FAILED: nothing was written/);
    expect(human.stdout).toMatch(/service NO-SUCH does/);
  });

  test('record rules: each code at its line, exit 3, nothing written', async () => {
    const url = await freshDb(dialect);
    const r = await cli(url, ['--json', 'import', 'applications', fx('bad-rules.csv')]);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout) as { issues: Array<{ code: string; line: number; field: string }> };
    expect(doc.issues.map((i) => [i.code, i.line, i.field])).toEqual([
      ['pattern-mismatch', 2, 'id'], ['enum-mismatch', 3, 'audience'], ['out-of-range', 4, 'submitted_at'],
      ['date-order', 5, 'decided_at'], ['date-order', 6, 'decided_at'], ['missing-value', 7, 'decided_at'], ['type-error', 8, 'submitted_at'],
    ]);
    expect(await count(url)).toBe(0);
  });

  test('--mode insert over a stored id is key-exists (exit 3); --mode replace is a usage error (exit 2)', async () => {
    const url = await freshDb(dialect);
    expect((await cli(url, ['--quiet', 'import', 'applications', fx('applications.csv')])).code).toBe(0);
    const ins = await cli(url, ['--json', 'import', 'applications', fx('applications.csv'), '--mode', 'insert']);
    expect(ins.code).toBe(3);
    expect((JSON.parse(ins.stdout) as { issues: Array<{ code: string; line: number }> }).issues.map((i) => [i.code, i.line])).toEqual([['key-exists', 2], ['key-exists', 3], ['key-exists', 4], ['key-exists', 5]]);
    const rep = await cli(url, ['import', 'applications', fx('applications.csv'), '--mode', 'replace', '--yes']);
    expect(rep.code).toBe(2);
    expect(rep.stdout).toBe('');
    expect(rep.stderr).toMatch(/import applications takes --mode upsert or insert, not replace/);
    expect(await count(url)).toBe(4);
  });

  test("warnings do not stop the import; the config file's timeZone counts the deadlines", async () => {
    const url = await freshDb(dialect);
    const w = await cli(url, ['--json', 'import', 'applications', fx('warnings.csv')]);
    expect(w.code, w.stderr).toBe(0);
    expect((JSON.parse(w.stdout) as { warnings: number; issues: Array<{ code: string; line: number }> }).issues.map((i) => [i.code, i.line])).toEqual([['audience-mismatch', 2], ['channel-mismatch', 3]]);
    const config = path.join(s.dir, `utc-${dialect}.json`);
    fs.writeFileSync(config, JSON.stringify({ timeZone: 'UTC' }));
    const r = await cli(url, ['--quiet', 'import', 'applications', fx('applications.csv')], ['--config', config]);
    expect(r.code, r.stderr).toBe(0);
    expect(await dueOn(url, '2026/0001')).toBe('2026-04-05');
  });
});

test('import --help names applications and has an example of them', async () => {
  const r = await runCli(['import', '--help'], { env });
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/egovctl import applications applications\.csv/);
  expect(r.stdout).toMatch(/timeZone/);
});
