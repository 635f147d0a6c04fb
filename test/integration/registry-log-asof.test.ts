import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { cli, openTestDb, type Dialect, type TestDb } from '../helpers/registry-seed.js';

// export --as-of / --at-size on both databases: an export made, the records changed by a
// re-import, and the export of that earlier moment is the first export, byte for byte.

const SAMPLES = path.join(ROOT, 'samples');
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each<Dialect>(['pg', 'sqlite'])('export --as-of on %s', (dialect) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(dialect);
  });
  afterAll(async () => t?.cleanup());

  const out = async (...args: string[]) => {
    const r = await cli(t, ['export', ...args]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };

  test('the export of an earlier moment is byte-identical to the export made then (every format, filters too)', async () => {
    expect((await cli(t, ['import', 'agencies', path.join(SAMPLES, 'agencies.csv')])).code).toBe(0);
    expect((await cli(t, ['import', 'services', path.join(SAMPLES, 'services.csv')])).code).toBe(0);
    const kinds: string[][] = [
      ['services', '--format', 'csv'], ['services', '--format', 'ndjson'], ['services', '--format', 'json'],
      ['agencies', '--format', 'csv'], ['services', '--format', 'csv', '--status', 'active', '--audience', 'G2B'],
      ['services', '--format', 'cpsv-ap'],
    ];
    const first = await Promise.all(kinds.map((k) => out(...k)));
    const size1 = Number(((await t.db.knex('registry_log_entries').max({ n: 'number' }))[0] as { n: number | string }).n);
    await pause(5);
    const moment = new Date().toISOString();
    await pause(5);
    // a fee changed; a service retired; an agency renamed (CPSV-AP names it in every service)
    const ag = fs.readFileSync(path.join(SAMPLES, 'agencies.csv'), 'utf8');
    const text = fs.readFileSync(path.join(SAMPLES, 'services.csv'), 'utf8');
    const dir = fs.mkdtempSync(path.join(t.env.HOME!, 'asof-'));
    const changed = text.replace(',G2B,business,active,,0.5,0,portal|center|api', ',G2B,business,active,,0.75,0,portal|center|api');
    expect(changed).not.toBe(text);
    fs.writeFileSync(path.join(dir, 's.csv'), changed);
    expect((await cli(t, ['import', 'services', path.join(dir, 's.csv')])).code).toBe(0);
    const agLines = ag.split('\n');
    agLines[1] = agLines[1]!.replace(/^([A-Z0-9-]+),([^,]+),/, '$1,$2 (renamed),');
    fs.writeFileSync(path.join(dir, 'a.csv'), agLines.join('\n'));
    expect((await cli(t, ['import', 'agencies', path.join(dir, 'a.csv')])).code).toBe(0);
    expect((await cli(t, ['registry', 'retire', 'BIZ-0002', '--yes'])).code).toBe(0);
    const now = await Promise.all(kinds.map((k) => out(...k)));
    expect(now[0]).not.toBe(first[0]);
    expect(now[5]).toContain('(renamed)');
    expect(first[5]).not.toContain('(renamed)');
    for (let i = 0; i < kinds.length; i++) {
      expect(await out(...kinds[i]!, '--as-of', moment)).toBe(first[i]);
      expect(await out(...kinds[i]!, '--at-size', String(size1))).toBe(first[i]);
      // and today's moment is today's export
      expect(await out(...kinds[i]!, '--as-of', new Date(Date.now() + 1000).toISOString())).toBe(now[i]);
    }
    // a file, with its manifest, from the log too
    const f = path.join(dir, 'then.ndjson');
    await out('services', '--format', 'ndjson', '--as-of', moment, '--out', f, '--manifest');
    expect(fs.readFileSync(f, 'utf8')).toBe(first[1]);
    // before anything was stored: an empty export (CSV: the header alone)
    expect(await out('services', '--format', 'ndjson', '--at-size', '0')).toBe('');
  });

  test('usage errors: both points, a size past the end, a bad time (exit 2)', async () => {
    for (const args of [
      ['services', '--as-of', '2026-01-01', '--at-size', '3'],
      ['services', '--at-size', '999999'],
      ['services', '--as-of', 'yesterday'],
    ]) {
      const r = await cli(t, ['export', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
    }
  });
});
