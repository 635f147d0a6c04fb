import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { runCli, scratch } from '../helpers/cli.js';
import { launch, noBrowserReason, openFile } from '../helpers/browser.js';
import { expectedReport, generate, insertApplications, insertGenerated, MARKUP_AGENCY, MARKUP_NAME, UNDECIDED_AGENCY } from '../helpers/applications-gen.js';
import { auditRows, openTestDb, type TestDb } from '../helpers/registry-seed.js';

// `egovctl report discipline` through the built binary (SPEC §10, §11): each format on
// standard output and into --out (atomically), the audit row, the exit codes, the config's
// time zone, several targets, and the HTML page in a real browser.

const data = generate(1500, 7);
const AS_OF = '2026-05-15';
const base = { from: null, to: null, asOf: AS_OF, by: 'agency' as const, agencies: null, tz: 'Asia/Tashkent' };
const why = noBrowserReason();
if (why) console.warn(`discipline html: SKIPPED — ${why}`);

describe.each(['sqlite', 'pg'] as const)('report discipline through the binary on %s', (dialect) => {
  let t: TestDb;
  const cli = (args: string[], env: NodeJS.ProcessEnv = t.env) => runCli(['--db', t.url, ...args], { env, cwd: t.env.HOME! });
  beforeAll(async () => {
    t = await openTestDb(dialect);
    await insertGenerated(t.db.knex, dialect, data);
  });
  afterAll(async () => t?.cleanup());

  test('--json and --format json: the document of §10, as computed independently; nothing on standard error', async () => {
    for (const args of [['--json', 'report', 'discipline', '--as-of', AS_OF, '--by', 'service'], ['report', 'discipline', '--as-of', AS_OF, '--by', 'service', '--format', 'json']]) {
      const r = await cli(args);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual(expectedReport(data, { ...base, by: 'service' }));
    }
    const r = await cli(['--json', 'report', 'discipline', '--as-of', AS_OF, '--from', '2026-02-01', '--to', '2026-02-28', '--agency', 'ADL,SOL', '--by', 'month']);
    expect(JSON.parse(r.stdout)).toEqual(expectedReport(data, { ...base, from: '2026-02-01', to: '2026-02-28', agencies: ['ADL', 'SOL'], by: 'month' }));
  });

  test('CSV on standard output: the columns in order, one line per group', async () => {
    const r = await cli(['report', 'discipline', '--as-of', AS_OF, '--format', 'csv']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const want = expectedReport(data, base);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('key,name,applications,decided,on_time,late,open,overdue,on_time_rate,median_days,p90_days,max_days_late');
    expect(lines).toHaveLength(want.groups.length + 1);
    const adl = want.groups.find((g) => g.key === 'ADL')!;
    expect(lines).toContain(`ADL,Adliya vazirligi,${adl.applications},${adl.decided},${adl.on_time},${adl.late},${adl.open},${adl.overdue},${adl.on_time_rate},${adl.median_days},${adl.p90_days},${adl.max_days_late}`);
    expect(lines.find((l) => l.startsWith(`${UNDECIDED_AGENCY},`))).toMatch(/,0,0,0,\d+,\d+,,,,0$/);
    expect(lines).toContain(lines.find((l) => l.startsWith('FORM,"\'=HYPERLINK(""x"") agentligi"')));
  });

  test('the table: a row per group and the total; --quiet prints nothing', async () => {
    const r = await cli(['report', 'discipline', '--as-of', AS_OF]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const want = expectedReport(data, base);
    expect(r.stdout).toContain(`discipline by agency: submitted first … last (Asia/Tashkent), open as of ${AS_OF}`);
    expect(r.stdout).toMatch(new RegExp(`\\ntotal\\s+${want.total.applications}\\s+${want.total.decided}\\s+${want.total.on_time}\\s+${want.total.late}\\s`));
    expect(r.stdout).toMatch(/\nADL-TK\s+\d+/);
    const q = await cli(['--quiet', 'report', 'discipline']);
    expect([q.code, q.stdout, q.stderr]).toEqual([0, '', '']);
  });

  test('--out: written atomically (no temporary file left, an old file replaced whole), one line on standard output; an audit row', async () => {
    const dir = fs.mkdtempSync(path.join(t.env.HOME!, 'out-'));
    const out = path.join(dir, 'by-month.csv');
    fs.writeFileSync(out, 'the previous report\n');
    const r = await cli(['report', 'discipline', '--by', 'month', '--format', 'csv', '--out', out, '--as-of', AS_OF]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`discipline by month: 6 groups, 1500 applications\ncsv report: ${out}\n`);
    expect(fs.readdirSync(dir)).toEqual(['by-month.csv']);
    const csv = fs.readFileSync(out, 'utf8');
    expect(csv.split('\n')[1]).toMatch(/^2026-01,,\d+,/);
    expect(csv.trimEnd().split('\n')).toHaveLength(7);
    const audit = (await auditRows(t)).find((a) => a.command === 'report discipline' && a.args.includes(out))!;
    expect(audit).toMatchObject({ outcome: 'ok', args: ['--by', 'month', '--format', 'csv', '--out', out, '--as-of', AS_OF], counts: { by: 'month', groups: 6, applications: 1500, format: 'csv', out } });
    // --json with --out: the document on standard output, with where the file is
    const j = await cli(['--json', 'report', 'discipline', '--format', 'json', '--out', path.join(dir, 'r.json'), '--as-of', AS_OF]);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toEqual({ ...expectedReport(data, base), out: path.join(dir, 'r.json') });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'r.json'), 'utf8'))).toEqual(expectedReport(data, base));
    // a directory that does not exist: exit 2, and a failed audit row
    const bad = await cli(['report', 'discipline', '--format', 'csv', '--out', path.join(dir, 'no', 'such', 'f.csv')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/cannot write .*f\.csv: its directory does not exist/);
    expect(bad.stdout).toBe('');
    expect((await auditRows(t)).find((a) => a.command === 'report discipline' && a.args.some((x) => x.includes('no/such')))).toMatchObject({ outcome: 'failed', exit_code: 2 });
  });

  test('usage errors are exit 2, before the database is touched', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--from', '2026-02-30'], /--from takes a date as YYYY-MM-DD, not "2026-02-30"/],
      [['--to', 'tomorrow'], /--to takes a date/],
      [['--as-of', '2026-1-1'], /--as-of takes a date/],
      [['--from', '2026-03-01', '--to', '2026-02-01'], /--from 2026-03-01 is after --to 2026-02-01/],
      [['--by', 'week'], /argument 'week' is invalid. Allowed choices are agency, service, region, channel, month/],
      [['--format', 'xml'], /Allowed choices are table, csv, json, html/],
      [['--agency', 'adl'], /--agency: "adl" is not an agency code/],
      [['--agency', ','], /--agency needs at least one value/],
    ];
    const before = (await auditRows(t)).length;
    for (const [args, message] of cases) {
      const r = await cli(['report', 'discipline', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
    const j = await cli(['--json', 'report', 'discipline', '--format', 'csv']);
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout)).toEqual({ error: { exit_code: 2, kind: 'usage', message: expect.stringMatching(/--json and --format csv cannot both go to standard output/) } });
    expect((await auditRows(t)).length).toBe(before);
  });

  test('the config file\'s timeZone: a submission at 19:30Z on 31 March is April in Tashkent, March in UTC; a bad zone is exit 2', async () => {
    await insertApplications(t.db.knex, dialect, [{ id: 'TZ-1', service_code: 'SRV-0001', handled_by: null, audience: 'G2C', channel: 'portal', region: 'UZ', submitted_at: '2027-03-31T19:30:00.000Z', due_on: '2027-04-01', status: 'received', decided_at: null, updated_at: '2027-04-01T00:00:00.000Z' }]);
    try {
      const dir = fs.mkdtempSync(path.join(t.env.HOME!, 'tz-'));
      const month = async (tz?: string) => {
        fs.writeFileSync(path.join(dir, 'egovctl.config.json'), JSON.stringify({ defaultTarget: 'here', targets: { here: { url: t.url } }, ...(tz ? { timeZone: tz } : {}) }));
        const r = await runCli(['--json', 'report', 'discipline', '--by', 'month', '--from', '2027-03-01', '--to', '2027-04-30'], { env: t.env, cwd: dir });
        return { code: r.code, doc: r.code === 0 ? JSON.parse(r.stdout) : null, stderr: r.stderr };
      };
      const tash = await month();
      expect(tash.doc.time_zone).toBe('Asia/Tashkent');
      expect(tash.doc.groups.map((g: { key: string }) => g.key)).toEqual(['2027-04']);
      const utc = await month('UTC');
      expect(utc.doc.time_zone).toBe('UTC');
      expect(utc.doc.groups.map((g: { key: string }) => g.key)).toEqual(['2027-03']);
      const bad = await month('Mars/Olympus');
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/"timeZone" "Mars\/Olympus" is not a time zone/);
    } finally {
      await t.db.knex('applications').where('id', 'TZ-1').delete();
    }
  });

  test.skipIf(!!why)(`--format html --out: the page in Chromium — totals, a row, a name that is markup shown as text, no request${why ? ` (skipped: ${why})` : ''}`, async () => {
    const out = path.join(t.env.HOME!, 'discipline.html');
    const r = await cli(['report', 'discipline', '--format', 'html', '--out', out, '--as-of', AS_OF]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`discipline by agency: ${expectedReport(data, base).groups.length} groups, 1500 applications\nhtml report: ${out}\n`);
    const want = expectedReport(data, base);
    let browser: { context: BrowserContext; close: () => Promise<void> } | undefined;
    try {
      browser = await launch();
      const { page, requests, refused } = await openFile(browser.context, out);
      const tile = (label: string) => page.locator('dl.totals > div').filter({ has: page.locator('dt', { hasText: new RegExp(`^${label}$`) }) }).locator('dd').innerText();
      expect(await tile('applications')).toBe(String(want.total.applications));
      expect(await tile('late')).toBe(String(want.total.late));
      expect(await tile('overdue')).toBe(String(want.total.overdue));
      const sol = want.groups.find((g) => g.key === 'SOL')!;
      const row = page.locator('table tbody tr').filter({ has: page.locator('td[data-label="key"]', { hasText: /^SOL$/ }) });
      expect(await row.locator('td[data-label="applications"]').innerText()).toBe(String(sol.applications));
      expect(await row.locator('td[data-label="late"]').innerText()).toBe(String(sol.late));
      const markup = page.locator('table tbody tr').filter({ has: page.locator('td[data-label="key"]', { hasText: new RegExp(`^${MARKUP_AGENCY}$`) }) });
      expect(await markup.locator('td[data-label="name"]').innerText()).toBe(MARKUP_NAME);
      expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
      expect(await page.locator('script, img, iframe, object, embed').count()).toBe(0);
      expect(refused).toEqual([]);
      expect(requests).toEqual([new URL(`file://${out}`).href]);
    } finally {
      await browser?.close();
    }
  });
});

describe('report discipline: what is not a usable database', () => {
  const home = scratch('egovctl-discipline-');
  afterAll(() => home.cleanup());

  test('a database without the schema: exit 6; an unreachable server: exit 5 with a JSON error; the previous --out file untouched', async () => {
    const file = path.join(home.dir, 'empty.sqlite');
    const r = await runCli(['--db', `sqlite:${file}`, 'report', 'discipline'], { env: home.env, cwd: home.dir });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/migrat/);
    const out = path.join(home.dir, 'keep.csv');
    fs.writeFileSync(out, 'previous\n');
    const u = await runCli(['--json', '--db', 'postgres://nobody@127.0.0.1:1/none', 'report', 'discipline', '--format', 'csv', '--out', out], { env: home.env, cwd: home.dir });
    expect(u.code).toBe(5);
    expect(JSON.parse(u.stdout).error).toMatchObject({ exit_code: 5, kind: 'database' });
    expect(fs.readFileSync(out, 'utf8')).toBe('previous\n');
    expect(fs.readdirSync(home.dir).filter((f) => f.startsWith('keep'))).toEqual(['keep.csv']);
  });

  test('several targets: {"targets": [...]} with --json; CSV needs --out with {target}, then one file per target', async () => {
    const a = await openTestDb('sqlite');
    const b = await openTestDb('pg');
    try {
      await insertGenerated(a.db.knex, 'sqlite', data);
      await insertGenerated(b.db.knex, 'pg', generate(200, 8));
      const dir = fs.mkdtempSync(path.join(home.dir, 'many-'));
      fs.writeFileSync(path.join(dir, 'egovctl.config.json'), JSON.stringify({ targets: { lite: { url: a.url }, central: { url: b.url } } }));
      const run = (args: string[]) => runCli(['--all-targets', ...args], { env: home.env, cwd: dir });
      const j = await run(['--json', 'report', 'discipline', '--as-of', AS_OF]);
      expect(j.code).toBe(0);
      const doc = JSON.parse(j.stdout);
      expect(doc.targets.map((x: { target: string; ok: boolean }) => [x.target, x.ok])).toEqual([['lite', true], ['central', true]]);
      expect(doc.targets[0].result).toEqual(expectedReport(data, base));
      expect(doc.targets[1].result.total.applications).toBe(200);
      const no = await run(['report', 'discipline', '--format', 'csv']);
      expect(no.code).toBe(2);
      expect(no.stderr).toMatch(/several targets need --out with a \{target\} placeholder/);
      const c = await run(['report', 'discipline', '--format', 'csv', '--out', path.join(dir, '{target}.csv')]);
      expect(c.code).toBe(0);
      expect(fs.readdirSync(dir).sort()).toEqual(['central.csv', 'egovctl.config.json', 'lite.csv']);
      expect(fs.readFileSync(path.join(dir, 'lite.csv'), 'utf8').split('\n')[0]).toMatch(/^key,name,applications/);
    } finally {
      await a.cleanup();
      await b.cleanup();
    }
  });
});
