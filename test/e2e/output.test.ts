import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROOT, runCli, scratch } from '../helpers/cli.js';
import { runPty, stripAnsi } from '../helpers/pty.js';
import { openTestDb, seed, service, type TestDb } from '../helpers/registry-seed.js';

// Issue 13.6–13.8: a cron run is silent, colour is decided per stream, tables fit the
// terminal and list commands print tab-separated lines into a pipe.

// eslint-disable-next-line no-control-regex
const SGR = /\x1b\[[0-9;]*m/;
const SAMPLES = path.join(ROOT, 'samples');

let dbs: TestDb[];
let home: ReturnType<typeof scratch>;
let cwd: string;

beforeAll(async () => {
  dbs = [await openTestDb('sqlite'), await openTestDb('pg'), await openTestDb('sqlite')];
  const long = 'Ҳужжатларни электрон шаклда қабул қилиш ва уларни кўриб чиқиш бўйича узоқ номли давлат хизмати';
  for (const t of dbs) await seed(t.db, [service('L-001', { name_uz: long }), service('L-002'), service('L-003')]);
  home = scratch();
  cwd = path.join(home.dir, 'ops');
  fs.mkdirSync(cwd);
  fs.writeFileSync(path.join(cwd, 'egovctl.config.json'), JSON.stringify({
    targets: { alpha: { url: dbs[0]!.url }, beta: { url: dbs[1]!.url }, gamma: { url: dbs[2]!.url } },
  }));
}, 60_000);
afterAll(async () => {
  for (const t of dbs ?? []) await t.cleanup();
  home?.cleanup();
});

describe('--quiet', () => {
  test("the README's cron line is silent on success, over three targets (sqlite and PostgreSQL)", async () => {
    const out = path.join(home.dir, 'export');
    const args = ['--all-targets', '--quiet', 'export', 'services', '--out', `${out}/{target}-services-{date}.csv.gz`, '--manifest'];
    fs.mkdirSync(out, { recursive: true });
    const r = await runCli(args, { env: home.env, cwd });
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const files = fs.readdirSync(out).sort();
    expect(files).toHaveLength(6);
    expect(files.filter((f) => f.endsWith('.manifest.json')).map((f) => f.split('-')[0])).toEqual(['alpha', 'beta', 'gamma']);
    // without --quiet the same run reports (so the silence above is --quiet's doing)
    const loud = await runCli(args.filter((a) => a !== '--quiet'), { env: home.env, cwd });
    expect(loud.code).toBe(0);
    expect(loud.stdout).toContain('== target beta');
    // --json still gives its document
    const json = await runCli(['--json', ...args], { env: home.env, cwd });
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout).targets).toHaveLength(3);
  });

  test('import, migrate latest and validate print no report; a failure still says so', async () => {
    const s = scratch();
    try {
      const db = ['--db', `sqlite:${path.join(s.dir, 'q.sqlite')}`];
      const run = (args: string[]) => runCli([...db, '--quiet', ...args], { env: s.env, cwd: s.dir });
      expect(await run(['migrate', 'latest'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
      expect(await run(['import', 'agencies', path.join(SAMPLES, 'agencies.csv')])).toMatchObject({ code: 0, stdout: '', stderr: '' });
      expect(await run(['import', 'services', path.join(SAMPLES, 'services.csv')])).toMatchObject({ code: 0, stdout: '', stderr: '' });
      expect(await run(['validate', 'file', 'agencies', path.join(SAMPLES, 'agencies.csv')])).toMatchObject({ code: 0, stdout: '', stderr: '' });
      expect(await run(['validate', 'db'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
      expect(await run(['doctor'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
      const bad = await run(['validate', 'file', 'services', path.join(ROOT, 'test/fixtures/import/bad-reference.csv'), '--agencies', path.join(SAMPLES, 'agencies.csv')]);
      expect(bad.code).toBe(3);
      expect(bad.stdout).toBe('');
      expect(bad.stderr).toMatch(/^error: services from .*bad-reference\.csv: not valid — /);
      // a listing is data, not a report: --quiet keeps it
      const list = await run(['registry', 'list']);
      expect(list.stdout.split('\n')[0]).toBe('code\tagency\tstatus\taudience\tfee\tdays\tname');
      expect(list.stderr).toBe('');
    } finally {
      s.cleanup();
    }
  });
});

describe('colour per stream', () => {
  test('`doctor > f` with standard error on a terminal: f has no escape codes, the terminal has colour', async () => {
    const s = scratch();
    try {
      // an empty database: doctor warns (on the terminal) about pending migrations
      const r = await runPty(['--db', `sqlite:${path.join(s.dir, 'fresh.sqlite')}`, 'doctor'], [{ expect: /pending/ }], { env: { ...s.env, TERM: 'xterm-256color' } });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('reachable       yes');
      expect(r.stdout).not.toMatch(SGR);
      expect(r.raw).toMatch(SGR);
      // and registry list | cat, validate db > f
      for (const args of [['registry', 'list'], ['validate', 'db'], ['audit', 'list']]) {
        const q = await runPty(['--db', dbs[0]!.url, ...args], [], { env: { ...s.env, TERM: 'xterm-256color' } });
        expect(q.stdout.length).toBeGreaterThan(0);
        expect(q.stdout).not.toMatch(SGR);
      }
    } finally {
      s.cleanup();
    }
  });

  test('--no-color reaches the prompts', async () => {
    const env = { ...dbs[0]!.env, TERM: 'xterm-256color' };
    const args = ['--db', dbs[0]!.url, 'registry', 'purge', '--status', 'active'];
    const coloured = await runPty(args, [{ expect: /Delete \d+ services\?/, send: 'n\r' }], { env });
    expect(coloured.code).toBe(4);
    expect(coloured.raw).toMatch(SGR);
    const plain = await runPty(['--no-color', ...args], [{ expect: /Delete \d+ services\?/, send: 'n\r' }], { env });
    expect(plain.code).toBe(4);
    expect(plain.raw).not.toMatch(SGR);
    expect(plain.terminal).toContain('? Delete');
  });
});

// The built program run in this process with a standard output that says it is a terminal
// of 80 columns, as the pty bridge cannot put standard output on the terminal.
async function onTerminal(args: string[], t: TestDb, columns = 80): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = Object.assign(new Writable({ write(c, _e, cb) { stdout += String(c); cb(); } }), { isTTY: true, columns });
  const err = new Writable({ write(c, _e, cb) { stderr += String(c); cb(); } });
  const { main } = (await import(pathToFileURL(path.join(ROOT, 'dist', 'commands', 'program.js')).href)) as typeof import('../../commands/program.js');
  const code = await main(['node', 'egovctl', '--db', t.url, ...args], { stdout: out, stderr: err, env: t.env, cwd: t.env.HOME! });
  return { code, stdout, stderr };
}

describe('tables', () => {
  test('every table fits 80 columns: cut with an ellipsis, no rule between rows', async () => {
    const t = dbs[1]!;
    await runCli(['--db', t.url, 'registry', 'retire', 'L-002'], { env: t.env, cwd: t.env.HOME! });
    const bad = path.join(ROOT, 'test/fixtures/import/bad-reference.csv');
    for (const args of [['registry', 'list'], ['audit', 'list'], ['config', 'show'], ['migrate', 'status'], ['validate', 'file', 'services', bad, '--agencies', path.join(SAMPLES, 'agencies.csv')]]) {
      const r = await onTerminal(args, t);
      let lines = stripAnsi(r.stdout).trimEnd().split('\n');
      // validate's last line is a sentence (with the file's path), not a table row
      if (args[0] === 'validate') lines = lines.slice(0, -1);
      expect(lines.length, args.join(' ')).toBeGreaterThan(1);
      for (const l of lines) expect([...l].length, `${args.join(' ')}: ${l}`).toBeLessThanOrEqual(80);
      expect(r.stdout).not.toMatch(/[│┌─]/);
    }
    const list = stripAnsi((await onTerminal(['registry', 'list'], t)).stdout);
    expect(list).toMatch(/^L-001 .*…$/m);
    expect(list.split('\n')[0]).toMatch(/^code\s+agency\s+status\s+audience\s+fee\s+days\s+name$/);
    // a wider terminal shows more of the long name
    const wide = stripAnsi((await onTerminal(['registry', 'list'], t, 200)).stdout);
    expect(wide).toContain('узоқ номли давлат хизмати');
  });

  test('piped: list commands print tab-separated lines under a header, ready for cut and sort', async () => {
    const t = dbs[0]!;
    const run = (args: string[]) => runCli(['--db', t.url, ...args], { env: t.env, cwd: t.env.HOME! });
    const list = await run(['registry', 'list']);
    expect(list.stdout.split('\n').slice(0, 4).map((l) => l.split('\t').slice(0, 3).join(' '))).toEqual(['code agency status', 'L-001 ADL active', 'L-002 ADL active', 'L-003 ADL active']);
    expect(list.stdout).toContain('узоқ номли давлат хизмати\n'); // never cut
    const st = await run(['migrate', 'status']);
    expect(st.stdout.split('\n')[0]).toBe('migration\tstate\tbatch\tapplied at');
    expect(st.stdout.split('\n')[1]).toMatch(/^\d+_schema_v1\tapplied\t1\t\d{4}-/);
    expect((await run(['audit', 'list'])).stdout.split('\n')[0]).toBe('id\tstarted\tcommand\tactor@host\ttarget\toutcome\texit\tcounts\tmessage');
    expect((await run(['config', 'show'])).stdout.split('\n')[0]).toBe('setting\tvalue\tfrom');
    // several targets: a first column names the target, one header line
    const many = await runCli(['--all-targets', 'registry', 'list'], { env: home.env, cwd });
    expect(many.code).toBe(0);
    const lines = many.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('target\tcode\tagency\tstatus\taudience\tfee\tdays\tname');
    expect(lines.slice(1).map((l) => l.split('\t')[0]).sort()).toEqual(['alpha', 'alpha', 'alpha', 'beta', 'beta', 'beta', 'gamma', 'gamma', 'gamma']);
  });
});
