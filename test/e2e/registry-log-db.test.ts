import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openCheckpoint } from '../../src/registry/log/checkpoint.js';
import { readVerifierKey } from '../../src/registry/log/key-file.js';
import { BIN, ROOT, runCli, scratch } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/pg.js';

// The walk-through of issue 15 through the built binary, on both databases: import, a fee
// changed by re-import, retire, purge; registry log + checkpoint --sign-key; the files
// verified with no database; a row edited with plain SQL makes registry verify exit 3.

const SAMPLES = path.join(ROOT, 'samples');

describe.each(['pg', 'sqlite'] as const)('registry log from the database (%s, e2e)', (dialect) => {
  let home: ReturnType<typeof scratch>;
  let url: string;
  let drop = async () => {};
  const f = (n: string) => path.join(home.dir, n);
  const cli = (...args: string[]) => runCli(['--db', url, ...args], { env: home.env, cwd: home.dir });

  beforeAll(async () => {
    home = scratch();
    if (dialect === 'pg') {
      const t = await createTestDatabase();
      url = t.url;
      drop = t.drop;
    } else url = `sqlite:${f('agency.sqlite')}`;
    expect((await cli('migrate', 'latest')).code).toBe(0);
  });
  afterAll(async () => {
    await drop();
    home.cleanup();
  });

  test('import, change, retire, purge; log, checkpoint --sign-key, verify --log --checkpoint --key; SQL edit → exit 3', async () => {
    expect((await cli('import', 'agencies', path.join(SAMPLES, 'agencies.csv'))).code).toBe(0);
    expect((await cli('import', 'services', path.join(SAMPLES, 'services.csv'))).code).toBe(0);
    const text = fs.readFileSync(path.join(SAMPLES, 'services.csv'), 'utf8');
    fs.writeFileSync(f('services2.csv'), text.replace(',G2B,business,active,,0.5,0,portal|center|api', ',G2B,business,active,,0.75,0,portal|center|api'));
    expect(fs.readFileSync(f('services2.csv'), 'utf8')).not.toBe(text);
    expect((await cli('import', 'services', f('services2.csv'))).code).toBe(0);
    expect((await cli('registry', 'retire', 'BIZ-0001', '--yes')).code).toBe(0);
    expect((await cli('registry', 'purge', '--status', 'retired', '--yes', '--no-backup')).code).toBe(0);

    const v = await cli('registry', 'verify');
    expect(v.stderr).toContain('0 errors');
    expect(v.stdout).toContain('verified');
    expect(v.code).toBe(0);

    const key = await cli('registry', 'keygen', '--name', 'egov.uz/registry', '--out', f('log.key'));
    expect(key.code).toBe(0);
    const vkey = key.stdout.trim();
    const log = await cli('registry', 'log', '--out', f('registry.log'), '--manifest');
    expect(log.code, log.stderr).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(f('registry.log.manifest.json'), 'utf8')) as { size: number; root: string };
    const cp = await cli('registry', 'checkpoint', '--sign-key', f('log.key'));
    expect(cp.code, cp.stderr).toBe(0);
    expect(cp.stderr).toBe('');
    fs.writeFileSync(f('checkpoint.txt'), cp.stdout);
    const { checkpoint, note } = openCheckpoint(Buffer.from(cp.stdout), [readVerifierKey(vkey)]);
    expect(note).not.toBeNull();
    expect(checkpoint.origin).toBe(dialect === 'pg' ? `egovctl/${new URL(url).pathname.slice(1)}` : 'egovctl/agency');
    expect({ size: checkpoint.size, root: checkpoint.root.toString('base64') }).toEqual({ size: manifest.size, root: manifest.root });
    expect(fs.readFileSync(f('registry.log'), 'utf8').trim().split('\n')).toHaveLength(manifest.size);
    // the history of BIZ-0001: put (import), put (fee), put (retire), delete (purge)
    const ops = fs.readFileSync(f('registry.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l.split('\t')[0]!) as { key: string; op: string })
      .filter((e) => e.key === 'BIZ-0001').map((e) => e.op);
    expect(ops).toEqual(['put', 'put', 'put', 'delete']);

    // a third party, with no database at all
    const third = scratch();
    try {
      const r = await runCli(['registry', 'verify', '--log', f('registry.log'), '--checkpoint', f('checkpoint.txt'), '--key', vkey, '--json'], { env: third.env, cwd: third.dir });
      expect(r.code, r.stdout).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, size: manifest.size, checkpoints: [{ signature: 'verified', root_matches: true }] });
    } finally {
      third.cleanup();
    }
    // the database's own log against the checkpoint, too
    const vc = await cli('registry', 'verify', '--checkpoint', f('checkpoint.txt'), '--key', vkey, '--json');
    expect(vc.code).toBe(0);

    // one row edited behind the tool's back
    const k = knexFactory(dialect === 'pg' ? { client: 'pg', connection: url } : { client: 'better-sqlite3', connection: { filename: f('agency.sqlite') }, useNullAsDefault: true });
    try {
      await k('services').where({ code: 'BIZ-0002' }).update({ name_en: 'Edited by hand' });
    } finally {
      await k.destroy();
    }
    const bad = await cli('registry', 'verify');
    expect(bad.code).toBe(3);
    expect(bad.stdout).toContain('BIZ-0002');
    expect(bad.stdout).toContain('name_en');
    expect(bad.stdout).toContain('NOT verified');
    const badJson = await cli('registry', 'verify', '--json');
    expect(badJson.code).toBe(3);
    const issues = JSON.parse(badJson.stdout).issues as Array<{ value: string; message: string }>;
    expect(issues).toEqual([expect.objectContaining({ code: 'log-drift', key: 'BIZ-0002', field: 'name_en', value: 'Edited by hand' })]);
    // put back as the log has it: verifies again
    const was = /name_en is "(.*)" in the log/.exec(issues[0]!.message)![1]!;
    const k2 = knexFactory(dialect === 'pg' ? { client: 'pg', connection: url } : { client: 'better-sqlite3', connection: { filename: f('agency.sqlite') }, useNullAsDefault: true });
    try {
      await k2('services').where({ code: 'BIZ-0002' }).update({ name_en: was });
    } finally {
      await k2.destroy();
    }
    expect((await cli('registry', 'verify')).code).toBe(0);
  });

  test('checkpoint origin from logOrigin in the config file; a bad logOrigin is exit 2', async () => {
    const cfg = f('egovctl.json');
    fs.writeFileSync(cfg, JSON.stringify({ targets: { main: { url, logOrigin: 'egov.uz/registry' } } }));
    const r = await runCli(['--config', cfg, '--target', 'main', 'registry', 'checkpoint', '--json'], { env: home.env, cwd: home.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ origin: 'egov.uz/registry', signed: false });
    expect(JSON.parse(r.stdout).note).toMatch(/^egov\.uz\/registry\n[0-9]+\n[A-Za-z0-9+/=]{44}\naudit [0-9]+ (sha-256:[0-9a-f]{64}|null)\n$/);
    fs.writeFileSync(cfg, JSON.stringify({ targets: { main: { url, logOrigin: 'two\nlines' } } }));
    const bad = await runCli(['--config', cfg, '--target', 'main', 'registry', 'checkpoint'], { env: home.env, cwd: home.dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('logOrigin');
  });

  const withKnex = async <T>(fn: (k: ReturnType<typeof knexFactory>) => Promise<T>): Promise<T> => {
    const k = knexFactory(dialect === 'pg' ? { client: 'pg', connection: url } : { client: 'better-sqlite3', connection: { filename: f('agency.sqlite') }, useNullAsDefault: true });
    try {
      return await fn(k);
    } finally {
      await k.destroy();
    }
  };
  const numbers = () => withKnex(async (k) => ((await k('registry_log_entries').select('number').orderBy('number')) as Array<{ number: number | string }>).map((r) => Number(r.number)));
  /** A services file of copies of BIZ-0002 under new codes. */
  const copies = async (prefix: string, n: number) => {
    const e = await cli('export', 'services', '--format', 'ndjson');
    const base = e.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r.code === 'BIZ-0002')!;
    const file = f(`${prefix}.ndjson`);
    fs.writeFileSync(file, Array.from({ length: n }, (_, i) => JSON.stringify({ ...base, code: `${prefix}-${String(i + 1).padStart(4, '0')}` })).join('\n') + '\n');
    return file;
  };
  /** Starts an import paused just before COMMIT (after its entries are appended). */
  const pausedImport = (file: string, pauseMs: number) => {
    const child = spawn(process.execPath, [BIN, '--db', url, 'import', 'services', file], {
      cwd: home.dir, env: { ...home.env, EGOVCTL_TEST_PAUSE_AT: 'commit', EGOVCTL_TEST_PAUSE_MS: String(pauseMs) }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const paused = new Promise<void>((resolve) => child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (stderr.includes('test pause: commit')) resolve();
    }));
    const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    return { child, paused, done, stderr: () => stderr };
  };

  test('an import interrupted at its commit decision (its entries already appended) leaves none behind', async () => {
    const before = await numbers();
    const file = await copies('INT', 3);
    const run = pausedImport(file, 20_000);
    await run.paused;
    run.child.kill('SIGINT');
    expect(await run.done).toBe(130);
    expect(await numbers()).toEqual(before);
    expect((await cli('registry', 'verify')).code).toBe(0);
  });

  test.runIf(dialect === 'pg')('concurrent imports append one after the other: numbers gapless, every head verifies', async () => {
    const before = await numbers();
    const a = pausedImport(await copies('CONA', 40), 1500);
    await a.paused;
    // b reaches its append while a holds the log's lock: it waits, then follows a
    const b = runCli(['--db', url, 'import', 'services', await copies('CONB', 40)], { env: home.env, cwd: home.dir });
    const [ca, cb] = await Promise.all([a.done, b]);
    expect(ca, a.stderr()).toBe(0);
    expect(cb.code, cb.stderr).toBe(0);
    const after = await numbers();
    expect(after).toEqual(Array.from({ length: before.length + 80 }, (_, i) => i + 1));
    const keys = await withKnex(async (k) => ((await k('registry_log_entries').select('key').where('number', '>', before.length).orderBy('number')) as Array<{ key: string }>).map((r) => r.key.slice(0, 4)));
    expect(keys).toEqual([...Array(40).fill('CONA'), ...Array(40).fill('CONB')]);
    const v = await cli('registry', 'verify', '--json');
    expect(v.code, v.stdout).toBe(0);
  });
});
