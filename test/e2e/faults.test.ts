import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BIN, runCli, scratch } from '../helpers/cli.js';
import { agency, openTestDb, service, writeFile, AGENCY_HEADER, SERVICE_HEADER, type Dialect, type TestDb } from '../fixtures/import/setup.js';
import { startCli } from '../faults/trial.js';

// Issue 12, items 3, 4, 7, 8, 9: faults other than an interrupt at a phase boundary —
// a frozen network link, another session's lock, a FIFO with no writer, a full disk
// (a small tmpfs when this machine lets the test mount one; /dev/full for standard
// output), special files as --out, stale temporary files, file modes, lost connections,
// and what the audit trail says about dry runs and `export | head`.

const N = 20_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TCP proxy to PostgreSQL that can stop forwarding (both ways) without closing anything. */
function frozenProxy(target: { host: string; port: number }) {
  let frozen = false;
  let fromServer = 0;
  let freezeAfter = Infinity;
  const pairs: Array<[net.Socket, net.Socket]> = [];
  const server = net.createServer((client) => {
    const up = net.connect(target.port, target.host);
    pairs.push([client, up]);
    client.on('error', () => {});
    up.on('error', () => {});
    client.on('data', (d) => {
      if (!frozen) up.write(d);
    });
    up.on('data', (d) => {
      fromServer += d.length;
      if (fromServer > freezeAfter) frozen = true;
      if (!frozen) client.write(d);
    });
  });
  return {
    listen: () => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port))),
    freeze: () => (frozen = true),
    freezeAfterBytes: (n: number) => (freezeAfter = fromServer + n),
    close: () => {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      server.close();
    },
  };
}

describe.each<Dialect>(['pg', 'sqlite'])('faults on %s', (dialect) => {
  let t: TestDb;
  let home: ReturnType<typeof scratch>;
  let big: string;
  beforeAll(async () => {
    t = await openTestDb(dialect);
    home = scratch();
    const agencies = writeFile(home.dir, 'agencies.csv', [AGENCY_HEADER, agency('AG1')]);
    big = writeFile(home.dir, 'big.csv', [SERVICE_HEADER, ...Array.from({ length: N }, (_, i) => service(`B-${String(i).padStart(6, '0')}`, 'AG1', { description: 'z'.repeat(200) }))]);
    expect((await cli(['import', 'agencies', agencies])).code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    home?.cleanup();
  });
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(['--db', t.url, ...args], { env: { ...home.env, ...env } });
  const count = async (table = 'services') => Number(((await t.db.knex(table).count({ n: '*' }))[0] as { n: number | string }).n);
  const lastAudit = async () => t.db.knex('audit_log').orderBy('id', 'desc').first();
  const auditCount = () => count('audit_log');

  test.runIf(dialect === 'pg')('first load: readers of services AND agencies wait (as the README says); a staged import blocks no reader', async () => {
    await t.db.knex('services').del();
    const tryRead = async (table: string) => {
      const c = new pg.Client({ connectionString: t.url });
      await c.connect();
      try {
        await c.query(`set lock_timeout = '500ms'`);
        await c.query(`select count(*) from ${table}`);
        return 'read';
      } catch (err) {
        return (err as { code?: string }).code;
      } finally {
        await c.end();
      }
    };
    const p = startCli(['--db', t.url, 'import', 'services', big], { ...home.env, EGOVCTL_TEST_PAUSE_AT: 'read', EGOVCTL_TEST_PAUSE_MS: '20000' });
    expect(await p.waitFor('test pause: read')).toBe(true);
    expect(await tryRead('services')).toBe('55P03');
    expect(await tryRead('agencies')).toBe('55P03');
    p.send('SIGINT');
    expect((await p.ended()).code).toBe(130);
    // with rows in the table the import is staged: readers go on
    expect((await cli(['import', 'services', big])).code).toBe(0);
    const q = startCli(['--db', t.url, 'import', 'services', big], { ...home.env, EGOVCTL_TEST_PAUSE_AT: 'checks', EGOVCTL_TEST_PAUSE_MS: '20000' });
    expect(await q.waitFor('test pause: checks')).toBe(true);
    expect(await tryRead('services')).toBe('read');
    expect(await tryRead('agencies')).toBe('read');
    q.send('SIGINT');
    expect((await q.ended()).code).toBe(130);
  }, 60_000);

  test('another session holds the table: --lock-timeout, then exit 6 naming the holder; the audit row says 6', async () => {
    if ((await count()) === 0) expect((await cli(['import', 'services', big])).code).toBe(0);
    const audits = await auditCount();
    let release: () => Promise<void>;
    if (dialect === 'pg') {
      const c = new pg.Client({ connectionString: t.url, application_name: 'lock-holder-test' });
      await c.connect();
      await c.query('begin');
      await c.query('lock table services in access exclusive mode');
      release = async () => {
        await c.query('rollback');
        await c.end();
      };
    } else {
      const Database = (await import('better-sqlite3')).default;
      const h = new Database(t.target.file!);
      h.exec('begin immediate');
      release = async () => {
        h.exec('rollback');
        h.close();
      };
    }
    try {
      const args = dialect === 'pg' ? ['--lock-timeout', '1', 'export', 'services'] : ['--lock-timeout', '1', 'import', 'services', big];
      const started = Date.now();
      const r = await cli(args);
      expect(r.code, r.stderr).toBe(6);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(r.stderr).toContain('--lock-timeout');
      if (dialect === 'pg') expect(r.stderr).toMatch(/held by pid \d+ \(application_name "lock-holder-test", user \w+\)/);
      if (dialect === 'pg') {
        expect(await auditCount()).toBe(audits + 1);
        expect(await lastAudit()).toMatchObject({ outcome: 'failed', exit_code: 6 });
      } else {
        // the holder has the file's write lock: the audit row cannot be written either, and it says so
        expect(r.stderr).toContain('no audit row was written');
      }
    } finally {
      await release();
    }
  }, 60_000);

  test.runIf(dialect === 'pg')('a link that stops forwarding is detected: exit 5 within a bound, never a hang', async () => {
    if ((await count()) === 0) expect((await cli(['import', 'services', big])).code).toBe(0);
    const u = new URL(t.url);
    const proxy = frozenProxy({ host: u.hostname, port: Number(u.port || 5432) });
    const port = await proxy.listen();
    const via = new URL(t.url);
    via.port = String(port);
    try {
      // mid-export: the link freezes after 256 KB of rows
      proxy.freezeAfterBytes(256 << 10);
      const started = Date.now();
      const r = await runCli(['--db', via.toString(), '--idle-timeout', '2', 'export', 'services'], { env: home.env, timeoutMs: 60_000 });
      expect(r.signal, r.stderr).toBeNull();
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).not.toContain('bug');
      expect(Date.now() - started).toBeLessThan(45_000);
    } finally {
      proxy.close();
    }
    // frozen during a statement of an import (the pause is pg_sleep on its connection)
    const proxy2 = frozenProxy({ host: u.hostname, port: Number(u.port || 5432) });
    via.port = String(await proxy2.listen());
    try {
      const p = startCli(['--db', via.toString(), '--idle-timeout', '2', 'import', 'services', big], { ...home.env, EGOVCTL_TEST_PAUSE_AT: 'checks', EGOVCTL_TEST_PAUSE_MS: '60000' });
      expect(await p.waitFor('test pause: checks')).toBe(true);
      proxy2.freeze();
      const r = await p.ended(45_000);
      expect(r.hung, r.stderr).toBe(false);
      expect(r.code, r.stderr).toBe(5);
    } finally {
      proxy2.close();
    }
  }, 120_000);

  test.runIf(dialect === 'pg')('a connection ended by the server (57P01, as in a restart) is exit 5, not 1', async () => {
    if ((await count()) === 0) expect((await cli(['import', 'services', big])).code).toBe(0);
    const p = startCli(['--db', t.url, 'import', 'services', big], { ...home.env, EGOVCTL_TEST_PAUSE_AT: 'checks', EGOVCTL_TEST_PAUSE_MS: '20000' });
    expect(await p.waitFor('test pause: checks')).toBe(true);
    // the pause line is said just before its statement is sent: look until it runs
    for (let i = 0; i < 50; i++) {
      const r = await t.db.knex.raw(`select pg_terminate_backend(pid) as done from pg_stat_activity where application_name = 'egovctl' and query like '%pg_sleep%' and state = 'active' and pid <> pg_backend_pid()`);
      if (r.rows.length) break;
      await sleep(100);
    }
    const r = await p.ended();
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).not.toContain('bug');
  }, 60_000);

  test('a FIFO with no writer: a second SIGINT always ends the process (130)', async () => {
    const fifo = path.join(home.dir, `nowriter-${dialect}.csv`);
    execFileSync('mkfifo', [fifo]);
    for (const args of [['validate', 'file', 'services', fifo], ['--db', t.url, 'import', 'services', fifo]]) {
      const p = startCli(args, home.env);
      await sleep(800);
      p.send('SIGINT');
      await sleep(500);
      p.send('SIGINT');
      const r = await p.ended(10_000);
      expect(r.hung, `${args.join(' ')}: ${r.stderr}`).toBe(false);
      // ended by the signal's default action: the shell sees 130
      expect(r.code === 130 || r.signal === 'SIGINT', `${r.code} ${r.signal}`).toBe(true);
    }
  }, 60_000);

  test('dry run writes no audit row; `export | head` writes one saying the reader closed the pipe', async () => {
    if ((await count()) === 0) expect((await cli(['import', 'services', big])).code).toBe(0);
    const before = await auditCount();
    expect((await cli(['import', 'services', big, '--dry-run'])).code).toBe(0);
    expect((await cli(['import', 'services', big, '--mode', 'replace', '--dry-run'])).code).toBe(0);
    expect(await auditCount()).toBe(before);
    const child = spawn(process.execPath, [BIN, '--db', t.url, 'export', 'services'], { env: home.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.once('data', () => child.stdout.destroy()); // as head does after its lines
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code, stderr).toBe(0);
    expect(await auditCount()).toBe(before + 1);
    const row = await lastAudit();
    expect(row).toMatchObject({ command: 'export', outcome: 'ok' });
    expect(String(row.message)).toContain('closed the pipe');
  }, 60_000);

  test('standard output on a full disk (/dev/full) is exit 2, for data and for a report', async () => {
    for (const args of [['export', 'services'], ['migrate', 'status']]) {
      const out = fs.openSync('/dev/full', 'w');
      const child = spawn(process.execPath, [BIN, '--db', t.url, ...args], { env: home.env, stdio: ['ignore', out, 'pipe'] });
      fs.closeSync(out);
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const code = await new Promise<number | null>((r) => child.on('close', r));
      expect(code, `${args.join(' ')}: ${stderr}`).toBe(2);
      expect(stderr).toContain('no space left');
    }
  }, 60_000);

  test('migrate down <unknown name> is exit 6, as migrate up <unknown name>', async () => {
    expect((await cli(['migrate', 'up', 'no_such_migration'])).code).toBe(6);
    const r = await cli(['migrate', 'down', 'no_such_migration', '--yes']);
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toContain('no_such_migration');
  });
});

describe('files: special --out, stale temporaries, modes, a full disk', () => {
  let home: ReturnType<typeof scratch>;
  let url: string;
  const cli = (args: string[]) => runCli(['--db', url, ...args], { env: home.env, cwd: home.dir });
  beforeAll(async () => {
    home = scratch();
    url = `sqlite:${path.join(home.dir, 'f.sqlite')}`;
    expect((await cli(['migrate', 'latest'])).code).toBe(0);
    const ag = writeFile(home.dir, 'agencies.csv', [AGENCY_HEADER, agency('AG1'), agency('AG2')]);
    expect((await cli(['import', 'agencies', ag])).code).toBe(0);
    const sv = writeFile(home.dir, 'services.csv', [SERVICE_HEADER, ...Array.from({ length: 2000 }, (_, i) => service(`F-${i}`, 'AG1', { description: 'q'.repeat(100) }))]);
    expect((await cli(['import', 'services', sv])).code).toBe(0);
  }, 60_000);
  afterAll(() => home?.cleanup());

  test('--out onto a FIFO or a character device writes into it as a stream; a socket is exit 2', async () => {
    const fifo = path.join(home.dir, 'out.fifo');
    execFileSync('mkfifo', [fifo]);
    const got: Buffer[] = [];
    const reader = fs.createReadStream(fifo);
    reader.on('data', (d) => got.push(d as Buffer));
    const done = new Promise<void>((r) => reader.on('close', () => r()));
    const r = await cli(['export', 'services', '--out', fifo]);
    expect(r.code, r.stderr).toBe(0);
    await done;
    const plain = await cli(['export', 'services']);
    expect(Buffer.concat(got).toString('utf8')).toBe(plain.stdout);
    expect(fs.statSync(fifo).isFIFO()).toBe(true);
    expect((await cli(['export', 'services', '--out', '/dev/null'])).code).toBe(0);
    expect(fs.statSync('/dev/null').isCharacterDevice()).toBe(true);
    const sockPath = path.join(home.dir, 's.sock');
    const server = net.createServer().listen(sockPath);
    await new Promise((r) => server.on('listening', r));
    try {
      const s = await cli(['export', 'services', '--out', sockPath]);
      expect(s.code, s.stderr).toBe(2);
      expect(s.stderr).toContain('socket');
    } finally {
      server.close();
    }
  }, 60_000);

  test('a stale temporary file of a dead run is removed by the next run; a live run\'s is kept', async () => {
    const out = path.join(home.dir, 'x.csv');
    const dead = path.join(home.dir, '.x.csv.egovctl-tmp-999999-0');
    const live = path.join(home.dir, `.x.csv.egovctl-tmp-${process.pid}-0`);
    fs.writeFileSync(dead, 'partial');
    fs.writeFileSync(live, 'in progress');
    expect((await cli(['export', 'services', '--out', out])).code).toBe(0);
    expect(fs.existsSync(dead)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
    expect(fs.readdirSync(home.dir).filter((n) => n.startsWith('.x.csv.') && n !== path.basename(live))).toEqual([]);
    fs.rmSync(live);
  });

  test('modes under umask 022: embedded database and its directory private, reject files and backups 0600, exports 0644', async () => {
    const old = process.umask(0o022);
    try {
      const env = { ...home.env, XDG_DATA_HOME: path.join(home.dir, 'xdg') };
      expect((await runCli(['migrate', 'latest'], { env, cwd: home.dir })).code).toBe(0);
      const dir = path.join(home.dir, 'xdg', 'egovctl');
      expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
      expect(fs.statSync(path.join(dir, 'egovctl.sqlite')).mode & 0o777).toBe(0o600);
      const bad = writeFile(home.dir, 'bad.csv', [SERVICE_HEADER, service('F-1', 'AG1'), service('bad code', 'AG1')]);
      const rej = path.join(home.dir, 'rej.ndjson');
      expect((await cli(['import', 'services', bad, '--max-errors', '5', '--reject-file', rej])).code).toBe(0);
      expect(fs.statSync(rej).mode & 0o777).toBe(0o600);
      const backup = path.join(home.dir, 'b.ndjson');
      const one = writeFile(home.dir, 'one.csv', [SERVICE_HEADER, service('F-1', 'AG1')]);
      expect((await cli(['import', 'services', one, '--mode', 'replace', '--yes', '--backup', backup])).code).toBe(0);
      expect(fs.statSync(backup).mode & 0o777).toBe(0o600);
      const exp = path.join(home.dir, 'e.csv');
      expect((await cli(['export', 'services', '--out', exp, '--manifest'])).code).toBe(0);
      expect(fs.statSync(exp).mode & 0o777).toBe(0o644);
    } finally {
      process.umask(old);
    }
  }, 60_000);

  const mnt = path.join('/tmp', `egovctl-tmpfs-${process.pid}`);
  const canMount = (() => {
    try {
      fs.mkdirSync(mnt, { recursive: true });
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  afterAll(() => {
    if (canMount) execFileSync('umount', [mnt], { stdio: 'ignore' });
    fs.rmSync(mnt, { recursive: true, force: true });
  });

  test.runIf(canMount)('a full disk (small tmpfs): the good export and manifest stay, reject file and backup are exit 2, nothing changes', async () => {
    const out = path.join(mnt, 'agencies.csv');
    expect((await cli(['export', 'agencies', '--out', out, '--manifest'])).code).toBe(0);
    const before = { data: fs.readFileSync(out), manifest: fs.readFileSync(`${out}.manifest.json`) };
    // fill the disk to a few bytes
    const fill = path.join(mnt, 'fill');
    try {
      fs.writeFileSync(fill, Buffer.alloc(1 << 20));
    } catch {
      // ENOSPC: full, as wanted
    }
    for (let i = 0; i < 64; i++) {
      try {
        fs.appendFileSync(fill, Buffer.alloc(512));
      } catch {
        break;
      }
    }
    const r = await cli(['export', 'agencies', '--out', out, '--manifest']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('no space left');
    expect(fs.readFileSync(out)).toEqual(before.data);
    expect(fs.readFileSync(`${out}.manifest.json`)).toEqual(before.manifest);
    const big = writeFile(home.dir, 'bad-many.csv', [SERVICE_HEADER, ...Array.from({ length: 3000 }, (_, i) => service(`bad code ${i}`, 'AG1'))]);
    const rj = await cli(['import', 'services', big, '--max-errors', '5000', '--reject-file', path.join(mnt, 'rej.ndjson')]);
    expect(rj.code, rj.stderr).toBe(2);
    const keep = writeFile(home.dir, 'keep-one.csv', [SERVICE_HEADER, service('NEW-1', 'AG1')]);
    const rows = (await cli(['--json', 'registry', 'list', '--limit', '0'])).stdout;
    const b = await cli(['import', 'services', keep, '--mode', 'replace', '--yes', '--backup', path.join(mnt, 'backup.ndjson')]);
    expect(b.code, b.stderr).toBe(2);
    expect((await cli(['--json', 'registry', 'list', '--limit', '0'])).stdout).toBe(rows);
    expect(fs.readdirSync(mnt).filter((n) => n.includes('egovctl-tmp'))).toEqual([]);
  }, 60_000);
});
