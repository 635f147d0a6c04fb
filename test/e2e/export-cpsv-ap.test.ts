import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BIN, ROOT, runCli, scratch } from '../helpers/cli.js';
import { validateCpsvAp } from '../helpers/cpsv-ap.js';
import { createTestDatabase } from '../helpers/pg.js';

// `egovctl export services --format cpsv-ap` as a user runs it: the built binary on the
// samples, --out/--manifest/--gzip, the config file's baseIri, and the usage errors.

const s = scratch('egovctl-cpsv-e2e-');
const env = s.env;
const file = (name: string) => path.join(s.dir, name);
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const SAMPLE_SERVICES = fs.readFileSync(path.join(ROOT, 'samples', 'services.csv'), 'utf8').trimEnd().split('\n').filter((l) => /^[A-Z]+-[0-9]{4},/.test(l)).length;
let pgDb: Awaited<ReturnType<typeof createTestDatabase>>;

async function load(db: string[]): Promise<void> {
  for (const args of [['migrate', 'latest'], ['import', 'agencies', path.join(ROOT, 'samples', 'agencies.csv')], ['import', 'services', path.join(ROOT, 'samples', 'services.csv')]]) {
    const r = await runCli([...db, '--quiet', ...args], { env, cwd: s.dir });
    expect(r.code, r.stderr).toBe(0);
  }
}

beforeAll(async () => {
  pgDb = await createTestDatabase('egovctl_cpsv_e2e');
  await load([]); // the embedded SQLite default of this scratch home
  await load(['--db', pgDb.url]);
});

afterAll(async () => {
  await pgDb?.drop();
  s.cleanup();
});

describe('export services --format cpsv-ap', () => {
  test('to standard output: one JSON-LD document that passes the shapes; nothing on standard error', async () => {
    const r = await runCli(['export', 'services', '--format', 'cpsv-ap'], { env, cwd: s.dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('{"@context":{')).toBe(true);
    const { conforms, violations } = await validateCpsvAp(JSON.parse(r.stdout));
    expect(violations).toEqual([]);
    expect(conforms).toBe(true);
    expect(r.stdout.match(/"@type":"cpsv:PublicService"/g)).toHaveLength(SAMPLE_SERVICES);
  });

  test('--out x.jsonld implies the format; --manifest and --json describe the file; the same data from PostgreSQL and SQLite', async () => {
    const out = file('services.jsonld');
    const r = await runCli(['--json', 'export', 'services', '--out', out, '--manifest', '--status', 'active'], { env, cwd: s.dir });
    expect(r.code, r.stderr).toBe(0);
    const bytes = fs.readFileSync(out);
    const summary = JSON.parse(r.stdout);
    expect({ format: summary.format, bytes: summary.bytes, sha256: summary.sha256 }).toEqual({ format: 'cpsv-ap', bytes: bytes.length, sha256: sha(bytes) });
    const manifest = JSON.parse(fs.readFileSync(`${out}.manifest.json`, 'utf8'));
    expect(manifest).toMatchObject({ entity: 'services', format: 'cpsv-ap', rows: 18, bytes: bytes.length, sha256: sha(bytes), filters: { status: ['active'] } });
    expect((await validateCpsvAp(JSON.parse(bytes.toString('utf8')))).conforms).toBe(true);
    // PostgreSQL: the same document, but for the time each database stamped on the import
    const p = await runCli(['--db', pgDb.url, 'export', 'services', '--format', 'cpsv-ap', '--status', 'active'], { env, cwd: s.dir });
    expect(p.code, p.stderr).toBe(0);
    const unstamped = (t: string) => t.replace(/,"dct:modified":"[^"]+"/g, '');
    expect(unstamped(p.stdout)).toBe(unstamped(bytes.toString('utf8')));
    expect(fs.readdirSync(s.dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  test('--gzip and a .jsonld.gz name compress it; the same bytes underneath', async () => {
    const plain = await runCli(['export', 'services', '--format', 'cpsv-ap'], { env, cwd: s.dir });
    expect((await runCli(['export', 'services', '--out', file('s.jsonld.gz')], { env, cwd: s.dir })).code).toBe(0);
    expect(zlib.gunzipSync(fs.readFileSync(file('s.jsonld.gz'))).toString('utf8')).toBe(plain.stdout);
    const piped = spawnSync(process.execPath, [BIN, 'export', 'services', '--format', 'cpsv-ap', '--gzip'], { env, cwd: s.dir });
    expect(piped.status).toBe(0);
    expect(zlib.gunzipSync(piped.stdout).toString('utf8')).toBe(plain.stdout);
  });

  test('the config file\'s baseIri starts every IRI; a bad one is a usage error before anything is written', async () => {
    const dir = file('with-base');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'egovctl.config.json'), JSON.stringify({ baseIri: 'https://data.gov.uz/xizmatlar/' }));
    const r = await runCli(['export', 'services', '--format', 'cpsv-ap', '--agency', 'MH'], { env, cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    const ids = (doc['@graph'] as Array<{ '@id': string }>).map((n) => n['@id']);
    expect(ids).toContain('https://data.gov.uz/xizmatlar/service/HLTH-0001');
    expect(ids.filter((i) => !i.startsWith('https://data.gov.uz/xizmatlar/'))).toEqual([]);
    expect(doc['@context'].egov).toBe('https://data.gov.uz/xizmatlar/ns#');
    const shown = await runCli(['--json', 'config', 'show'], { env, cwd: dir });
    expect(JSON.parse(shown.stdout).base_iri).toBe('https://data.gov.uz/xizmatlar/');
    expect(JSON.parse((await runCli(['--json', 'config', 'show'], { env, cwd: s.dir })).stdout).base_iri).toBe('https://registry.invalid/');

    fs.writeFileSync(path.join(dir, 'egovctl.config.json'), JSON.stringify({ baseIri: 'data.gov.uz' }));
    const bad = await runCli(['export', 'services', '--format', 'cpsv-ap', '--out', path.join(dir, 'x.jsonld')], { env, cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"baseIri" must be an http:\/\/ or https:\/\/ IRI, not "data\.gov\.uz"/);
    expect(bad.stdout).toBe('');
    expect(fs.existsSync(path.join(dir, 'x.jsonld'))).toBe(false);
  });

  test('cpsv-ap describes services only: export agencies --format cpsv-ap is exit 2', async () => {
    for (const args of [['export', 'agencies', '--format', 'cpsv-ap'], ['export', 'agencies', '--out', file('a.jsonld')]]) {
      const r = await runCli(args, { env, cwd: s.dir });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/--format cpsv-ap describes public services: export services, not agencies/);
      expect(r.stdout).toBe('');
    }
    expect(fs.existsSync(file('a.jsonld'))).toBe(false);
  });

  test('--help shows an example', async () => {
    const r = await runCli(['export', '--help'], { env, cwd: s.dir });
    expect(r.stdout).toContain('egovctl export services --format cpsv-ap');
    expect(r.stdout).toMatch(/baseIri/);
  });
});
