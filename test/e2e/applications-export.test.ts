import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { closeKnex, connect, type Db } from '../../src/db/connect.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { runCli, scratch } from '../helpers/cli.js';
import { appStamp, IDS_IN_ORDER, seedApplications } from '../helpers/applications-export-data.js';
import { seed } from '../helpers/export-data.js';
import { createTestDatabase } from '../helpers/pg.js';

// `egovctl export applications` as a user runs it: the built binary, standard output,
// standard error and the exit code checked apart; the usage errors (exit 2) of filters and
// points that do not apply; the config file's timeZone; --help and completion.

let s: ReturnType<typeof scratch>;
let pgDb: Awaited<ReturnType<typeof createTestDatabase>>;
const urls = {} as Record<'pg' | 'sqlite', string>;
const dbs: Db[] = [];

beforeAll(async () => {
  s = scratch('egovctl-app-export-e2e-');
  pgDb = await createTestDatabase('egovctl_appexp_e2e');
  urls.pg = pgDb.url;
  urls.sqlite = `sqlite:${path.join(s.dir, 'apps.sqlite')}`;
  for (const url of Object.values(urls)) {
    const m = await runCli(['--db', url, 'migrate', 'latest'], { env: s.env, cwd: s.dir });
    expect(m.code, m.stderr).toBe(0);
    const db = await connect(resolveConfig({ db: url }, {}, s.dir).targets[0]!);
    dbs.push(db);
    await seed(db.knex);
    await seedApplications(db.knex);
  }
});

afterAll(async () => {
  for (const db of dbs) await closeKnex(db.knex);
  await pgDb?.drop();
  s?.cleanup();
});

const HEADER = 'id,service_code,handled_by,audience,channel,region,submitted_at,due_on,status,decided_at,updated_at';

describe.each(['pg', 'sqlite'] as const)('export applications on %s', (dialect) => {
  const run = (args: string[], cwd = s.dir) => runCli(['--db', urls[dialect], ...args], { env: s.env, cwd });

  test('to standard output: CSV ordered by id, nothing on standard error, exit 0', async () => {
    const r = await run(['export', 'applications']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(HEADER);
    expect(lines.slice(1, -1).map((l) => l.split(',')[0])).toEqual(IDS_IN_ORDER);
  });

  test('--from/--to (local dates in Tashkent) and --agency (handling agency), with a manifest naming them', async () => {
    const out = path.join(s.dir, `${dialect}-april.ndjson`);
    const r = await run(['--json', 'export', 'applications', '--from', '2026-04-01', '--to', '2026-04-30', '--agency', 'MINJUST', '--out', out, '--manifest']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ entity: 'applications', format: 'ndjson', rows: 2, out });
    const got = fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(got.map((a) => a.id)).toEqual(['A-0001', 'B.10/x']);
    expect(got[0]).toEqual({ id: 'A-0001', service_code: 'SRV-001', handled_by: null, audience: 'G2C', channel: 'portal', region: 'UZ', submitted_at: '2026-03-31T19:30:00.000Z', due_on: '2026-04-02', status: 'completed', decided_at: '2026-04-02T05:00:00.000Z', updated_at: appStamp(0) });
    const m = JSON.parse(fs.readFileSync(`${out}.manifest.json`, 'utf8')) as { entity: string; rows: number; filters: Record<string, unknown> };
    expect(m.filters).toEqual({ status: null, agency: ['MINJUST'], audience: null, changed_since: null, from: '2026-04-01', to: '2026-04-30', time_zone: 'Asia/Tashkent' });
  });

  test('the config file\'s timeZone decides the local date', async () => {
    const dir = fs.mkdtempSync(path.join(s.dir, 'utc-'));
    fs.writeFileSync(path.join(dir, 'egovctl.config.json'), JSON.stringify({ timeZone: 'UTC' }));
    const r = await run(['export', 'applications', '--format', 'ndjson', '--from', '2026-04-01', '--to', '2026-04-30'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(['A-0003', 'B.10/x']);
  });

  test.each([
    [['--as-of', '2026-01-01'], '--as-of does not apply to applications: they are not in the registry log'],
    [['--at-size', '0'], '--at-size does not apply to applications'],
    [['--format', 'cpsv-ap'], '--format cpsv-ap describes public services: export services, not applications'],
    [['--from', '2026-02-30'], '--from takes a date as YYYY-MM-DD, not "2026-02-30"'],
    [['--from', '2026-05-01', '--to', '2026-04-30'], '--from 2026-05-01 is after --to 2026-04-30'],
    [['--status', 'active'], '--status: "active" is not allowed; allowed values: received, in_progress, completed, rejected, withdrawn'],
    [['--audience', 'G2X'], '--audience: "G2X" is not allowed'],
  ])('export applications %j: exit 2, nothing on standard output', async (args, message) => {
    const r = await run(['export', 'applications', ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
  });

  test('filters that do not apply to an entity: exit 2, naming the filters it takes', async () => {
    const a = await run(['export', 'agencies', '--from', '2026-01-01']);
    expect([a.code, a.stdout]).toEqual([2, '']);
    expect(a.stderr).toContain('--from does not apply to agencies: the filters of agencies are --status, --agency, --changed-since');
    const b = await run(['export', 'services', '--to', '2026-01-01']);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('--to does not apply to services: the filters of services are --status, --agency, --audience, --changed-since');
    const c = await run(['export', 'agencies', '--audience', 'G2C']);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('--audience does not apply to agencies');
  });
});

test('--help names applications, the new filters and an example of them', async () => {
  const r = await runCli(['export', '--help'], { env: s.env, cwd: s.dir });
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('export agencies, services or applications');
  expect(r.stdout).toMatch(/--from <date> +applications: submitted on or after this local/);
  expect(r.stdout).toMatch(/--to <date> +applications: submitted on or before/);
  expect(r.stdout).toContain('egovctl export applications --from 2026-04-01 --to 2026-04-30 --agency MINJUST --out april.csv.gz');
  expect(r.stdout).toContain('applications are not in the registry log');
});

test('bash completion offers applications, its filters and its statuses', async () => {
  const r = await runCli(['completion', 'bash'], { env: s.env, cwd: s.dir });
  expect(r.code).toBe(0);
  const file = path.join(s.dir, 'egovctl.bash');
  fs.writeFileSync(file, r.stdout);
  const complete = (words: string[]) => execFileSync('bash', ['-c', `source '${file}'; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _egovctl; printf '%s\\n' "\${COMPREPLY[@]}"`], { cwd: s.dir, encoding: 'utf8' }).split('\n').filter(Boolean);
  expect(complete(['egovctl', 'export', ''])).toEqual(['agencies', 'services', 'applications']);
  expect(complete(['egovctl', 'export', 'applications', '--'])).toEqual(expect.arrayContaining(['--from', '--to', '--agency', '--status', '--changed-since']));
  expect(complete(['egovctl', 'export', 'applications', '--status', 'in'])).toEqual(['in_progress']);
});
