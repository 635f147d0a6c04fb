// Hostile input through the built binary (issues 12 and 13): never exit 1, never more
// memory than a small file needs (the big inputs run under a 300 MB heap limit, generated
// as they are piped in), an encoding-error for U+0000 before either database sees it, and
// the agencies file read in its own encoding.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { closeKnex, connect } from '../../src/db/connect.js';
import { createTestDatabase } from '../helpers/pg.js';
import { BIN, ROOT, runCli, scratch, type CliResult } from '../helpers/cli.js';
import { targetFor } from '../helpers/targets.js';

let home: ReturnType<typeof scratch>;
beforeAll(() => {
  home = scratch();
});
afterAll(() => home.cleanup());

const AGENCY_HEADER = 'code,name_uz,name_ru,name_en,kind,parent_code,tin,region,website,email,phone,status';
const SERVICE_HEADER = 'code,agency_code,name_uz,name_ru,name_en,description,audience,sector,status,fee_uzs,fee_bhm_percent,processing_days,channels,legal_basis,required_documents,output,effective_from,effective_to';
const agency = (code: string, name = 'Vazirlik') => `${code},${name},Министерство,,ministry,,,UZ,,,,active`;
const MB = 1 << 20;

/** The binary with a 300 MB heap, standard input fed from `parts` as it reads. */
function runPiped(args: string[], parts: Iterable<Buffer>): Promise<CliResult & { rssMb: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--max-old-space-size=300', '-e',
      `process.on('exit', () => process.stderr.write('\\nmaxrss=' + process.resourceUsage().maxRSS + '\\n')); process.argv.splice(1, 0, ${JSON.stringify(BIN)}); import(${JSON.stringify('file://' + BIN)})`,
      ...args], { cwd: ROOT, env: { ...home.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.stdin.on('error', () => {}); // a reader that stops early closes its input
    Readable.from(parts).pipe(child.stdin);
    child.on('close', (code, signal) => {
      const m = /maxrss=(\d+)/.exec(stderr);
      resolve({ code, signal, stdout, stderr, rssMb: m ? Number(m[1]) / 1024 : NaN });
    });
  });
}

function* repeated(head: string, fill: string, total: number, tail: string): Generator<Buffer> {
  yield Buffer.from(head);
  const piece = Buffer.from(fill.repeat(Math.ceil(MB / fill.length)).slice(0, MB));
  for (let n = 0; n < total; n += MB) yield piece;
  yield Buffer.from(tail);
}

describe('big values, streamed in, under a 300 MB heap', () => {
  test('a 200 MB quoted CSV field: one malformed-record, the next record read, exit 3', async () => {
    const r = await runPiped(['validate', 'file', 'services', '-', '--format', 'csv', '--json'],
      repeated(`${SERVICE_HEADER}\nSV-1,AG-1,"`, 'b', 200 * MB, `",,,,,,,,,,,,,,,\nSV-2,AG-1,Xizmat,,,,G2C,,draft,,,1,portal,,,,,\n`));
    expect(r.code, r.stderr).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(doc.records).toBe(2);
    expect(doc.issues.filter((i: { severity: string }) => i.severity === 'error').map((i: { code: string; line: number }) => [i.code, i.line])).toEqual([['malformed-record', 2]]);
    expect(doc.issues[0].value.length).toBeLessThan(300);
    expect(r.rssMb).toBeLessThan(300);
  }, 120_000);

  test('a 100 MB NDJSON line: one malformed-record, the next line read, exit 3', async () => {
    const r = await runPiped(['validate', 'file', 'agencies', '-', '--format', 'ndjson', '--json'],
      repeated('{"code":"AG-1","name_uz":"', 'c', 100 * MB, `"}\n{"code":"AG-2","name_uz":"V","kind":"ministry","region":"UZ","status":"active","name_ru":"М"}\n`));
    expect(r.code, r.stderr).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(doc.records).toBe(2);
    expect(doc.issues.map((i: { code: string; line: number }) => [i.code, i.line])).toEqual([['malformed-record', 1]]);
    expect(r.rssMb).toBeLessThan(300);
  }, 120_000);

  test('16 MB of invalid bytes in one CSV value: one issue, the next record read, the bad bytes not piled up', async () => {
    const r = await runPiped(['validate', 'file', 'agencies', '-', '--format', 'csv', '--json'], (function* () {
      yield Buffer.from(`${AGENCY_HEADER}\nAG-1,`);
      for (let k = 0; k < 16; k++) yield Buffer.alloc(MB, 0xff);
      yield Buffer.from(`,,,ministry,,,UZ,,,,active\n${agency('AG-2')}\n`);
    })());
    expect(r.code, r.stderr).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(doc.records).toBe(2);
    expect(doc.errors).toBe(1);
    expect(r.rssMb).toBeLessThan(300);
  }, 120_000);

  test('a gzip bomb: refused with exit 3 before 1 GB is inflated', async () => {
    const member = gzipSync(Buffer.alloc(64 * MB), { level: 9 });
    const r = await runPiped(['validate', 'file', 'agencies', '-', '--format', 'ndjson'], Array.from({ length: 16 }, () => member));
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/inflates to more than 200 times its compressed size/);
    expect(r.rssMb).toBeLessThan(300);
  }, 120_000);
});

describe('no input makes the tool exit 1', () => {
  const cli = (args: string[], input?: string | Buffer) => runCli(args, { env: home.env, ...(input !== undefined ? { input } : {}) });

  test('a header of 250,000 cells (the crash came at about 120,000): exit 3 with the header issues', async () => {
    const file = path.join(home.dir, 'wide.csv');
    fs.writeFileSync(file, Array.from({ length: 250_000 }, () => 'c').join(',') + '\n');
    const r = await cli(['validate', 'file', 'agencies', file, '--json', '--max-issues', '2']);
    expect(r.code, r.stderr).toBe(3);
    expect(JSON.parse(r.stdout).errors).toBeGreaterThanOrEqual(249_999);
  });

  test('JSON nested 5,000 deep: malformed-record, exit 3', async () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    for (const [name, text] of [['deep.json', `[{"code":"AG-01","name_uz":${deep}}]`], ['deep.ndjson', `{"code":"AG-01","name_uz":${deep}}\n`]]) {
      const file = path.join(home.dir, name!);
      fs.writeFileSync(file, text!);
      const r = await cli(['validate', 'file', 'agencies', file, '--json']);
      expect(r.code, r.stderr).toBe(3);
      expect(JSON.parse(r.stdout).issues[0]).toMatchObject({ code: 'malformed-record', line: 1 });
    }
  });
});

describe('--agencies has its own encoding', () => {
  const services = `${SERVICE_HEADER}\nSV-1,AG-01,Xizmat,Услуга,,,G2C,,draft,0,,1,portal,,,,,\n`;
  const agencies = `${AGENCY_HEADER}\n${agency('AG-01', 'Vazirlik')}\n`;
  const cli = (args: string[]) => runCli(args, { env: home.env });

  test('a UTF-16LE services file with --encoding utf16le, a UTF-8 agencies file: valid (it read the agencies as UTF-16 too)', async () => {
    const s = path.join(home.dir, 's16.csv');
    const a = path.join(home.dir, 'a8.csv');
    fs.writeFileSync(s, iconv.encode(services, 'utf16le', { addBOM: true }));
    fs.writeFileSync(a, agencies);
    const r = await cli(['validate', 'file', 'services', s, '--encoding', 'utf16le', '--agencies', a, '--json']);
    expect(r.code, r.stdout).toBe(0);
  });

  test('--agencies-encoding cp1251 for a Windows Cyrillic agencies file; without it, the file is UTF-8 and its bytes are errors', async () => {
    const s = path.join(home.dir, 's8.csv');
    const a = path.join(home.dir, 'a1251.csv');
    fs.writeFileSync(s, services);
    fs.writeFileSync(a, iconv.encode(agencies, 'cp1251'));
    const ok = await cli(['validate', 'file', 'services', s, '--agencies', a, '--agencies-encoding', 'cp1251', '--json']);
    expect(ok.code, ok.stdout).toBe(0);
    const bad = await cli(['validate', 'file', 'services', s, '--agencies', a, '--json']);
    expect(bad.code).toBe(3);
    expect(JSON.parse(bad.stdout).issues.map((i: { code: string }) => i.code)).toContain('unknown-reference');
  });
});

for (const dialect of ['pg', 'sqlite'] as const) {
  describe(`import into ${dialect}`, () => {
    let url: string;
    let drop = async () => {};
    // 130,000 agencies through the registry log's append: minutes on a loaded CI machine
    const cli = (args: string[]) => runCli(['--db', url, ...args], { env: home.env, timeoutMs: 220_000 });
    const count = async (table: string) => {
      const db = await connect(targetFor(url));
      try {
        return Number((await db.knex(table).count({ n: '*' }))[0]!.n);
      } finally {
        await closeKnex(db.knex);
      }
    };

    beforeAll(async () => {
      if (dialect === 'pg') {
        const d = await createTestDatabase();
        url = d.url;
        drop = d.drop;
      } else url = `sqlite:${path.join(home.dir, 'hostile.sqlite')}`;
      expect((await cli(['migrate', 'latest', '-q'])).code).toBe(0);
    });
    afterAll(() => drop());

    test('a value holding U+0000: encoding-error on its line, exit 3, nothing written', async () => {
      const file = path.join(home.dir, `nul-${dialect}.csv`);
      fs.writeFileSync(file, `${AGENCY_HEADER}\n${agency('AG-01')}\n${agency('AG-02', 'Nom\u0000li')}\n`);
      const r = await cli(['import', 'agencies', file, '--json']);
      expect(r.code, r.stderr).toBe(3);
      const doc = JSON.parse(r.stdout);
      expect(doc.issues.map((i: { code: string; line: number; field: string }) => [i.code, i.line, i.field])).toEqual([['encoding-error', 3, 'name_uz']]);
      expect(await count('agencies')).toBe(0);
    });

    test('--mode insert of 130,000 existing codes: every one a key-exists, exit 3, no stack overflow', async () => {
      const file = path.join(home.dir, `many-${dialect}.csv`);
      fs.writeFileSync(file, [AGENCY_HEADER, ...Array.from({ length: 130_000 }, (_, i) => agency(`AG-${i}`))].join('\n') + '\n');
      const first = await cli(['import', 'agencies', file, '-q']);
      expect(first.code, first.stderr).toBe(0);
      const r = await cli(['import', 'agencies', file, '--mode', 'insert', '--json']);
      expect(r.code, r.stderr).toBe(3);
      const doc = JSON.parse(r.stdout);
      expect(doc.errors).toBe(130_000);
      expect(doc.issues[0]).toMatchObject({ code: 'key-exists', line: 2 });
      expect(await count('agencies')).toBe(130_000);
    }, 480_000);
  });
}
