import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROOT, runCli, scratch } from '../helpers/cli.js';
import { openTestDb, seed, service, type TestDb } from '../helpers/registry-seed.js';

// Issue 13.10: say what happened — a failed import, a refused connection, a group command
// without its subcommand, `help <command> <subcommand>`, a near miss of a header, every
// problem of a config file in --json, and an export's progress bar.

let s: ReturnType<typeof scratch>;
beforeAll(() => {
  s = scratch();
});
afterAll(() => s?.cleanup());
const run = (args: string[]) => runCli(args, { env: s.env, cwd: s.dir });

test("a failed import's headline says it failed and that nothing was written", async () => {
  const db = ['--db', `sqlite:${path.join(s.dir, 'imp.sqlite')}`];
  await run([...db, '--quiet', 'migrate', 'latest']);
  await run([...db, '--quiet', 'import', 'agencies', path.join(ROOT, 'samples/agencies.csv')]);
  const r = await run([...db, 'import', 'services', path.join(ROOT, 'test/fixtures/import/bad-reference.csv')]);
  expect(r.code).toBe(3);
  const first = r.stdout.split('\n')[0]!;
  expect(first).toMatch(/^import of services from .*bad-reference\.csv into .* \(mode upsert\) FAILED: nothing was written$/);
  expect(first).not.toMatch(/^imported/);
  expect(r.stdout).toMatch(/nothing was written to .*: fix the errors above/);
  // the message of each issue is whole, wrapped within 80 columns
  expect(r.stdout).toMatch(/agency MINJUST does not\s+exist/);
});

test('a refused connection says what to check: the host and port tried, the server, --db; no password', async () => {
  const r = await run(['--db', 'postgres://bob:Secret9@127.0.0.1:1/registry', 'migrate', 'status']);
  expect(r.code).toBe(5);
  expect(r.stderr).toContain('nothing accepts connections at 127.0.0.1:1: is the PostgreSQL server up');
  expect(r.stderr).toContain('the URL postgres://bob:***@127.0.0.1:1/registry came from flag --db');
  expect(r.stdout + r.stderr).not.toContain('Secret9');
  const j = await run(['--db', 'postgres://bob:Secret9@127.0.0.1:1/registry', 'doctor', '--json']);
  expect(j.code).toBe(5);
  expect(JSON.parse(j.stdout).problems.join('\n')).toContain('is the PostgreSQL server up');
  expect(j.stdout).not.toContain('Secret9');
  const d = await run(['--db', 'postgres://bob:Secret9@127.0.0.1:1/registry', 'doctor']);
  expect(d.stderr).toMatch(/^error: cannot connect to target .*\n {2}- nothing accepts connections at 127\.0\.0\.1:1/m);
  const m = await run(['--db', 'postgres://bob:Secret9@127.0.0.1:1/registry', 'migrate', 'status', '--json']);
  expect(JSON.parse(m.stdout).error.problems).toHaveLength(2);
});

test('a group command without its subcommand prints help and exits 2; help migrate rollback is rollback\'s help', async () => {
  for (const group of ['migrate', 'registry', 'config', 'validate', 'db', 'audit']) {
    const r = await run([group]);
    expect(r.code, group).toBe(2);
    expect(r.stderr).toContain(`Usage: egovctl ${group} [options] [command]`);
    expect(r.stdout).toBe('');
  }
  const h = await run(['help', 'migrate', 'rollback']);
  expect(h.code).toBe(0);
  expect(h.stdout).toMatch(/^Usage: egovctl migrate rollback \[options\]/);
  expect(h.stdout).toContain('--steps <n>');
  expect((await run(['--no-color', 'help', 'registry', 'purge'])).stdout).toMatch(/^Usage: egovctl registry purge/);
  expect((await run(['help'])).code).toBe(0);
  expect((await run(['migrate', '--help'])).code).toBe(0);
});

test('an unknown header "agency" suggests agency_code', async () => {
  const file = path.join(s.dir, 'agency-header.csv');
  const [head, ...rest] = fs.readFileSync(path.join(ROOT, 'samples/services.csv'), 'utf8').split('\n');
  fs.writeFileSync(file, [head!.replace('agency_code', 'agency'), ...rest].join('\n'));
  const r = await run(['validate', 'file', 'services', file, '--json']);
  expect(r.code).toBe(3);
  const issue = JSON.parse(r.stdout).issues.find((i: { code: string }) => i.code === 'header-unknown-column');
  expect(issue.message).toContain('the closest known name is agency_code');
});

test('--json config show with a bad config file carries every problem', async () => {
  const dir = path.join(s.dir, 'badconf');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'egovctl.config.json'), JSON.stringify({
    defaultTarget: 'nowhere', colour: true, targets: { a: { url: 'mysql://x' }, 'b c': { url: 'sqlite:b.sqlite', passwrodEnv: 'X' } },
  }));
  const r = await runCli(['--json', 'config', 'show'], { env: s.env, cwd: dir });
  expect(r.code).toBe(2);
  const { error } = JSON.parse(r.stdout);
  expect(error.kind).toBe('usage');
  expect(error.problems.length).toBeGreaterThanOrEqual(4);
  expect(error.message).toMatch(/has \d+ problems:/);
  for (const p of error.problems) expect(error.message).toContain(p);
  expect(error.problems.join('\n')).toContain('unknown key "colour"');
  expect(error.problems.join('\n')).toContain('unknown key "passwrodEnv" (did you mean "passwordEnv"?)');
});

describe('the progress bar of an export', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb('sqlite');
    await seed(t.db, Array.from({ length: 6000 }, (_, i) => service(`P-${String(i).padStart(5, '0')}`, { description: i % 3 ? null : 'two\nlines' })));
  }, 60_000);
  afterAll(async () => t?.cleanup());

  async function exportWith(stdoutIsTTY: boolean): Promise<{ stdout: string; stderr: string; code: number }> {
    let stdout = '';
    let stderr = '';
    const out = Object.assign(new Writable({ write(c, _e, cb) { stdout += String(c); cb(); } }), { isTTY: stdoutIsTTY, columns: 100 });
    const err = Object.assign(new Writable({ write(c, _e, cb) { stderr += String(c); cb(); } }), { isTTY: true, columns: 100 });
    const { main } = (await import(pathToFileURL(path.join(ROOT, 'dist', 'commands', 'program.js')).href)) as typeof import('../../commands/program.js');
    const code = await main(['node', 'egovctl', '--db', t.url, '--no-color', 'export', 'services'], { stdout: out, stderr: err, env: t.env, cwd: t.env.HOME! });
    return { stdout, stderr, code };
  }

  test('no bar among data written to the same terminal; with data on a pipe, a bar that never overshoots', async () => {
    const onTerminal = await exportWith(true);
    expect(onTerminal.code).toBe(0);
    expect(onTerminal.stdout.split('\n').length).toBeGreaterThan(6000);
    expect(onTerminal.stderr).toBe('');
    const piped = await exportWith(false);
    expect(piped.code).toBe(0);
    const counts = [...piped.stderr.matchAll(/([\d,]+) records/g)].map((m) => Number(m[1]!.replace(/,/g, '')));
    expect(counts.length).toBeGreaterThan(0);
    for (const n of counts) expect(n).toBeLessThanOrEqual(6000);
    for (const m of piped.stderr.matchAll(/(\d+)% /g)) expect(Number(m[1])).toBeLessThanOrEqual(100);
  });
});

test('run from another directory, the user config file is found, and config show and doctor name it', async () => {
  const home = scratch();
  try {
    const xdg = path.join(home.dir, 'xdg');
    fs.mkdirSync(path.join(xdg, 'egovctl'), { recursive: true });
    const file = path.join(xdg, 'egovctl', 'config.json');
    fs.writeFileSync(file, JSON.stringify({ defaultTarget: 'mine', targets: { mine: { url: 'sqlite:mine.sqlite' } } }));
    const env = { ...home.env, XDG_CONFIG_HOME: xdg };
    const elsewhere = path.join(home.dir, 'elsewhere');
    fs.mkdirSync(elsewhere);
    const show = await runCli(['config', 'show', '--json'], { env, cwd: elsewhere });
    expect(JSON.parse(show.stdout)).toMatchObject({ config_file: { path: file, source: 'user config ($XDG_CONFIG_HOME/egovctl/config.json)' }, targets: [{ name: 'mine' }] });
    expect((await runCli(['config', 'show'], { env, cwd: elsewhere })).stdout).toContain(`config file\t${file}\t`);
    const doc = await runCli(['doctor', '--json'], { env, cwd: elsewhere });
    expect(JSON.parse(doc.stdout)).toMatchObject({ target: 'mine', config_file: { path: file } });
    expect((await runCli(['doctor'], { env, cwd: elsewhere })).stdout).toContain(`config file     ${file} (user config`);
  } finally {
    home.cleanup();
  }
});
