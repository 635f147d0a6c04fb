import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkpointNote } from '../../src/registry/log/checkpoint.js';
import { readSignerKeyFile } from '../../src/registry/log/key-file.js';
import { runCli, scratch } from '../helpers/cli.js';
import { ndjson, writeSampleLog } from '../helpers/log-file.js';

// registry keygen and registry verify --log through the built binary, as a third party
// with no database runs them: a log written by the writer, a checkpoint signed with a key
// keygen made, and each way the files can be wrong.

let home: ReturnType<typeof scratch>;
let log: string;
let good: string;
let keyFile: string;
let vkey: string;
let sample: Awaited<ReturnType<typeof writeSampleLog>>;
const f = (name: string) => path.join(home.dir, name);

beforeAll(async () => {
  home = scratch();
  keyFile = f('log.key');
  const r = await runCli(['registry', 'keygen', '--name', 'egovctl/e2e', '--out', keyFile], { env: home.env });
  expect(r.code, r.stderr).toBe(0);
  vkey = r.stdout.trim();
  log = f('registry.log');
  sample = await writeSampleLog(log);
  good = f('checkpoint.txt');
  fs.writeFileSync(good, checkpointNote({ origin: 'egovctl/e2e', size: sample.size, root: sample.root, audit: { rows: 0, head: null } }, readSignerKeyFile(keyFile)));
});
afterAll(() => home.cleanup());

function copyLog(name: string, change: (b: Buffer) => Buffer): string {
  const p = f(name);
  fs.writeFileSync(p, change(fs.readFileSync(log)));
  return p;
}

describe('registry keygen', () => {
  test('writes the private key with mode 0600 and prints the verifier key', () => {
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(vkey).toMatch(/^egovctl\/e2e\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    const text = fs.readFileSync(keyFile, 'utf8');
    expect(text).toMatch(/^PRIVATE\+KEY\+egovctl\/e2e\+[0-9a-f]{8}\+\S+\n$/);
    expect(text.split('+')[3]).toBe(vkey.split('+')[1]);
  });
  test('refuses to overwrite (exit 2, file unchanged); --force replaces; --json gives name, verifier_key, out', async () => {
    const before = fs.readFileSync(keyFile, 'utf8');
    const r = await runCli(['registry', 'keygen', '--name', 'egovctl/e2e', '--out', keyFile], { env: home.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--force');
    expect(r.stdout).toBe('');
    expect(fs.readFileSync(keyFile, 'utf8')).toBe(before);
    const other = f('other.key');
    fs.writeFileSync(other, 'old', { mode: 0o644 });
    const j = await runCli(['registry', 'keygen', '--name', 'other', '--out', other, '--force', '--json'], { env: home.env });
    expect(j.code, j.stderr).toBe(0);
    const doc = JSON.parse(j.stdout) as { name: string; verifier_key: string; out: string };
    expect(doc).toEqual({ name: 'other', verifier_key: expect.stringMatching(/^other\+[0-9a-f]{8}\+/), out: other });
    expect(fs.statSync(other).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(other, 'utf8')).toMatch(/^PRIVATE\+KEY\+other\+/);
  });
  test('a bad name is a usage error', async () => {
    const r = await runCli(['registry', 'keygen', '--name', 'a b', '--out', f('x.key')], { env: home.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--name');
    expect(fs.existsSync(f('x.key'))).toBe(false);
  });
});

describe('registry verify --log', () => {
  test('the log, its signed checkpoint and its export verify: exit 0', async () => {
    fs.writeFileSync(f('services.ndjson'), ndjson(sample.services));
    const r = await runCli(['registry', 'verify', '--log', log, '--checkpoint', good, '--key', vkey, '--snapshot', f('services.ndjson'), '--entity', 'services'], { env: home.env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`log ${log}: 8 entries, root ${sample.root.toString('base64')}`);
    expect(r.stdout).toContain('root matches');
    expect(r.stdout).toMatch(/verified\n$/);
    const j = await runCli(['registry', 'verify', '--log', log, '--checkpoint', good, '--key', vkey, '--json'], { env: home.env });
    expect(j.code).toBe(0);
    const doc = JSON.parse(j.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({ valid: true, source: log, records: 8, errors: 0, warnings: 0, truncated: false, issues: [], size: 8 });
    expect(j.stderr).toBe('');
  });

  test('one byte of the log changed: exit 3, the issue names the entry', async () => {
    const bad = copyLog('byte.log', (b) => {
      const at = b.indexOf('Xizmat SVC-D');
      const c = Buffer.from(b);
      c[at + 11] = 'X'.charCodeAt(0);
      return c;
    });
    const r = await runCli(['registry', 'verify', '--log', bad, '--checkpoint', good, '--key', vkey, '--json'], { env: home.env });
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout) as { valid: boolean; issues: Array<{ code: string; line: number; key: string; message: string }> };
    expect(doc.valid).toBe(false);
    expect(doc.issues[0]).toMatchObject({ code: 'item-mismatch', line: 5, key: 'SVC-D' });
    expect(doc.issues[0]!.message).toContain('entry 5');
    const human = await runCli(['registry', 'verify', '--log', bad, '--checkpoint', good, '--key', vkey], { env: home.env });
    expect(human.code).toBe(3);
    expect(human.stdout).toContain('item-mismatch');
    expect(human.stdout).toContain('NOT verified');
  });

  test('an entry number changed by one byte: log-gap at that line', async () => {
    const bad = copyLog('number.log', (b) => Buffer.from(b.toString('utf8').replace('"number":3,', '"number":4,')));
    const r = await runCli(['registry', 'verify', '--log', bad, '--json'], { env: home.env });
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout) as { issues: Array<{ code: string; line: number }> };
    expect(doc.issues[0]).toMatchObject({ code: 'log-gap', line: 3 });
  });

  test('cut short: root-mismatch against the checkpoint', async () => {
    const bad = copyLog('short.log', (b) => {
      const lines = b.toString('utf8').split('\n');
      return Buffer.from(lines.slice(0, 5).map((l) => `${l}\n`).join(''));
    });
    const r = await runCli(['registry', 'verify', '--log', bad, '--checkpoint', good, '--key', vkey, '--json'], { env: home.env });
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout) as { issues: Array<{ code: string; message: string }> };
    expect(doc.issues.map((i) => i.code)).toEqual(['root-mismatch']);
    expect(doc.issues[0]!.message).toContain('only 5 complete entries');
  });

  test('a checkpoint signed by another key: bad-signature', async () => {
    const otherKey = f('another.key');
    const k = await runCli(['registry', 'keygen', '--name', 'egovctl/e2e', '--out', otherKey], { env: home.env });
    expect(k.code).toBe(0);
    const forged = f('forged.txt');
    fs.writeFileSync(forged, checkpointNote({ origin: 'egovctl/e2e', size: sample.size, root: sample.root }, readSignerKeyFile(otherKey)));
    const r = await runCli(['registry', 'verify', '--log', log, '--checkpoint', forged, '--key', vkey, '--json'], { env: home.env });
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout) as { issues: Array<{ code: string; message: string }> };
    expect(doc.issues.map((i) => i.code)).toEqual(['bad-signature']);
    expect(doc.issues[0]!.message).toContain('forged.txt');
  });

  test('a snapshot with a changed field: log-drift naming key and field', async () => {
    const [a, b, d, e] = sample.services;
    fs.writeFileSync(f('drift.ndjson'), ndjson([a!, b!, { ...d!, processing_days: 9 }, e!]));
    const r = await runCli(['registry', 'verify', '--log', log, '--snapshot', f('drift.ndjson'), '--entity', 'services', '--json'], { env: home.env });
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout) as { entity: string; issues: Array<{ code: string; key: string; field: string; line: number }> };
    expect(doc.entity).toBe('services');
    expect(doc.issues).toEqual([expect.objectContaining({ severity: 'error', code: 'log-drift', key: 'SVC-D', field: 'processing_days', value: '9', line: 3 })]);
  });

  test('usage errors exit 2: no such log, a bad key, a private key as --key', async () => {
    const missing = await runCli(['registry', 'verify', '--log', f('nope.log'), '--json'], { env: home.env });
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { exit_code: 2, kind: 'usage' } });
    const badKey = await runCli(['registry', 'verify', '--log', log, '--key', 'nonsense'], { env: home.env });
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain('--key');
    const priv = await runCli(['registry', 'verify', '--log', log, '--key', keyFile], { env: home.env });
    expect(priv.code).toBe(2);
    expect(priv.stderr).toContain('private key');
    expect(priv.stderr + priv.stdout).not.toContain(fs.readFileSync(keyFile, 'utf8').trim().split('+')[4]);
    // without --log it checks the database, whose tables are the snapshot: --snapshot needs --log
    const noLog = await runCli(['registry', 'verify', '--snapshot', log], { env: home.env });
    expect(noLog.code).toBe(2);
    expect(noLog.stderr).toContain('--snapshot goes with --log');
  });

  test('--key may name a file holding the verifier key', async () => {
    fs.writeFileSync(f('log.pub'), `${vkey}\n`);
    const r = await runCli(['registry', 'verify', '--log', log, '--checkpoint', good, '--key', f('log.pub')], { env: home.env });
    expect(r.code, r.stderr).toBe(0);
  });

  test('help with examples', async () => {
    for (const c of ['keygen', 'verify']) {
      const r = await runCli(['registry', c, '--help'], { env: home.env });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Examples:\n  egovctl registry /);
    }
  });
});
