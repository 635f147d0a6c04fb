import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROOT, runCli, scratch, type CliResult } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/pg.js';

// Issue 12, item 2: a password, in every form libpq and node-postgres accept, never shows
// in any command's standard output or error, nor in the audit table (target, args,
// message). The test server trusts local connections, so any password is accepted and
// every command runs for real. A raw "@" inside the password checks that the userinfo
// is cut at the last "@" (as node-postgres parses it), not the first.

const SECRET = 'Qx7vK@Lm9zR2';
/** every piece long enough to tell: a leak of part of the password is a leak */
const PIECES = ['Qx7vK', 'Lm9zR2', 'x7vK@L', 'Qx7vK%40', 'K%40Lm9'];

function leaks(text: string): string[] {
  return PIECES.filter((p) => text.includes(p));
}

describe('no form of a password is shown or stored', () => {
  let db: { url: string; drop: () => Promise<void> };
  let home: ReturnType<typeof scratch>;
  let forms: Array<{ name: string; args: string[]; env: NodeJS.ProcessEnv }>;

  beforeAll(async () => {
    db = await createTestDatabase('egovctl_sec');
    home = scratch();
    const u = new URL(db.url);
    const hostPart = `${u.hostname}:${u.port || 5432}${u.pathname}`;
    const passfile = path.join(home.dir, 'pgpass');
    fs.writeFileSync(passfile, `*:*:*:*:${SECRET}\n`, { mode: 0o600 });
    fs.writeFileSync(path.join(home.dir, 'egovctl.config.json'), JSON.stringify({ targets: { central: { url: `postgres://${u.username}@${hostPart}`, passwordEnv: 'CENTRAL_PGPASSWORD' } } }));
    const env = { ...home.env, PGPASSFILE: passfile };
    forms = [
      { name: 'userinfo, raw @', args: ['--db', `postgres://${u.username}:${SECRET}@${hostPart}`], env },
      { name: 'userinfo, encoded', args: ['--db', `postgres://${u.username}:${encodeURIComponent(SECRET)}@${hostPart}`], env },
      { name: '?password=', args: ['--db', `postgres://${u.username}@${hostPart}?password=${SECRET}`], env },
      { name: '?sslpassword=', args: ['--db', `postgres://${u.username}@${hostPart}?sslpassword=${SECRET}`], env },
      { name: 'passfile', args: ['--db', `postgres://${u.username}@${hostPart}?passfile=${passfile}`], env },
      { name: 'env EGOVCTL_DATABASE_URL', args: [], env: { ...env, EGOVCTL_DATABASE_URL: `postgres://${u.username}:${SECRET}@${hostPart}` } },
      { name: 'config passwordEnv', args: ['--target', 'central'], env: { ...env, CENTRAL_PGPASSWORD: SECRET } },
    ];
    const first = await runCli([...forms[0]!.args, 'migrate', 'latest'], { env, cwd: home.dir });
    expect(first.code, first.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
    home?.cleanup();
  });

  const agencies = path.join(ROOT, 'test', 'fixtures', 'import', 'agencies.csv');
  const services = path.join(ROOT, 'test', 'fixtures', 'import', 'services.csv');
  // in CI a core set per form (each names the target or the URL somewhere); every command
  // with FAULT_TRIALS set (npm run test:faults)
  const CORE = ['--json doctor', 'config show', 'import agencies', 'import services --mode replace', '--json export agencies', '-v import services', '--json audit list'];
  const full = !!process.env.FAULT_TRIALS;
  const commands = (i: number): string[][] => all(i).filter((c) => full || CORE.some((k) => c.join(' ').startsWith(k)));
  const all = (i: number): string[][] => [
    ['doctor'],
    ['--json', 'doctor'],
    ['config', 'show'],
    ['--json', 'config', 'show'],
    ['--json', 'migrate', 'status'],
    ['migrate', 'latest', '--dry-run'],
    ['import', 'agencies', agencies],
    ['import', 'services', services, '--dry-run'],
    ['--json', 'import', 'services', services],
    ['import', 'services', services, '--mode', 'replace', '--dry-run'],
    ['export', 'services', '--format', 'csv'],
    ['--json', 'export', 'agencies', '--out', path.join(home.dir, `a${i}.json`), '--format', 'json'],
    ['validate', 'db'],
    ['registry', 'list'],
    ['db', 'reset', '--dry-run'],
    ['-v', 'import', 'services', path.join(home.dir, 'missing.csv')],
    ['--json', 'audit', 'list', '--limit', '500'],
    ['audit', 'list'],
  ];

  test('every command, every form: nothing on stdout, stderr or in the audit table', async () => {
    const found: string[] = [];
    for (const [i, form] of forms.entries()) {
      const list = commands(i);
      // a few at a time: two cores
      for (let k = 0; k < list.length; k += 3) {
        const runs = await Promise.all(list.slice(k, k + 3).map(async (c) => [c, await runCli([...form.args, ...c], { env: form.env, cwd: home.dir })] as [string[], CliResult]));
        for (const [c, r] of runs) {
          expect(r.code, `${form.name}: ${c.join(' ')}: ${r.stderr}`).not.toBe(1);
          for (const p of leaks(r.stdout)) found.push(`${form.name}: ${c.join(' ')}: stdout shows ${p}`);
          for (const p of leaks(r.stderr)) found.push(`${form.name}: ${c.join(' ')}: stderr shows ${p}`);
        }
      }
      // and an error that names the URL: the same server on a port nobody listens on
      const dead = form.args.length ? form.args.map((a) => a.replace(/:\d+\//, ':1/')) : [];
      const deadEnv = form.env.EGOVCTL_DATABASE_URL ? { ...form.env, EGOVCTL_DATABASE_URL: form.env.EGOVCTL_DATABASE_URL.replace(/:\d+\//, ':1/') } : form.env;
      if (form.name !== 'config passwordEnv') {
        for (const c of full ? [['-v', 'doctor'], ['--json', 'import', 'agencies', agencies], ['-v', 'export', 'services']] : [['--json', '-v', 'import', 'agencies', agencies]]) {
          const r = await runCli([...dead, ...c], { env: deadEnv, cwd: home.dir });
          expect(r.code, `${form.name} unreachable: ${c.join(' ')}: ${r.stderr}`).toBe(5);
          for (const p of leaks(r.stdout + r.stderr)) found.push(`${form.name}: unreachable ${c.join(' ')} shows ${p}`);
        }
      }
    }
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const rows = (await client.query('select * from audit_log')).rows;
      expect(rows.length).toBeGreaterThan(10);
      for (const p of leaks(JSON.stringify(rows))) found.push(`audit_log holds ${p}`);
    } finally {
      await client.end();
    }
    expect(found).toEqual([]);
  }, 300_000);
});
