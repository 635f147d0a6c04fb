import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase } from '../helpers/pg.js';
import { ROOT, runCli, scratch } from '../helpers/cli.js';

// An operations centre's cron line over many agency databases: two PostgreSQL databases,
// one SQLite file and one unreachable server, each isolated and each reported.

// every shipped migration, so that adding one does not break these tests
const SHIPPED = fs.readdirSync(path.join(ROOT, 'dist', 'migrations')).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3)).sort();

let home: ReturnType<typeof scratch>;
let a: Awaited<ReturnType<typeof createTestDatabase>>;
let b: Awaited<ReturnType<typeof createTestDatabase>>;
let cwd: string;
/** the password passwordEnv hands over: the server's own when it has one, else one trust ignores */
let tashkentPw = 'TashkentSecret1';

beforeAll(async () => {
  home = scratch();
  a = await createTestDatabase();
  b = await createTestDatabase();
  cwd = path.join(home.dir, 'ops');
  fs.mkdirSync(cwd);
  const withPassword = (url: string) => {
    const u = new URL(url);
    if (u.password) tashkentPw = decodeURIComponent(u.password);
    u.password = '';
    return u.toString();
  };
  fs.writeFileSync(path.join(cwd, 'egovctl.config.json'), JSON.stringify({
    defaultTarget: 'tashkent',
    targets: {
      tashkent: { url: withPassword(a.url), passwordEnv: 'TASHKENT_PW' },
      samarqand: { url: b.url },
      local: { url: 'sqlite:local.sqlite' },
      down: { url: 'postgres://ops@127.0.0.1:1/registry', passwordEnv: 'DOWN_PW' },
    },
  }));
});
afterAll(async () => {
  await a.drop();
  await b.drop();
  home.cleanup();
});

const env = () => ({ ...home.env, TASHKENT_PW: tashkentPw, DOWN_PW: 'DownSecret22' });

describe('--target and --all-targets', () => {
  test('migrate latest on three targets at once; the JSON has one entry per target', async () => {
    const r = await runCli(['--target', 'tashkent,samarqand,local', 'migrate', 'latest', '--json'], { env: env(), cwd });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.targets.map((t: { target: string }) => t.target)).toEqual(['tashkent', 'samarqand', 'local']);
    for (const t of doc.targets) expect(t).toMatchObject({ ok: true, exit_code: 0, result: { migrations: SHIPPED } });
    expect(fs.existsSync(path.join(cwd, 'local.sqlite'))).toBe(true);
  });

  test('doctor --all-targets: three healthy, one unreachable, exit 5, no secret anywhere', async () => {
    const r = await runCli(['--all-targets', 'doctor', '--json'], { env: env(), cwd });
    expect(r.code).toBe(5);
    const doc = JSON.parse(r.stdout);
    const by = Object.fromEntries(doc.targets.map((t: { target: string }) => [t.target, t]));
    for (const name of ['tashkent', 'samarqand', 'local']) {
      expect(by[name]).toMatchObject({ ok: true, exit_code: 0, result: { reachable: true, pending: 0 } });
    }
    expect(by.down).toMatchObject({ ok: false, exit_code: 5, result: { reachable: false } });
    for (const s of [tashkentPw, 'DownSecret22']) expect(r.stdout + r.stderr).not.toContain(s);
  });

  test('the human form: a line per target and a summary table', async () => {
    const r = await runCli(['--all-targets', 'doctor'], { env: env(), cwd });
    expect(r.code).toBe(5);
    expect(r.stdout).toMatch(/== target tashkent .*: ok/);
    expect(r.stdout).toMatch(/== target down .*: exit 5/);
    expect(r.stdout).toMatch(/^down\s+no\s+5\s/m);
    expect(r.stdout + r.stderr).not.toContain('DownSecret22');
  });

  test('--concurrency 1 --fail-fast stops after the first failure', async () => {
    const r = await runCli(['--target', 'down,tashkent', '--concurrency', '1', '--fail-fast', 'migrate', 'status', '--json'], { env: env(), cwd });
    expect(r.code).toBe(5);
    const doc = JSON.parse(r.stdout);
    expect(doc.targets[0]).toMatchObject({ target: 'down', ok: false, exit_code: 5, error: { kind: 'database' } });
    expect(doc.targets[1]).toMatchObject({ target: 'tashkent', ok: false, error: { kind: 'skipped' } });
  });

  test('a destructive command takes exactly one target (exit 2)', async () => {
    const r = await runCli(['--all-targets', 'migrate', 'rollback', '--yes'], { env: env(), cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('works on exactly one target');
  });

  test('an unknown target name is a usage error that lists the known ones', async () => {
    const r = await runCli(['--target', 'bukhara', 'doctor'], { env: env(), cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown target bukhara');
    expect(r.stderr).toContain('tashkent, samarqand, local, down');
  });

  test('export --all-targets writes one atomic file and manifest per target from {target} and {date}', async () => {
    const samples = path.join(ROOT, 'samples');
    fs.mkdirSync(path.join(cwd, 'out'), { recursive: true });
    expect((await runCli(['--target', 'tashkent,samarqand,local', 'migrate', 'latest', '-q'], { env: env(), cwd })).code).toBe(0);
    for (const t of ['tashkent', 'local']) {
      expect((await runCli(['--target', t, 'import', 'agencies', path.join(samples, 'agencies.csv'), '-q'], { env: env(), cwd })).code).toBe(0);
      expect((await runCli(['--target', t, 'import', 'services', path.join(samples, 'services.csv'), '-q'], { env: env(), cwd })).code).toBe(0);
    }
    const r = await runCli(['--all-targets', 'export', 'services', '--out', 'out/{target}-services-{date}.csv', '--manifest', '--json'], { env: env(), cwd });
    expect(r.code).toBe(5);
    const doc = JSON.parse(r.stdout);
    const date = new Date().toISOString().slice(0, 10);
    const by = Object.fromEntries(doc.targets.map((t: { target: string }) => [t.target, t]));
    expect(by.tashkent).toMatchObject({ ok: true, result: { rows: 22, out: path.join(cwd, 'out', `tashkent-services-${date}.csv`) } });
    expect(by.local).toMatchObject({ ok: true, result: { rows: 22 } });
    expect(by.samarqand).toMatchObject({ ok: true, result: { rows: 0 } });
    expect(by.down).toMatchObject({ ok: false, exit_code: 5 });
    const files = fs.readdirSync(path.join(cwd, 'out')).sort();
    expect(files).toEqual([
      `local-services-${date}.csv`, `local-services-${date}.csv.manifest.json`,
      `samarqand-services-${date}.csv`, `samarqand-services-${date}.csv.manifest.json`,
      `tashkent-services-${date}.csv`, `tashkent-services-${date}.csv.manifest.json`,
    ]);
    // the same data in PostgreSQL and SQLite exports the same bytes but for updated_at
    const strip = (f: string) => fs.readFileSync(path.join(cwd, 'out', f), 'utf8').replace(/,\d{4}-\d\d-\d\dT[\d:.]+Z$/gm, '');
    expect(strip(`tashkent-services-${date}.csv`)).toBe(strip(`local-services-${date}.csv`));
    expect(r.stdout + r.stderr).not.toContain('DownSecret22');
  });

  test('several targets without {target} in --out is a usage error', async () => {
    const r = await runCli(['--all-targets', 'export', 'services', '--out', 'all.csv'], { env: env(), cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('{target}');
    const stdout = await runCli(['--target', 'tashkent,local', 'export', 'services'], { env: env(), cwd });
    expect(stdout.code).toBe(2);
  });

  test('validate db and audit list over several targets', async () => {
    expect((await runCli(['--target', 'tashkent,local,samarqand', 'migrate', 'latest', '-q'], { env: env(), cwd })).code).toBe(0);
    for (const t of ['tashkent', 'local']) {
      expect((await runCli(['--target', t, 'import', 'agencies', path.join(ROOT, 'samples', 'agencies.csv'), '-q'], { env: env(), cwd })).code).toBe(0);
      expect((await runCli(['--target', t, 'import', 'services', path.join(ROOT, 'samples', 'services.csv'), '-q'], { env: env(), cwd })).code).toBe(0);
    }
    const v = await runCli(['--target', 'tashkent,local,samarqand', 'validate', 'db', '--json'], { env: env(), cwd });
    expect(v.code).toBe(0);
    const vd = JSON.parse(v.stdout);
    expect(vd.targets.map((t: { result: { records: number } }) => t.result.records)).toEqual([34, 34, 0]);
    const a = await runCli(['--target', 'tashkent,local', 'audit', 'list', '--limit', '3', '--json'], { env: env(), cwd });
    expect(a.code).toBe(0);
    const ad = JSON.parse(a.stdout);
    for (const t of ad.targets) {
      expect(t.ok).toBe(true);
      expect(t.result).toHaveLength(3);
      expect(t.result[0]).toMatchObject({ command: 'import', args: ['services', path.join(ROOT, 'samples', 'services.csv'), '-q'], outcome: 'ok' });
    }
    expect(a.stdout).not.toContain(tashkentPw);
  });

  test('import takes exactly one target', async () => {
    const r = await runCli(['--target', 'tashkent,local', 'import', 'agencies', path.join(ROOT, 'samples', 'agencies.csv')], { env: env(), cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('exactly one target');
  });
});
