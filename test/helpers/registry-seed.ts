import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { resolveConfig, type Target } from '../../src/config/resolve.js';
import { connect, describeTarget, type Db } from '../../src/db/connect.js';
import { redact } from '../../src/config/redact.js';
import { latest } from '../../src/db/migrator.js';
import { toRow } from '../../src/records/db-row.js';
import type { RecordValues } from '../../src/records/fields.js';
import { createPrompter, type Prompter } from '../../src/prompts/prompter.js';
import { ROOT } from './cli.js';
import { createTestDatabase } from './pg.js';

// Test data for the registry, db reset and audit tests: a migrated database of the test
// file's own (PostgreSQL or SQLite) with a few agencies and services written directly,
// since the import command is built elsewhere.

const BUILT_PROGRAM = pathToFileURL(path.join(ROOT, 'dist', 'commands', 'program.js')).href;

export type Dialect = 'pg' | 'sqlite';

export interface TestDb {
  url: string;
  dialect: Dialect;
  /** the database name db reset asks to type */
  database: string;
  target: Target;
  /** the target's name and "name (url)" as the tool shows them: secrets redacted (the
   * embedded test server's password is "postgres", so every "postgres" becomes ***) */
  shownName: string;
  shownTarget: string;
  db: Db;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

export async function openTestDb(dialect: Dialect): Promise<TestDb> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'egovctl-reg-'));
  let url: string;
  let drop = async () => {};
  if (dialect === 'pg') {
    const t = await createTestDatabase();
    url = t.url;
    drop = t.drop;
  } else {
    url = `sqlite:${path.join(dir, 'registry.sqlite')}`;
  }
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, XDG_DATA_HOME: path.join(dir, 'data'), LANG: 'C.UTF-8' };
  const target = resolveConfig({ db: url }, env, dir).targets[0]!;
  const db = await connect(target);
  await latest(db, { dir: path.join(ROOT, 'dist', 'migrations') });
  return {
    url,
    dialect,
    database: target.database,
    target,
    shownName: redact(target.name),
    shownTarget: redact(describeTarget(target)),
    db,
    dataDir: path.join(dir, 'data', 'egovctl'),
    env,
    async cleanup() {
      await db.knex.destroy();
      await drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const UPDATED = '2026-01-15T08:00:00.000Z';

export const AGENCIES: RecordValues[] = [
  { code: 'ADL', name_uz: 'Adliya vazirligi', name_ru: 'Министерство юстиции', name_en: 'Ministry of Justice', kind: 'ministry', parent_code: null, tin: '201122919', region: 'UZ', website: 'https://adliya.uz', email: 'info@adliya.uz', phone: '+998712330000', status: 'active' },
  { code: 'SOL', name_uz: "Soliq qo'mitasi", name_ru: 'Налоговый комитет', name_en: null, kind: 'committee', parent_code: null, tin: null, region: 'UZ', website: null, email: null, phone: null, status: 'active' },
  { code: 'TOSH-HOK', name_uz: 'Toshkent shahar hokimligi', name_ru: null, name_en: null, kind: 'khokimiyat', parent_code: null, tin: null, region: 'UZ-TK', website: null, email: null, phone: null, status: 'active' },
];

/** Services in code order, every status, fees of both kinds, lists and nulls. */
export function service(code: string, over: RecordValues = {}): RecordValues {
  return {
    code,
    agency_code: 'ADL',
    name_uz: `Xizmat ${code}`,
    name_ru: `Услуга ${code}`,
    name_en: null,
    description: null,
    audience: ['G2C'],
    sector: null,
    status: 'active',
    fee_uzs: '0',
    fee_bhm_percent: null,
    processing_days: 5,
    channels: ['portal'],
    legal_basis: 'PF-60',
    required_documents: null,
    output: null,
    effective_from: '2020-01-01',
    effective_to: null,
    ...over,
  };
}

export const SERVICES: RecordValues[] = [
  service('ADL-0001', { audience: ['G2C', 'G2B'], fee_uzs: '13811.5', required_documents: ['passport', 'ariza | application'], description: 'Notarial tasdiqlash' }),
  service('ADL-0002', { status: 'retired', effective_to: '2024-06-30', fee_uzs: null, fee_bhm_percent: '0.125' }),
  service('ADL-0003', { status: 'retired', effective_to: '2025-12-31', audience: ['G2B'] }),
  service('ADL-0004', { status: 'draft', legal_basis: null, effective_from: null, fee_uzs: null, audience: ['G2G'] }),
  service('SOL-0001', { agency_code: 'SOL', audience: ['G2B', 'G2G'], channels: ['portal', 'api'], fee_uzs: '187500' }),
  service('SOL-0002', { agency_code: 'SOL', status: 'suspended', fee_uzs: null }),
  service('SOL-0003', { agency_code: 'SOL', status: 'retired', effective_to: null, fee_uzs: null }),
  service('TK-0001', { agency_code: 'TOSH-HOK', name_uz: '=HYPERLINK("x")', status: 'retired', effective_to: '2023-01-31', effective_from: '2019-05-01' }),
];

export async function seed(db: Db, services: RecordValues[] = SERVICES, updatedAt = UPDATED): Promise<void> {
  await db.knex('agencies').insert(AGENCIES.map((a) => ({ ...toRow('agencies', a), updated_at: updatedAt })));
  for (let i = 0; i < services.length; i += 200) {
    await db.knex('services').insert(services.slice(i, i + 200).map((s) => ({ ...toRow('services', s), updated_at: updatedAt })));
  }
}

export async function codes(db: Db, table = 'services'): Promise<string[]> {
  return ((await db.knex(table).select('code').orderBy('code')) as Array<{ code: string }>).map((r) => r.code);
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** what the prompt showed */
  prompt: string;
}

/**
 * Runs egovctl in this process with captured streams. `answer` is what a user types at a
 * prompt (the prompter can ask, though no terminal is there); without it nobody can answer.
 */
export async function cli(t: TestDb, args: string[], answer?: string): Promise<Run> {
  let stdout = '';
  let stderr = '';
  let prompt = '';
  const out = new Writable({ write(c, _e, cb) { stdout += String(c); cb(); } });
  const err = new Writable({ write(c, _e, cb) { stderr += String(c); cb(); } });
  let prompter: Prompter;
  if (answer !== undefined) {
    const input = new PassThrough();
    const output = new Writable({ write(c, _e, cb) { prompt += String(c); cb(); } });
    input.end(answer);
    prompter = createPrompter({ input, output, canAsk: true });
  } else {
    prompter = createPrompter({ input: new PassThrough(), output: err, canAsk: false });
  }
  // The built program (as the binary runs it): commands/program.ts finds package.json from dist/.
  const { main } = (await import(BUILT_PROGRAM)) as typeof import('../../commands/program.js');
  const code = await main(['node', 'egovctl', '--db', t.url, ...args], { stdout: out, stderr: err, env: t.env, cwd: t.env.HOME!, prompter });
  return { code, stdout, stderr, prompt };
}

export interface AuditRowJson {
  id: number;
  command: string;
  args: string[];
  outcome: string;
  counts: Record<string, unknown>;
  [k: string]: unknown;
}

export async function auditRows(t: TestDb): Promise<AuditRowJson[]> {
  const r = await cli(t, ['audit', 'list', '--json', '--limit', '1000']);
  if (r.code !== 0) throw new Error(`audit list failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as AuditRowJson[];
}
