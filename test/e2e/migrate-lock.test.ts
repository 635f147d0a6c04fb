import { spawn } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { LOCK_KEY } from '../../src/db/migrator.js';
import { createTestDatabase } from '../helpers/pg.js';
import { ROOT, runCli, scratch } from '../helpers/cli.js';

// SPEC §7: two runs never both apply a migration; a run that is stuck holding the lock is
// seen by doctor and cleared by `migrate unlock`; a run killed with SIGKILL leaves no lock.

let home: ReturnType<typeof scratch>;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  home = scratch();
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
  home.cleanup();
});
const cli = (args: string[]) => runCli(['--db', db.url, ...args], { env: home.env });

async function lockHeld(): Promise<boolean> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    // this database's lock only: the other test files migrate databases of their own
    const r = await c.query(`select count(*)::int as n from pg_locks where locktype = 'advisory' and granted and ((classid::bigint << 32) | objid::bigint) = $1::bigint
      and database = (select oid from pg_database where datname = current_database())`, [LOCK_KEY]);
    return r.rows[0].n > 0;
  } finally {
    await c.end();
  }
}

test('a stuck run holding the lock: latest waits then exits 6, doctor shows it, unlock clears it after confirmation', async () => {
  const stuck = new pg.Client({ connectionString: db.url, application_name: 'stuck-migration' });
  await stuck.connect();
  stuck.on('error', () => {}); // it is about to be terminated
  await stuck.query('begin');
  await stuck.query('select pg_advisory_xact_lock($1::bigint)', [LOCK_KEY]);
  const pid = (await stuck.query('select pg_backend_pid() as pid')).rows[0].pid as number;

  const latest = await cli(['migrate', 'latest', '--lock-timeout', '1']);
  expect(latest.code).toBe(6);
  expect(latest.stderr).toContain(`another migration run holds the lock (server pid ${pid}`);
  expect(latest.stderr).toContain('migrate unlock');

  const doctor = await cli(['doctor', '--json']);
  expect(JSON.parse(doctor.stdout)).toMatchObject({ locked: true, lock: { pid } });

  const refused = await cli(['migrate', 'unlock']);
  expect(refused.code).toBe(4);
  expect(refused.stderr).toContain(`ends server session ${pid} (stuck-migration)`);
  expect(await lockHeld()).toBe(true);

  const cleared = await cli(['migrate', 'unlock', '--yes', '--json']);
  expect(cleared.code).toBe(0);
  expect(JSON.parse(cleared.stdout)).toMatchObject({ locked: true, cleared: true, pid });
  for (let i = 0; i < 50 && (await lockHeld()); i++) await new Promise((r) => setTimeout(r, 100));
  expect(await lockHeld()).toBe(false);

  const again = await cli(['migrate', 'latest']);
  expect(again.code).toBe(0);
  const nothing = await cli(['migrate', 'unlock', '--json']);
  expect(JSON.parse(nothing.stdout)).toMatchObject({ locked: false, cleared: false });
});

test('a run killed with SIGKILL while holding the lock leaves no lock behind', async () => {
  // a separate process that takes the lock the way a migration run does, then is killed
  const child = spawn(process.execPath, ['--input-type=module', '-e', `
    import pg from 'pg';
    const c = new pg.Client({ connectionString: process.env.URL });
    await c.connect();
    await c.query('begin');
    await c.query('select pg_advisory_xact_lock($1::bigint)', [process.env.KEY]);
    console.log('locked');
    setInterval(() => {}, 1000);
  `], { cwd: ROOT, env: { ...process.env, URL: db.url, KEY: LOCK_KEY }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => String(d).includes('locked') && resolve()));
  expect(await lockHeld()).toBe(true);
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  for (let i = 0; i < 50 && (await lockHeld()); i++) await new Promise((r) => setTimeout(r, 100));
  expect(await lockHeld()).toBe(false);
  const status = await cli(['migrate', 'status', '--json']);
  expect(status.code).toBe(0);
  const doctor = await cli(['doctor', '--json']);
  expect(JSON.parse(doctor.stdout).locked).toBe(false);
});

test('a run migrating another database on the same server is neither reported nor ended', async () => {
  // An advisory lock belongs to its database: the same key taken elsewhere is not ours.
  const other = await createTestDatabase();
  const elsewhere = new pg.Client({ connectionString: other.url });
  await elsewhere.connect();
  try {
    await elsewhere.query('begin');
    await elsewhere.query('select pg_advisory_xact_lock($1::bigint)', [LOCK_KEY]);
    const doctor = await cli(['doctor', '--json']);
    expect(JSON.parse(doctor.stdout).locked).toBe(false);
    const unlock = await cli(['migrate', 'unlock', '--yes', '--json']);
    expect(JSON.parse(unlock.stdout)).toMatchObject({ locked: false, cleared: false });
    expect((await elsewhere.query('select 1 as alive')).rows[0].alive).toBe(1);
    expect((await cli(['migrate', 'latest', '--lock-timeout', '1'])).code).toBe(0);
  } finally {
    await elsewhere.end();
    await other.drop();
  }
});
