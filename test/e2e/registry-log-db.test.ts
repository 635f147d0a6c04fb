import fs from 'node:fs';
import path from 'node:path';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openCheckpoint } from '../../src/registry/log/checkpoint.js';
import { readVerifierKey } from '../../src/registry/log/key-file.js';
import { ROOT, runCli, scratch } from '../helpers/cli.js';
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
    expect(JSON.parse(badJson.stdout).issues).toEqual([expect.objectContaining({ code: 'log-drift', key: 'BIZ-0002', field: 'name_en' })]);
  });

  test('checkpoint origin from logOrigin in the config file; a bad logOrigin is exit 2', async () => {
    const cfg = f('egovctl.json');
    fs.writeFileSync(cfg, JSON.stringify({ targets: { main: { url, logOrigin: 'egov.uz/registry' } } }));
    const r = await runCli(['--config', cfg, '--target', 'main', 'registry', 'checkpoint', '--json'], { env: home.env, cwd: home.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ origin: 'egov.uz/registry', signed: false });
    expect(JSON.parse(r.stdout).note).toMatch(/^egov\.uz\/registry\n[0-9]+\n[A-Za-z0-9+/=]{44}\n$/);
    fs.writeFileSync(cfg, JSON.stringify({ targets: { main: { url, logOrigin: 'two\nlines' } } }));
    const bad = await runCli(['--config', cfg, '--target', 'main', 'registry', 'checkpoint'], { env: home.env, cwd: home.dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('logOrigin');
  });
});
