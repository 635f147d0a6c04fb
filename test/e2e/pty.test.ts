import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { runPty } from '../helpers/pty.js';
import { auditRows, codes, openTestDb, seed, SERVICES, type Dialect, type TestDb } from '../helpers/registry-seed.js';

// A user at a real terminal: the built binary under a pseudo-terminal, for each kind of
// prompt (yes/no, typed name), and an interrupt while a prompt waits.

describe.each<Dialect>(['sqlite', 'pg'])('at a terminal, on %s', (dialect) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await openTestDb(dialect);
    await seed(t.db);
  });
  afterEach(async () => t?.cleanup());
  const env = () => ({ ...t.env, NO_COLOR: '1' });
  const retired = SERVICES.filter((s) => s.status === 'retired').map((s) => s.code);

  test('registry purge: shows count and target; n leaves everything; y deletes and prints the backup path', async () => {
    const no = await runPty(['--db', t.url, 'registry', 'purge', '--status', 'retired'], [{ expect: /Delete 4 services\?/, send: 'n\r' }], { env: env() });
    expect(no.terminal).toContain(`About to delete 4 services on target ${t.shownName}`);
    expect(no.terminal).toContain('table services: 4 records with status retired');
    expect(no.code).toBe(4);
    expect(no.terminal).toContain('not confirmed; nothing was changed');
    expect(await codes(t.db)).toEqual(SERVICES.map((s) => s.code));

    const yes = await runPty(['--db', t.url, 'registry', 'purge', '--status', 'retired'], [{ expect: /Delete 4 services\?/, send: 'y\r' }], { env: env() });
    expect(yes.code).toBe(0);
    expect(yes.stdout).toMatch(new RegExp(`^deleted 4 services from target .*\\nbackup: ${t.dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/backups/.+\\.ndjson\\n$`));
    expect(await codes(t.db)).toEqual(SERVICES.map((s) => s.code).filter((c) => !retired.includes(c)));
    expect((await auditRows(t)).map((a) => a.outcome)).toEqual(['ok', 'refused']);
  });

  test('db reset: a mistyped name drops nothing; the right name drops every table', async () => {
    const wrong = await runPty(['--db', t.url, 'db', 'reset'], [{ expect: /Type the database name \(.+\) to confirm:/, send: 'registr\r' }], { env: env() });
    expect(wrong.code).toBe(4);
    expect(wrong.terminal).toContain('drops table services with 8 rows');
    expect(await t.db.knex.schema.hasTable('services')).toBe(true);
    expect(await codes(t.db)).toEqual(SERVICES.map((s) => s.code));

    const right = await runPty(['--db', t.url, 'db', 'reset'], [{ expect: /Type the database name \(.+\) to confirm:/, send: `${t.database}\r` }], { env: env() });
    expect(right.code).toBe(0);
    expect(right.stdout).toContain('backup of 8 services: ');
    expect(await t.db.knex.schema.hasTable('services')).toBe(false);
    expect(await t.db.knex.schema.hasTable('audit_log')).toBe(false);
  });

  test('SIGINT while the prompt waits: exit 130, nothing deleted, outcome interrupted', async () => {
    const started = Date.now();
    const r = await runPty(['--db', t.url, 'registry', 'purge', '--status', 'retired'], [{ expect: /Delete 4 services\?/, signal: 'SIGINT' }], { env: env() });
    expect(r.code).toBe(130);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(r.terminal).toContain('interrupted by SIGINT');
    expect(await codes(t.db)).toEqual(SERVICES.map((s) => s.code));
    const [row] = await auditRows(t);
    expect(row).toMatchObject({ command: 'registry purge', outcome: 'interrupted' });
  });

  test('Ctrl-C typed at the prompt is an interrupt too: exit 130, outcome interrupted', async () => {
    const r = await runPty(['--db', t.url, 'registry', 'purge', '--status', 'retired'], [{ expect: /Delete 4 services\?/, send: '\x03' }], { env: env() });
    expect(r.code).toBe(130);
    expect(r.terminal).toContain('interrupted by Ctrl-C at the prompt; nothing was changed');
    expect(await codes(t.db)).toEqual(SERVICES.map((s) => s.code));
    const [row] = await auditRows(t);
    expect(row).toMatchObject({ command: 'registry purge', outcome: 'interrupted' });
  });

  test('SIGTERM at the typed-name prompt of db reset: exit 143, tables kept, outcome interrupted', async () => {
    const r = await runPty(['--db', t.url, 'db', 'reset'], [{ expect: /Type the database name/, signal: 'SIGTERM' }], { env: env() });
    expect(r.code).toBe(143);
    expect(await t.db.knex.schema.hasTable('services')).toBe(true);
    const [row] = await auditRows(t);
    expect(row).toMatchObject({ command: 'db reset', outcome: 'interrupted' });
  });
});
