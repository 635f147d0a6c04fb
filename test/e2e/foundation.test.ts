import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase } from '../helpers/pg.js';
import { ROOT, runCli, scratch } from '../helpers/cli.js';

// The built binary as a new user meets it: help, version, mistakes, the embedded default,
// PostgreSQL, an unreachable server, a bad config file, and refusing to destroy.

// every shipped migration, so that adding one does not break these tests
const SHIPPED = fs.readdirSync(path.join(ROOT, 'dist', 'migrations')).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3)).sort();

let home: ReturnType<typeof scratch>;
let pgdb: Awaited<ReturnType<typeof createTestDatabase>>;
let pgUrlWithPassword: string;
/** the server's own password when it has one (the embedded test server), else one trust ignores */
let secret: string;

beforeAll(async () => {
  home = scratch();
  pgdb = await createTestDatabase();
  const u = new URL(pgdb.url);
  secret = u.password ? decodeURIComponent(u.password) : 'pw-not-checked-under-trust';
  u.password = encodeURIComponent(secret);
  pgUrlWithPassword = u.toString();
});
afterAll(async () => {
  home.cleanup();
  await pgdb.drop();
});

describe('the program', () => {
  test('--help lists every command and the exit codes, on stdout, exit 0', async () => {
    const r = await runCli(['--help'], { env: home.env });
    expect(r.code).toBe(0);
    for (const c of ['doctor', 'config', 'migrate', 'import', 'validate', 'export', 'registry', 'db', 'audit']) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    for (const code of ['0', '1', '2', '3', '4', '5', '6', '130']) expect(r.stdout).toMatch(new RegExp(`^\\s+${code}  \\S`, 'm'));
    expect(r.stderr).toBe('');
  });
  test('every command has help with an example', async () => {
    for (const args of [['doctor'], ['config', 'show'], ['migrate', 'status'], ['migrate', 'latest'], ['migrate', 'up'], ['migrate', 'down'], ['migrate', 'rollback'], ['migrate', 'unlock']]) {
      const r = await runCli([...args, '--help'], { env: home.env });
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout, args.join(' ')).toMatch(/Examples:\n  egovctl /);
    }
  });
  test('--version', async () => {
    const r = await runCli(['--version'], { env: home.env });
    const pkg = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect(r.stdout.trim()).toBe(pkg.version);
    expect(r.code).toBe(0);
  });
  test('an unknown command exits 2 with a suggestion', async () => {
    const r = await runCli(['migrat', 'latest'], { env: home.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'migrat'");
    expect(r.stderr).toContain('migrate');
    expect(r.stdout).toBe('');
  });
  test('an unknown option exits 2 with a suggestion; with --json, one error document on stdout', async () => {
    const r = await runCli(['doctor', '--jsonn'], { env: home.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--jsonn'");
    expect(r.stderr).toContain('--json');
    const j = await runCli(['migrate', 'rollback', '--steps', 'x', '--json'], { env: home.env });
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout)).toMatchObject({ error: { exit_code: 2, kind: 'usage' } });
  });
  test('no command: help on stderr, exit 2', async () => {
    const r = await runCli([], { env: home.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: egovctl');
  });
});

describe('a new user with nothing configured: the embedded SQLite default', () => {
  test('migrate latest, then doctor', async () => {
    const m = await runCli(['migrate', 'latest'], { env: home.env });
    expect(m.stderr).toContain('applying 20261128000001_schema_v1');
    expect(m.code).toBe(0);
    expect(fs.existsSync(path.join(home.env.XDG_DATA_HOME!, 'egovctl', 'egovctl.sqlite'))).toBe(true);
    const d = await runCli(['doctor', '--json'], { env: home.env });
    expect(d.code).toBe(0);
    const doc = JSON.parse(d.stdout);
    expect(doc).toMatchObject({ target: 'embedded', reachable: true, pending: 0, modified: 0, locked: false, counts: { agencies: 0, services: 0 } });
    expect(doc.server_version).toMatch(/^SQLite 3\./);
    expect(doc.url).toBe(`sqlite:${path.join(home.env.XDG_DATA_HOME!, 'egovctl', 'egovctl.sqlite')}`);
  });
  test('migrate status --json', async () => {
    const r = await runCli(['migrate', 'status', '--json'], { env: home.env });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.pending).toBe(0);
    expect(doc.modified).toBe(0);
    expect(doc.migrations[0]).toMatchObject({ name: '20261128000001_schema_v1', state: 'applied', batch: 1 });
    expect(doc.migrations[0].applied_at).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
  test('--quiet leaves standard error empty on success', async () => {
    const r = await runCli(['migrate', 'latest', '--quiet'], { env: home.env });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
});

describe('PostgreSQL through --db', () => {
  test('migrate latest and doctor; the password never shows', async () => {
    const m = await runCli(['--db', pgUrlWithPassword, 'migrate', 'latest'], { env: home.env });
    expect(m.code).toBe(0);
    const d = await runCli(['--db', pgUrlWithPassword, 'doctor', '--json'], { env: home.env });
    expect(d.code).toBe(0);
    const doc = JSON.parse(d.stdout);
    expect(doc.reachable).toBe(true);
    expect(doc.server_version).toMatch(/^PostgreSQL \d+/);
    expect(doc.url).toContain(':***@');
    for (const out of [m.stdout, m.stderr, d.stdout, d.stderr]) expect(out).not.toContain(secret);
  });
  test('an audit row records the migration, without the password', async () => {
    const c = new pg.Client({ connectionString: pgdb.url });
    await c.connect();
    const r = await c.query(`select command, args, outcome, target from audit_log where command = 'migrate latest' order by id`);
    await c.end();
    expect(r.rows.length).toBeGreaterThanOrEqual(1);
    expect(r.rows[0]).toMatchObject({ command: 'migrate latest', outcome: 'ok' });
    expect(JSON.stringify(r.rows)).not.toContain(secret);
  });
  test('two migrate latest at once apply each migration exactly once', async () => {
    const fresh = await createTestDatabase();
    try {
      const runs = await Promise.all([1, 2, 3].map(() => runCli(['--db', fresh.url, 'migrate', 'latest', '--json'], { env: home.env })));
      for (const r of runs) expect([0, 6]).toContain(r.code);
      const applied = runs.filter((r) => r.code === 0).map((r) => JSON.parse(r.stdout).migrations.length);
      expect(applied.reduce((a, b) => a + b, 0)).toBe(SHIPPED.length);
      const c = new pg.Client({ connectionString: fresh.url });
      await c.connect();
      const rows = await c.query('select name from egovctl_migrations');
      await c.end();
      expect(rows.rows).toHaveLength(SHIPPED.length);
    } finally {
      await fresh.drop();
    }
  });
});

describe('SQLite: concurrent runs', () => {
  test('two migrate latest at once on one file apply each migration exactly once', async () => {
    const url = `sqlite:${path.join(home.dir, 'concurrent.sqlite')}`;
    const runs = await Promise.all([1, 2, 3].map(() => runCli(['--db', url, 'migrate', 'latest', '--json'], { env: home.env })));
    for (const r of runs) expect([0, 6], r.stderr).toContain(r.code);
    const applied = runs.filter((r) => r.code === 0).map((r) => JSON.parse(r.stdout).migrations.length);
    expect(applied.reduce((a, b) => a + b, 0)).toBe(SHIPPED.length);
    const st = await runCli(['--db', url, 'migrate', 'status', '--json'], { env: home.env });
    expect(JSON.parse(st.stdout).pending).toBe(0);
  });
});

describe('failures a sysadmin meets', () => {
  test('an unreachable server: exit 5, the target named, the password nowhere', async () => {
    const r = await runCli(['--db', 'postgres://egov:Sup3rSecret@127.0.0.1:1/registry', 'doctor'], { env: home.env });
    expect(r.code).toBe(5);
    expect(r.stdout).toContain('reachable       no');
    expect(r.stderr).toContain('postgres://egov:***@127.0.0.1:1/registry');
    expect(r.stderr).toContain('ECONNREFUSED');
    expect(r.stdout + r.stderr).not.toContain('Sup3rSecret');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace without --verbose
    const j = await runCli(['--db', 'postgres://egov:Sup3rSecret@127.0.0.1:1/registry', 'migrate', 'status', '--json'], { env: home.env });
    expect(j.code).toBe(5);
    expect(JSON.parse(j.stdout)).toMatchObject({ error: { exit_code: 5, kind: 'database' } });
    expect(j.stdout + j.stderr).not.toContain('Sup3rSecret');
  });
  test('a password from passwordEnv never shows either', async () => {
    const dir = path.join(home.dir, 'pwenv');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'egovctl.config.json'), JSON.stringify({ defaultTarget: 'down', targets: { down: { url: 'postgres://egov@127.0.0.1:1/registry', passwordEnv: 'DOWN_PW' } } }));
    const r = await runCli(['doctor', '--json'], { env: { ...home.env, DOWN_PW: 'EnvSecret99' }, cwd: dir });
    expect(r.code).toBe(5);
    expect(r.stdout + r.stderr).not.toContain('EnvSecret99');
    const s = await runCli(['config', 'show'], { env: { ...home.env, DOWN_PW: 'EnvSecret99' }, cwd: dir });
    expect(s.code).toBe(0);
    expect(s.stdout).toContain('DOWN_PW');
    expect(s.stdout).not.toContain('EnvSecret99');
  });
  test('a config file with two unknown keys names both, exit 2', async () => {
    const dir = path.join(home.dir, 'badcfg');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'egovctl.config.json'), JSON.stringify({ defaultTarget: 'a', targets: { a: { url: 'sqlite:a.sqlite', passwordenv: 'X' } }, retries: 3 }));
    const r = await runCli(['doctor'], { env: home.env, cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown key "retries"');
    expect(r.stderr).toContain('unknown key "passwordenv" (did you mean "passwordEnv"?)');
    expect(r.stdout).toBe('');
  });
  test('rollback --all with no terminal exits 4 and changes nothing; with --yes it undoes everything', async () => {
    const url = `sqlite:${path.join(home.dir, 'rollback.sqlite')}`;
    expect((await runCli(['--db', url, 'migrate', 'latest'], { env: home.env })).code).toBe(0);
    const refused = await runCli(['--db', url, 'migrate', 'rollback', '--all'], { env: home.env });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain(`About to undo ${SHIPPED.length} migration`);
    expect(refused.stderr).toContain('drops table agencies with 0 rows');
    expect(refused.stderr).toContain('pass --yes to proceed');
    let st = JSON.parse((await runCli(['--db', url, 'migrate', 'status', '--json'], { env: home.env })).stdout);
    expect(st.pending).toBe(0);
    const audit = await runCli(['--db', url, 'migrate', 'status'], { env: home.env });
    expect(audit.code).toBe(0);
    const dry = await runCli(['--db', url, 'migrate', 'rollback', '--all', '--dry-run'], { env: home.env });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/drop table if exists [`"]?audit_log/i);
    st = JSON.parse((await runCli(['--db', url, 'migrate', 'status', '--json'], { env: home.env })).stdout);
    expect(st.pending).toBe(0);
    const done = await runCli(['--db', url, 'migrate', 'rollback', '--all', '--yes'], { env: home.env });
    expect(done.code).toBe(0);
    st = JSON.parse((await runCli(['--db', url, 'migrate', 'status', '--json'], { env: home.env })).stdout);
    expect(st.pending).toBe(SHIPPED.length);
    expect(st.migrations[0].state).toBe('pending');
  });
  test('a command that needs the schema says to migrate (exit 6) on a fresh database', async () => {
    const url = `sqlite:${path.join(home.dir, 'fresh.sqlite')}`;
    const r = await runCli(['--db', url, 'doctor', '--json'], { env: home.env });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).pending).toBe(SHIPPED.length);
  });
});
