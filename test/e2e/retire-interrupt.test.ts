import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli, scratch } from '../helpers/cli.js';
import { agency, openTestDb, service, writeFile, AGENCY_HEADER, SERVICE_HEADER, type Dialect, type TestDb } from '../fixtures/import/setup.js';
import { startCli } from '../faults/trial.js';

// Issue 12, item 1, for `registry retire`: an interrupt that arrives before COMMIT is sent
// rolls the retirement back (exit 130/143, audit row 'interrupted', no log entry); one that
// arrives after it is too late, and the retirement stands (exit 0, stderr says so). The
// pause before COMMIT is the test hook EGOVCTL_TEST_PAUSE_AT=commit (on PostgreSQL a
// statement on the command's own connection, which the interrupt has to cancel).

describe.each<Dialect>(['pg', 'sqlite'])('registry retire interrupted on %s', (dialect) => {
  let t: TestDb;
  let home: ReturnType<typeof scratch>;
  const cli = (args: string[]) => runCli(['--db', t.url, ...args], { env: home.env });
  const state = async () => ({
    row: await t.db.knex('services').select('status', 'effective_to', 'updated_at').where({ code: 'S-1' }).first(),
    entries: Number(((await t.db.knex('registry_log_entries').count({ n: '*' }))[0] as { n: number | string }).n),
  });
  beforeAll(async () => {
    t = await openTestDb(dialect);
    home = scratch();
    const a = writeFile(home.dir, 'agencies.csv', [AGENCY_HEADER, agency('AG1')]);
    const s = writeFile(home.dir, 'services.csv', [SERVICE_HEADER, service('S-1', 'AG1'), service('S-2', 'AG1')]);
    expect((await cli(['import', 'agencies', a])).code).toBe(0);
    expect((await cli(['import', 'services', s])).code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    home?.cleanup();
  });

  test.each<NodeJS.Signals>(['SIGINT', 'SIGTERM'])('before COMMIT (%s): rolled back, and it says so truthfully', async (signal) => {
    const before = await state();
    const p = startCli(['--db', t.url, 'registry', 'retire', 'S-1', '--on', '2030-01-01'], { ...home.env, EGOVCTL_TEST_PAUSE_AT: 'commit', EGOVCTL_TEST_PAUSE_MS: '20000' });
    expect(await p.waitFor('test pause: commit')).toBe(true);
    p.send(signal);
    const r = await p.ended(10_000);
    expect(r.hung, r.stderr).toBe(false);
    expect(r.code, r.stderr).toBe(signal === 'SIGINT' ? 130 : 143);
    expect(r.stderr).toContain('rolled back');
    expect(await state()).toEqual(before);
    const row = await t.db.knex('audit_log').orderBy('id', 'desc').first();
    expect(row).toMatchObject({ command: 'registry retire', outcome: 'interrupted' });
  }, 60_000);

  test('uninterrupted, the retirement commits', async () => {
    const r = await cli(['registry', 'retire', 'S-2', '--on', '2030-01-01']);
    expect(r.code, r.stderr).toBe(0);
    expect((await t.db.knex('services').select('status').where({ code: 'S-2' }).first()).status).toBe('retired');
  });
});
