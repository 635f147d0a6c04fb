import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BIN, ROOT, runCli, scratch } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/pg.js';

// `validate … --format html|json|table` and `--out` through the built binary: where the page
// goes, what standard output then carries, and the usage errors (exit 2) that keep an HTML
// page off a terminal. What the page shows is checked in a browser (html-browser.test.ts).

const samples = path.join(ROOT, 'samples');
let home: ReturnType<typeof scratch>;
let bad: string;
beforeAll(() => {
  home = scratch('egovctl-vhtml-');
  bad = path.join(home.dir, 'bad.csv');
  const text = fs.readFileSync(path.join(samples, 'services.csv'), 'utf8');
  fs.writeFileSync(bad, `${text}BAD-0001,NOSUCH,"<b>Nomi</b>",Имя,,,G2C,,active,,1,3,portal,law,,,2020-01-01,\n`);
});
afterAll(() => home.cleanup());

const cli = (args: string[], opts: { input?: string | Buffer; cwd?: string } = {}) => runCli(args, { env: home.env, ...opts });
const agencies = ['--agencies', path.join(samples, 'agencies.csv')];

describe('validate file --format html', () => {
  test('--out: the page written atomically, exit 3 kept, a line on standard output; --quiet: none', async () => {
    const out = path.join(home.dir, 'out', 'r.html');
    fs.mkdirSync(path.dirname(out));
    fs.writeFileSync(out, 'old');
    const r = await cli(['validate', 'file', 'services', bad, ...agencies, '--format', 'html', '--out', out]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe(`services from ${bad}: not valid — 23 records: 1 error, 0 warnings\nHTML report: ${out}\n`);
    const page = fs.readFileSync(out, 'utf8');
    expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(page).toContain('data-code="unknown-reference"');
    expect(page).not.toContain('<b>Nomi</b>');
    // no temporary file left beside it
    expect(fs.readdirSync(path.dirname(out))).toEqual(['r.html']);
    // a run that fails leaves the page as it was
    const before = fs.readFileSync(out, 'utf8');
    const failed = await cli(['validate', 'file', 'services', path.join(home.dir, 'no-such.csv'), '--format', 'html', '--out', out]);
    expect(failed.code).toBe(2);
    expect(fs.readFileSync(out, 'utf8')).toBe(before);
    expect(fs.readdirSync(path.dirname(out))).toEqual(['r.html']);
    const quiet = await cli(['--quiet', 'validate', 'file', 'services', bad, ...agencies, '--format', 'html', '--out', out]);
    expect(quiet.code).toBe(3);
    expect(quiet.stdout).toBe('');
    expect(quiet.stderr).toBe('');
  });

  test('--out and --json: the page in the file, the JSON report of SPEC §3 on standard output', async () => {
    const out = path.join(home.dir, 'j.html');
    const r = await cli(['--json', 'validate', 'file', 'services', bad, ...agencies, '--format', 'html', '--out', out]);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ valid: false, entity: 'services', records: 23, errors: 1, warnings: 0 });
    expect(doc.issues[0]).toMatchObject({ code: 'unknown-reference', key: 'BAD-0001', value: 'NOSUCH' });
    expect(fs.readFileSync(out, 'utf8')).toContain('NOSUCH');
  });

  test('no --out, standard output a pipe: the page on standard output', async () => {
    const r = await cli(['validate', 'file', 'services', bad, ...agencies, '--format', 'html']);
    expect(r.code).toBe(3);
    expect(r.stdout.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(r.stdout.trimEnd().endsWith('</html>')).toBe(true);
    expect(r.stderr).toBe('');
  });

  test('the file\'s format and the report\'s: --format given twice, from standard input', async () => {
    const ndjson = '{"code":"MJ","name_uz":"Adliya","kind":"ministry","region":"UZ","status":"active"}\n';
    const r = await cli(['validate', 'file', 'agencies', '-', '--format', 'ndjson', '--format', 'html'], { input: ndjson });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('<span class="verdict ok">valid</span>');
    expect(r.stdout).toContain('missing-translation');
    // --format json stays the file's format (a JSON array), as before
    const arr = await cli(['validate', 'file', 'agencies', '-', '--format', 'json', '--format', 'table'], { input: '[{"code":"MJ","name_uz":"Adliya","name_ru":"Юстиция","kind":"ministry","region":"UZ","status":"active"}]' });
    expect(arr.code).toBe(0);
    expect(arr.stdout).toContain('valid');
  });

  test('usage errors, exit 2, nothing written', async () => {
    const out = path.join(home.dir, 'never.html');
    const table = await cli(['validate', 'file', 'services', bad, '--out', out]);
    expect(table.code).toBe(2);
    expect(table.stderr).toContain('--out writes the HTML report: add --format html');
    const json = await cli(['--json', 'validate', 'file', 'services', bad, '--format', 'html']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).error.message).toContain('--out <file>');
    const two = await cli(['validate', 'file', 'services', bad, '--format', 'table', '--format', 'html']);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('two report formats');
    const unknown = await cli(['validate', 'file', 'services', bad, '--format', 'pdf']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('html');
    const noDir = await cli(['validate', 'file', 'services', bad, '--format', 'html', '--out', path.join(home.dir, 'nodir', 'r.html')]);
    expect(noDir.code).toBe(2);
    expect(noDir.stderr).toContain('its directory does not exist');
    expect(fs.existsSync(out)).toBe(false);
  });

  test.skipIf(spawnSync('script', ['--version']).status !== 0)('on a terminal without --out: exit 2, saying to use --out', () => {
    // util-linux `script` gives the binary a real terminal for standard output
    const cmd = [process.execPath, BIN, 'validate', 'file', 'services', bad, '--format', 'html'].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { env: home.env, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toContain('an HTML report is not for a terminal: write it with --out <file>');
    expect(r.stdout).not.toContain('<!DOCTYPE');
  });
});

describe('validate db --format', () => {
  let pgUrl: string;
  let drop = async () => {};
  const sqliteUrl = () => `sqlite:${path.join(home.dir, 'v.sqlite')}`;
  beforeAll(async () => {
    const d = await createTestDatabase();
    pgUrl = d.url;
    drop = d.drop;
    for (const url of [pgUrl, sqliteUrl()]) {
      expect((await cli(['--db', url, 'migrate', 'latest'])).code).toBe(0);
      expect((await cli(['--db', url, 'import', 'agencies', path.join(samples, 'agencies.csv')])).code).toBe(0);
      expect((await cli(['--db', url, 'import', 'services', path.join(samples, 'services.csv')])).code).toBe(0);
    }
  });
  afterAll(() => drop());

  test('json is --json; table is the default', async () => {
    const a = await cli(['--db', sqliteUrl(), 'validate', 'db', '--format', 'json']);
    const b = await cli(['--db', sqliteUrl(), '--json', 'validate', 'db']);
    expect(a.code).toBe(0);
    expect(JSON.parse(a.stdout)).toEqual(JSON.parse(b.stdout));
    // and a failure is the JSON error document of SPEC §8, as with --json
    const down = await cli(['--db', 'postgres://nobody@127.0.0.1:1/none', 'validate', 'db', '--format', 'json']);
    expect(down.code).toBe(5);
    expect(JSON.parse(down.stdout)).toMatchObject({ error: { exit_code: 5, kind: 'database' } });
    const t = await cli(['--db', sqliteUrl(), 'validate', 'db', '--format', 'table']);
    expect(t.stdout).toContain('unused-agency');
    expect(t.stdout).toContain('valid');
  });

  for (const which of ['pg', 'sqlite'] as const) {
    test(`html on ${which}: the page of the database's issues; --strict makes it exit 3`, async () => {
      const url = which === 'pg' ? pgUrl : sqliteUrl();
      const out = path.join(home.dir, `db-${which}.html`);
      const r = await cli(['--db', url, 'validate', 'db', '--format', 'html', '--out', out]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`HTML report: ${out}`);
      const page = fs.readFileSync(out, 'utf8');
      expect(page).toContain('<span class="verdict ok">valid</span>');
      expect(page).toContain('<td data-label="entity">agencies</td><td class="nowrap" data-label="key">DXM-SA</td>');
      expect(page).toContain('<dt>services</dt><dd>22 records: 0 errors, 0 warnings</dd>');
      const strict = await cli(['--db', url, 'validate', 'db', '--strict', '--format', 'html', '--out', out]);
      expect(strict.code).toBe(3);
      expect(fs.readFileSync(out, 'utf8')).toContain('warnings fail this validation (--strict)');
    });
  }

  test('several targets: --out needs {target}; then one page per target', async () => {
    const cwd = path.join(home.dir, 'targets');
    fs.mkdirSync(cwd);
    fs.writeFileSync(path.join(cwd, 'egovctl.config.json'), JSON.stringify({ targets: { one: { url: sqliteUrl() }, two: { url: sqliteUrl() } } }));
    const none = await cli(['--all-targets', 'validate', 'db', '--format', 'html', '--out', 'r.html'], { cwd });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('{target}');
    const r = await cli(['--all-targets', 'validate', 'db', '--format', 'html', '--out', '{target}-check.html'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`HTML report: ${path.join(cwd, 'one-check.html')}`);
    expect(fs.readFileSync(path.join(cwd, 'two-check.html'), 'utf8')).toContain('<span class="verdict ok">valid</span>');
  });
});
