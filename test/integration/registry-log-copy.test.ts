import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { adapterOf } from '../../src/db/dialect/index.js';
import { formatLines } from '../../src/registry/log/log-line.js';
import { storedLineBatches, writeLog } from '../../src/registry/log-file.js';
import { ROOT } from '../helpers/cli.js';
import { cli, openTestDb, type Dialect, type TestDb } from '../helpers/registry-seed.js';

// The fast paths of `registry log` / `registry verify` (the stored log by COPY on
// PostgreSQL) and of `export --as-of` (the snapshot's items by COPY, each line straight from
// the item's bytes) against what they replace, over a log with every kind of value in it:
// changes, retirements, deletions by purge, text in two scripts with quotes, backslashes,
// line breaks and TABs, sets and lists.

const SAMPLES = path.join(ROOT, 'samples');
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HEADER = 'code,agency_code,name_uz,name_ru,name_en,description,audience,sector,status,fee_uzs,fee_bhm_percent,processing_days,channels,legal_basis,required_documents,output,effective_from,effective_to';

/** Services whose values need every escape JSON has, in CSV. */
function hostileServices(agency: string, status = 'active', fee = '1500'): string {
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const rows = [
    ['ESC-0001', agency, q('Ariza "tez" \\ yo‘l'), q('Заявка «быстро»\tс табом'), '', q('Ikki\nqator\r\nva \\n emas'), 'G2C|G2B', 'x', status, fee, '', '3', 'portal|center', 'PQ-1', q('Pasport|Ariza "A"|Ҳужжат\\1'), '', '2026-01-01', ''],
    ['ESC-0002', agency, q('😀 emoji va \u2028 ajratgich'), '', q('English'), '', 'G2G', '', status, '', '2.5', '0', 'api', 'PQ-2', '', q('Guvohnoma'), '2026-01-01', '2027-12-31'],
    ['ESC-0003', agency, 'Oddiy', '', '', '', 'G2C', '', 'draft', '0', '', '365', 'office', '', '', '', '', ''],
  ];
  return `${HEADER}\n${rows.map((r) => r.join(',')).join('\n')}\n`;
}

async function lastNumber(t: TestDb): Promise<number> {
  return Number(((await t.db.knex('registry_log_entries').max({ n: 'number' }))[0] as { n: number | string | null }).n ?? 0);
}

async function seedHistory(t: TestDb): Promise<void> {
  expect((await cli(t, ['import', 'agencies', path.join(SAMPLES, 'agencies.csv')])).code).toBe(0);
  expect((await cli(t, ['import', 'services', path.join(SAMPLES, 'services.csv')])).code).toBe(0);
  const agency = (await t.db.knex('agencies').orderBy('code').first() as { code: string }).code;
  const dir = fs.mkdtempSync(path.join(t.env.HOME!, 'copy-'));
  fs.writeFileSync(path.join(dir, 'a.csv'), hostileServices(agency));
  const r = await cli(t, ['import', 'services', path.join(dir, 'a.csv')]);
  expect(r.code, r.stderr).toBe(0);
}

describe('the stored log by COPY on PostgreSQL', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb('pg');
    await seedHistory(t);
    // a change, a retirement, a deletion
    const agency = (await t.db.knex('agencies').orderBy('code').first() as { code: string }).code;
    const dir = fs.mkdtempSync(path.join(t.env.HOME!, 'copy-'));
    fs.writeFileSync(path.join(dir, 'b.csv'), hostileServices(agency, 'retired', '2500.5'));
    expect((await cli(t, ['import', 'services', path.join(dir, 'b.csv')])).code).toBe(0);
    expect((await cli(t, ['registry', 'purge', '--status', 'retired', '--yes', '--no-backup'])).code).toBe(0);
  });
  afterAll(async () => t?.cleanup());

  const read = async (pages: boolean, from?: number, to?: number) => {
    const out: Buffer[] = [];
    for await (const b of storedLineBatches(t.db.knex, from, to, { pages })) out.push(formatLines(b));
    return Buffer.concat(out);
  };

  test('the dialect has COPY (else this file tests nothing)', () => {
    expect(adapterOf(t.db.knex).bulk.copyOut).not.toBeNull();
  });

  test('byte-identical to the page queries, whole and in ranges; deletes have nothing after the TAB', async () => {
    const n = await lastNumber(t);
    const copy = await read(false);
    const pages = await read(true);
    expect(copy.length).toBeGreaterThan(0);
    expect(copy.equals(pages)).toBe(true);
    const text = copy.toString('utf8');
    expect(text.split('\n')).toHaveLength(n + 1);
    expect(text).toMatch(/"op":"delete","timestamp":"[^"]+"\}\t\n/);
    expect(text).toContain('\\"tez\\" \\\\ yo‘l');
    expect(text).toContain('😀');
    expect(text).toContain('Ikki\\nqator\\r\\nva \\\\n emas');
    expect(text).toContain('"required_documents":["Pasport","Ariza \\"A\\"","Ҳужжат\\\\1"]');
    for (const [from, to] of [[1, 1], [2, 7], [n, n], [n - 3, n + 10], [5, 4]] as const) {
      expect((await read(false, from, to)).equals(await read(true, from, to)), `${from}..${to}`).toBe(true);
    }
  });

  test('the root writeLog gives is the same either way, and the stored head', async () => {
    const sink = () => new PassThrough().resume();
    const viaCopy = await writeLog(t.db.knex, sink());
    const head = (await t.db.knex('registry_log_heads').orderBy('size', 'desc').first()) as { size: number | string; root: string };
    expect(viaCopy.entries).toBe(Number(head.size));
    expect(viaCopy.root).toBe(head.root);
  });

  test('an item edited behind the tool\'s back with a raw TAB, LF and backslash comes out as stored', async () => {
    await t.db.knex.raw('drop trigger registry_log_items_append_only on registry_log_items');
    const e = (await t.db.knex('registry_log_entries').where({ number: 3 }).first()) as { item: string };
    await t.db.knex('registry_log_items').where({ hash: e.item }).update({ bytes: t.db.knex.raw("bytes || E'\\t\\n\\\\x'") });
    const copy = await read(false, 3, 3);
    expect(copy.equals(await read(true, 3, 3))).toBe(true);
    expect(copy.subarray(-6).toString('latin1')).toBe('}\t\n\\x\n');
    // and registry verify names the entry, as it does for any edited item
    const r = await cli(t, ['registry', 'verify', '--json']);
    expect(r.code).toBe(3);
    const issues = (JSON.parse(r.stdout) as { issues: Array<{ code: string }> }).issues;
    expect(issues.map((i) => i.code)).toContain('malformed-record');
  });
});

describe('registry verify: the database and the files it is made of say the same', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb('pg');
    await seedHistory(t);
  });
  afterAll(async () => t?.cleanup());

  const verdicts = async () => {
    const db = JSON.parse((await cli(t, ['registry', 'verify', '--json'])).stdout) as { valid: boolean; size: number; root: string; issues: Array<{ code: string; key: string | null; field: string | null }> };
    const dir = fs.mkdtempSync(path.join(t.env.HOME!, 'files-'));
    expect((await cli(t, ['registry', 'log', '--out', path.join(dir, 'r.log')])).code).toBe(0);
    expect((await cli(t, ['export', 'services', '--format', 'ndjson', '--out', path.join(dir, 's.ndjson')])).code).toBe(0);
    const files = JSON.parse((await cli(t, ['registry', 'verify', '--json', '--log', path.join(dir, 'r.log'), '--snapshot', path.join(dir, 's.ndjson')])).stdout) as typeof db;
    const brief = (d: typeof db) => ({ valid: d.valid, size: d.size, root: d.root, issues: d.issues.map((i) => `${i.code}:${i.key}:${i.field}`).sort() });
    return { db: brief(db), files: brief(files) };
  };

  test('sound, then with a service changed, inserted and deleted by plain SQL', async () => {
    const a = await verdicts();
    expect(a.db).toEqual({ ...a.files });
    expect(a.db.valid).toBe(true);
    await t.db.knex('services').where({ code: 'ESC-0001' }).update({ name_uz: 'Boshqa "nom"\\', required_documents: '["X"]' });
    const row = (await t.db.knex('services').where({ code: 'ESC-0002' }).first()) as Record<string, unknown>;
    await t.db.knex('services').insert({ ...row, code: 'ESC-9999' });
    await t.db.knex('services').where({ code: 'ESC-0003' }).delete();
    const b = await verdicts();
    expect(b.db).toEqual(b.files);
    expect(b.db.issues).toEqual(['log-drift:ESC-0001:name_uz', 'log-drift:ESC-0001:required_documents', 'log-drift:ESC-0003:null', 'log-drift:ESC-9999:null']);
  });

  test('drift in both tables: each named with its field (re-reading the log for the agencies leaves the services\' COPY whole)', async () => {
    const agency = (await t.db.knex('agencies').orderBy('code').first()) as { code: string };
    await t.db.knex('agencies').where({ code: agency.code }).update({ name_uz: 'Qayta nomlangan' });
    const d = JSON.parse((await cli(t, ['registry', 'verify', '--json'])).stdout) as { valid: boolean; tables: Record<string, number>; issues: Array<{ code: string; key: string | null; field: string | null }> };
    expect(d.valid).toBe(false);
    expect(d.issues.map((i) => `${i.code}:${i.key}:${i.field}`)).toEqual([`log-drift:${agency.code}:name_uz`, 'log-drift:ESC-9999:null', 'log-drift:ESC-0003:null', 'log-drift:ESC-0001:name_uz', 'log-drift:ESC-0001:required_documents']);
    expect(d.tables).toEqual({ agencies: Number(((await t.db.knex('agencies').count({ n: '*' }))[0] as { n: number | string }).n), services: Number(((await t.db.knex('services').count({ n: '*' }))[0] as { n: number | string }).n) });
  });
});

describe.each<Dialect>(['pg', 'sqlite'])('export --as-of across a change, a retirement and a purge on %s', (dialect) => {
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
  const KINDS: string[][] = [
    ['services', '--format', 'ndjson'], ['services', '--format', 'csv'], ['services', '--format', 'json'],
    ['services', '--format', 'ndjson', '--status', 'active'], ['services', '--format', 'csv', '--audience', 'G2B'],
    ['agencies', '--format', 'ndjson'],
  ];

  test('each moment exported then is the --as-of and --at-size export of it, byte for byte', async () => {
    await seedHistory(t);
    const agency = (await t.db.knex('agencies').orderBy('code').first() as { code: string }).code;
    const dir = fs.mkdtempSync(path.join(t.env.HOME!, 'asof-'));
    const moments: Array<{ at: string; size: number; exports: string[] }> = [];
    const mark = async () => {
      const exports = await Promise.all(KINDS.map((k) => out(...k)));
      await pause(5);
      moments.push({ at: new Date().toISOString(), size: await lastNumber(t), exports });
      await pause(5);
    };
    await mark();
    // a change (fee, text), by re-import
    fs.writeFileSync(path.join(dir, 'c.csv'), hostileServices(agency, 'active', '99.99'));
    expect((await cli(t, ['import', 'services', path.join(dir, 'c.csv')])).code).toBe(0);
    await mark();
    expect((await cli(t, ['registry', 'retire', 'ESC-0001', '--yes'])).code).toBe(0);
    expect((await cli(t, ['registry', 'retire', 'ESC-0002', '--yes'])).code).toBe(0);
    await mark();
    expect((await cli(t, ['registry', 'purge', '--status', 'retired', '--yes', '--no-backup'])).code).toBe(0);
    await mark();
    expect(new Set(moments.map((m) => m.exports[0])).size).toBe(moments.length);
    expect(moments[3]!.exports[0]).not.toContain('ESC-0001');
    for (const m of moments) {
      for (let i = 0; i < KINDS.length; i++) {
        expect(await out(...KINDS[i]!, '--as-of', m.at), `${KINDS[i]!.join(' ')} as of ${m.at}`).toBe(m.exports[i]);
        expect(await out(...KINDS[i]!, '--at-size', String(m.size))).toBe(m.exports[i]);
      }
    }
  });
});
