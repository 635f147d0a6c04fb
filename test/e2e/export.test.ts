import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import pg from 'pg';
import { listMigrationFiles } from '../../src/db/migrator.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import { closeKnex, connect } from '../../src/db/connect.js';
import { BIN, runCli, scratch } from '../helpers/cli.js';
import { SERVICES, generateSql, seed, stamp } from '../helpers/export-data.js';
import { createTestDatabase } from '../helpers/pg.js';

/** schema_version in a manifest: the last migration applied, here every shipped one */
const LAST_MIGRATION = listMigrationFiles().at(-1)!.name;

// `egovctl export` as cron runs it: the built binary, standard output and error apart,
// exit codes, the audit trail, a read-only role, a closed pipe, an interrupt.

const s = scratch('egovctl-export-e2e-');
const env = s.env;
const file = (name: string) => path.join(s.dir, name);
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
let big: Awaited<ReturnType<typeof createTestDatabase>>;
let small: Awaited<ReturnType<typeof createTestDatabase>>;
const BIG_ROWS = 100_000;

async function seeded(url: string, fill: (k: import('knex').Knex) => Promise<unknown>): Promise<void> {
  const m = await runCli(['--db', url, 'migrate', 'latest'], { env });
  expect(m.code, m.stderr).toBe(0);
  const db = await connect(resolveConfig({ db: url }, {}, s.dir).targets[0]!);
  try {
    await fill(db.knex);
  } finally {
    await closeKnex(db.knex);
  }
}

beforeAll(async () => {
  small = await createTestDatabase('egovctl_export_e2e');
  big = await createTestDatabase('egovctl_export_big');
  await seeded(small.url, (k) => seed(k));
  await seeded(big.url, (k) => k.raw(generateSql(BIG_ROWS)));
  // the embedded SQLite default of this scratch home
  const m = await runCli(['migrate', 'latest'], { env });
  expect(m.code, m.stderr).toBe(0);
  await seeded(`sqlite:${path.join(env.XDG_DATA_HOME!, 'egovctl', 'egovctl.sqlite')}`, (k) => seed(k));
});

afterAll(async () => {
  await small?.drop();
  await big?.drop();
  s.cleanup();
});

describe('on the embedded SQLite default', () => {
  test('CSV to standard output by default, nothing on standard error', async () => {
    const r = await runCli(['export', 'services'], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('code,agency_code,name_uz,name_ru,name_en,description,audience,sector,status,fee_uzs,fee_bhm_percent,processing_days,channels,legal_basis,required_documents,output,effective_from,effective_to,updated_at');
    expect(r.stdout).toContain(`SRV-006,MINJUST,Foiz,,,,G2B|G2G,,active,,100000,5,portal,Qonun,x,,2025-06-01,,${stamp(5)}\n`);
  });

  test('--json with --out prints the summary of SPEC §8; the file matches it', async () => {
    const out = file('s.csv');
    const r = await runCli(['--json', 'export', 'services', '--out', out], { env });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    const bytes = fs.readFileSync(out);
    expect({ entity: doc.entity, format: doc.format, rows: doc.rows, bytes: doc.bytes, sha256: doc.sha256, out: doc.out })
      .toEqual({ entity: 'services', format: 'csv', rows: SERVICES.length, bytes: bytes.length, sha256: sha(bytes), out });
  });

  test('--json with the data on standard output: the data stays clean, the summary goes to standard error', async () => {
    const r = await runCli(['--json', 'export', 'services', '--format', 'ndjson'], { env });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l).code)).toEqual(SERVICES.map((x) => x.code));
    const summary = JSON.parse(r.stderr);
    expect([summary.entity, summary.format, summary.rows, summary.bytes, summary.out]).toEqual(['services', 'ndjson', SERVICES.length, Buffer.byteLength(r.stdout), null]);
    expect(summary.sha256).toBe(sha(Buffer.from(r.stdout)));
    const q = await runCli(['--json', '--quiet', 'export', 'services'], { env });
    expect([q.code, q.stderr]).toEqual([0, '']);
  });

  test('--quiet: a successful export is silent', async () => {
    const r = await runCli(['--quiet', 'export', 'agencies', '--out', file('a.ndjson')], { env });
    expect([r.code, r.stdout, r.stderr]).toEqual([0, '', '']);
    expect(fs.readFileSync(file('a.ndjson'), 'utf8').split('\n')[0]).toMatch(/^\{"code":"ADLIYA-TK","name_uz":"'?=Toshkent/);
  });

  test('the format follows the --out name; .gz means gzip; --gzip works on standard output', async () => {
    expect((await runCli(['export', 'services', '--out', file('x.json.gz')], { env })).code).toBe(0);
    const json = JSON.parse(zlib.gunzipSync(fs.readFileSync(file('x.json.gz'))).toString());
    expect(json.map((r: { code: string }) => r.code)).toEqual(SERVICES.map((r) => r.code));
    const piped = spawnSync(process.execPath, [BIN, 'export', 'services', '--gzip', '--format', 'ndjson'], { env, cwd: s.dir });
    expect(piped.status).toBe(0);
    expect(zlib.gunzipSync(piped.stdout).toString().split('\n').length).toBe(SERVICES.length + 1);
  });

  test('usage errors are exit 2 with the reason on standard error', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['export', 'services', '--status', 'active,bogus'], /--status: "bogus" is not allowed; allowed values: draft, active, suspended, retired/],
      [['export', 'services', '--changed-since', '2026-02-30'], /--changed-since: "2026-02-30" is not a timestamp/],
      [['export', 'services', '--changed-since', 'yesterday'], /is not a timestamp/],
      [['export', 'agencies', '--audience', 'G2C'], /--audience does not apply to agencies: the filters of agencies are --status, --agency, --changed-since/],
      [['export', 'services', '--manifest'], /--manifest needs --out/],
      [['export', 'services', '--format', 'xml'], /xml/],
      [['export', 'registry'], /registry/],
      [['export', 'services', '--out', file('no/such/dir/x.csv')], /cannot write .*its directory does not exist/],
    ];
    for (const [args, msg] of cases) {
      const r = await runCli(args, { env });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stdout).toBe('');
    }
    const j = await runCli(['--json', 'export', 'services', '--status', "x' or 1=1", '--out', file('e.csv')], { env });
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout).error.exit_code).toBe(2);
  });
});

describe('on PostgreSQL', () => {
  test('manifest beside --out: rows, bytes and sha256 of the file as written', async () => {
    const out = file('pg.csv.gz');
    const r = await runCli(['--db', small.url, 'export', 'services', '--out', out, '--manifest', '--audience', 'G2G'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`manifest ${out}.manifest.json`);
    const m = JSON.parse(fs.readFileSync(`${out}.manifest.json`, 'utf8'));
    const bytes = fs.readFileSync(out);
    expect([m.entity, m.format, m.rows, m.bytes, m.sha256, m.filters.audience, m.schema_version]).toEqual(['services', 'csv', 3, bytes.length, sha(bytes), ['G2G'], LAST_MIGRATION]);
    expect(m.tool_version).toMatch(/^\d+\.\d+\.\d+/);
    expect(Number.isNaN(Date.parse(m.exported_at))).toBe(false);
  });

  test('each export adds an audit row with its rows and sha256', async () => {
    const out = file('audit.ndjson');
    const r = await runCli(['--db', small.url, '--json', 'export', 'services', '--out', out, '--status', 'active'], { env });
    expect(r.code, r.stderr).toBe(0);
    const c = new pg.Client({ connectionString: small.url });
    await c.connect();
    try {
      const row = (await c.query(`select command, args, outcome, counts from audit_log where command = 'export' order by id desc limit 1`)).rows[0];
      expect(row.command).toBe('export');
      expect(JSON.parse(row.args)).toEqual(['services', '--out', out, '--status', 'active']);
      expect(row.outcome).toBe('ok');
      const counts = JSON.parse(row.counts);
      expect([counts.rows, counts.sha256]).toEqual([3, JSON.parse(r.stdout).sha256]);
    } finally {
      await c.end();
    }
  });

  test('a read-only role can export; the audit row is skipped with a warning', async () => {
    const role = `egov_ro_${crypto.randomBytes(4).toString('hex')}`;
    const c = new pg.Client({ connectionString: small.url });
    await c.connect();
    try {
      await c.query(`create role ${role} login password 'ro-secret'`);
      await c.query(`grant connect on database ${small.name} to ${role}`);
      await c.query(`grant usage on schema public to ${role}`);
      await c.query(`grant select on all tables in schema public to ${role}`);
      const u = new URL(small.url);
      u.username = role;
      u.password = 'ro-secret';
      const r = await runCli(['--db', u.toString(), 'export', 'agencies', '--format', 'ndjson'], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l).code)).toEqual(['ADLIYA-TK', 'MINJUST', 'OLD-COMM']);
      expect(r.stderr).toMatch(/warning: no audit row was written on target .*permission denied/);
      expect(r.stderr).not.toContain('ro-secret');
    } finally {
      await c.query(`drop owned by ${role}`);
      await c.query(`drop role ${role}`);
      await c.end();
    }
  });

  test('a failed export is a non-zero exit, a message, the old file intact and no temporary file', async () => {
    const out = file('keep.csv');
    fs.writeFileSync(out, 'yesterday\n');
    const c = new pg.Client({ connectionString: small.url });
    await c.connect();
    try {
      await c.query(`insert into services select * from services where code = 'SRV-006'`.replace('select *', `select 'SRV-999', agency_code, name_uz, name_ru, name_en, description, audience, sector, status, fee_uzs, fee_bhm_percent, processing_days, channels, legal_basis, '[not json', output, effective_from, effective_to, updated_at`));
      const r = await runCli(['--db', small.url, 'export', 'services', '--out', out], { env });
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/^error: .*json/im);
      expect(r.stdout).toBe('');
      expect(fs.readFileSync(out, 'utf8')).toBe('yesterday\n');
      expect(fs.readdirSync(s.dir).filter((f) => f.startsWith('.keep.csv'))).toEqual([]);
      const audit = (await c.query(`select outcome, exit_code from audit_log order by id desc limit 1`)).rows[0];
      expect(audit).toEqual({ outcome: 'failed', exit_code: 5 });
    } finally {
      await c.query(`delete from services where code = 'SRV-999'`);
      await c.end();
    }
  });

  test('a closed pipe (| head) ends the export quietly', () => {
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" --db "${big.url}" export services | head -n 2; exit "\${PIPESTATUS[0]}"`], { env, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[1]).toMatch(/^SRV-0000001,AG-0002,/);
  });

  test('100,000 rows: CSV, NDJSON and JSON agree on the records, ordered by code', async () => {
    const r = await runCli(['--db', big.url, '--json', 'export', 'services', '--out', file('big.ndjson')], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).rows).toBe(BIG_ROWS);
    const lines = fs.readFileSync(file('big.ndjson'), 'utf8').trimEnd().split('\n');
    expect(lines.length).toBe(BIG_ROWS);
    const codes = lines.map((l) => JSON.parse(l).code as string);
    expect(codes).toEqual([...codes].sort());
    expect(JSON.parse(lines[96]!).name_uz).toBe('=HYPERLINK("http://x.example/97")');
    const j = await runCli(['--db', big.url, 'export', 'services', '--out', file('big.json')], { env });
    expect(j.code, j.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(file('big.json'), 'utf8')).length).toBe(BIG_ROWS);
  });

  test('SIGINT during an export: exit 130, the old file untouched, no temporary file', async () => {
    const out = file('int.csv.gz');
    fs.writeFileSync(out, 'old');
    const child = spawn(process.execPath, [BIN, '--db', big.url, 'export', 'services', '--out', out], { env, cwd: s.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const tmpSeen = async () => {
      for (let i = 0; i < 200; i++) {
        if (fs.readdirSync(s.dir).some((f) => f.startsWith('.int.csv.gz.') && fs.statSync(path.join(s.dir, f)).size > 0)) return true;
        await new Promise((res) => setTimeout(res, 25));
      }
      return false;
    };
    expect(await tmpSeen()).toBe(true);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted by SIGINT/);
    expect(fs.readFileSync(out, 'utf8')).toBe('old');
    expect(fs.readdirSync(s.dir).filter((f) => f.startsWith('.int.csv.gz'))).toEqual([]);
  });
});
