import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BIN, runCli, scratch } from '../helpers/cli.js';
import { generateAgencies, generateServices } from '../bench/gen-services.js';
import { DIALECTS, openTestDb, type TestDb } from '../fixtures/import/setup.js';

// SPEC §7: an interrupted or killed import leaves the database as it was. A large file is
// imported and the process is killed (SIGKILL) or interrupted (SIGINT) half-way, on both
// databases; the stored records must be exactly the ones from before.

const BIG = 200_000;

interface Started {
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  kill(signal: NodeJS.Signals): void;
  /** resolves once standard error holds `text` */
  waitFor(text: string): Promise<void>;
}

function start(args: string[], env: NodeJS.ProcessEnv): Started {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const w of waiters) if (stderr.includes(w.text)) w.resolve();
  });
  child.stdout.resume();
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
  return {
    done,
    kill: (s) => child.kill(s),
    waitFor: (text) => new Promise((resolve) => {
      if (stderr.includes(text)) resolve();
      else waiters.push({ text, resolve });
    }),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(DIALECTS)('killing an import on %s', (dialect) => {
  let t: TestDb;
  let home: ReturnType<typeof scratch>;
  let big: string;
  let agencies: string;
  let small: string;
  beforeAll(async () => {
    t = await openTestDb(dialect);
    home = scratch();
    agencies = path.join(home.dir, 'agencies.csv');
    big = path.join(home.dir, 'services.csv');
    small = path.join(home.dir, 'services-small.csv');
    await generateAgencies(200, agencies, { seed: 7 });
    await generateServices(BIG, big, { seed: 7 });
    await generateServices(500, small, { seed: 7 });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    home?.cleanup();
  });

  const snapshot = async () => ({
    agencies: await t.db.knex('agencies').count({ n: '*' }).first(),
    services: await t.db.knex('services').select('code', 'name_uz', 'updated_at').orderBy('code'),
  });
  const cli = (args: string[]) => runCli(['--db', t.url, ...args], { env: home.env });

  async function killMidway(signal: NodeJS.Signals) {
    const before = await snapshot();
    const p = start(['--db', t.url, '-v', 'import', 'services', big], home.env);
    await p.waitFor('import: reading');
    await sleep(700);
    p.kill(signal);
    const r = await p.done;
    expect(await snapshot()).toEqual(before);
    return r;
  }

  /** PostgreSQL: the constraints of services, which a first load drops in part and adds back. */
  const constraints = async () => dialect === 'pg'
    ? ((await t.db.knex.raw(`select conname, pg_get_constraintdef(oid) as def from pg_constraint where conrelid = 'services'::regclass order by 1`)).rows as unknown[])
    : [];

  test('SIGKILL while loading into an empty table leaves it empty, its foreign key in place', async () => {
    await t.clear();
    expect((await cli(['import', 'agencies', agencies])).code).toBe(0);
    const keys = await constraints();
    const r = await killMidway('SIGKILL');
    expect(r.signal).toBe('SIGKILL');
    if (dialect === 'pg') expect(r.stderr).toContain('its foreign keys are checked once, after the load');
    expect(Number((await t.db.knex('services').count({ n: '*' }).first())!.n)).toBe(0);
    expect(await constraints()).toEqual(keys);
    if (dialect === 'pg') expect(JSON.stringify(keys)).toContain('FOREIGN KEY (agency_code) REFERENCES agencies(code)');
  }, 120_000);

  test('SIGINT while loading into an empty table: exit 130, nothing stored, its foreign key in place', async () => {
    await t.clear();
    expect((await cli(['import', 'agencies', agencies])).code).toBe(0);
    const keys = await constraints();
    const r = await killMidway('SIGINT');
    expect(r.code).toBe(130);
    expect(Number((await t.db.knex('services').count({ n: '*' }).first())!.n)).toBe(0);
    expect(await constraints()).toEqual(keys);
  }, 120_000);

  test('SIGKILL while importing into a filled table leaves every record as it was', async () => {
    await t.clear();
    expect((await cli(['import', 'agencies', agencies])).code).toBe(0);
    expect((await cli(['import', 'services', small])).code).toBe(0);
    const r = await killMidway('SIGKILL');
    expect(r.signal).toBe('SIGKILL');
    expect(Number((await t.db.knex('services').count({ n: '*' }).first())!.n)).toBe(500);
  }, 120_000);

  test('SIGINT rolls back, says so, exits 130 and records the interruption', async () => {
    await t.clear();
    expect((await cli(['import', 'agencies', agencies])).code).toBe(0);
    expect((await cli(['import', 'services', small])).code).toBe(0);
    const r = await killMidway('SIGINT');
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('interrupted by SIGINT');
    const audit = await t.db.knex('audit_log').select('outcome', 'exit_code').orderBy('id', 'desc').first();
    expect([audit.outcome, Number(audit.exit_code)]).toEqual(['interrupted', 130]);
  }, 120_000);
});
