// Benchmark of SPEC §11's XLSX, both ways: N generated services (gen-services.ts: Uzbek
// Latin and Cyrillic text, multi-line descriptions) are imported from CSV, exported as
// XLSX, and that XLSX imported into a second, empty database and validated as a file.
// Prints the time and peak RSS of each egovctl run. Target: peak RSS ≤ 300 MB each.
//
// Run (PostgreSQL on 127.0.0.1:5432, GNU time at /usr/bin/time for the RSS):
//   npm run build
//   npx tsc -p . --outDir dist/bench        (inside the repository, so node_modules resolve)
//   node dist/bench/test/bench/xlsx.js [rows=1000000] [--sqlite]
// Environment: BENCH_DATABASE_URL (an admin URL, default postgres://postgres@127.0.0.1:5432/postgres),
// BENCH_DIR (where the files go, default the system temporary directory).
// It creates and drops its own databases (or SQLite files, with --sqlite).

import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { generateAgencies, generateServices } from './gen-services.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = fs.existsSync(path.join(process.cwd(), 'bin', 'egovctl.js')) ? process.cwd() : path.resolve(here, '..', '..');
// BENCH_BIN: a copy of the built tool, so that building again while it runs changes nothing
const BIN = process.env.BENCH_BIN ?? path.join(root, 'bin', 'egovctl.js');
const rows = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const sqlite = process.argv.includes('--sqlite');
const admin = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dir = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'egovctl-xlsx-bench-'));
const hasGnuTime = fs.existsSync('/usr/bin/time');
const names = [1, 2].map(() => `egovctl_xbench_${crypto.randomBytes(4).toString('hex')}`);
const urlOf = (name: string, i: number) => {
  if (sqlite) return `sqlite:${path.join(dir, `db${i}.sqlite`)}`;
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return u.toString();
};
const urls = names.map(urlOf);

interface Run {
  seconds: number;
  rssMb: number | null;
  stdout: string;
}

function egovctl(args: string[], okCodes = [0]): Run {
  spawnSync('sync');
  const started = process.hrtime.bigint();
  const cmd = [process.execPath, BIN, ...args];
  const r = hasGnuTime
    ? spawnSync('/usr/bin/time', ['-f', '__RSS_KB=%M', ...cmd], { encoding: 'utf8', maxBuffer: 64 << 20 })
    : spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (!okCodes.includes(r.status ?? -1)) throw new Error(`egovctl ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const kb = /__RSS_KB=(\d+)/.exec(r.stderr ?? '')?.[1];
  return { seconds, rssMb: kb ? Number(kb) / 1024 : null, stdout: r.stdout };
}

async function sql(text: string): Promise<void> {
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

/** sha256 of an NDJSON file with updated_at left out */
async function digest(file: string): Promise<string> {
  const h = crypto.createHash('sha256');
  const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) h.update(`${line.replace(/"updated_at":"[^"]*"/g, '')}\n`);
  return h.digest('hex');
}

const mb = (r: Run) => (r.rssMb === null ? '?' : r.rssMb.toFixed(0));

async function main(): Promise<void> {
  console.log(`egovctl XLSX benchmark: ${rows.toLocaleString('en')} services on ${sqlite ? 'SQLite' : 'PostgreSQL'}, ${os.cpus().length} CPUs, node ${process.version}`);
  if (!sqlite) for (const n of names) await sql(`create database ${n}`);
  try {
    const agencies = path.join(dir, 'agencies.csv');
    const services = path.join(dir, 'services.csv');
    await generateAgencies(200, agencies, { seed: 1 });
    await generateServices(rows, services, { seed: 1, agencyCount: 200 });
    for (const u of urls) {
      egovctl(['--db', u, '--quiet', 'migrate', 'latest']);
      egovctl(['--db', u, '--quiet', 'import', 'agencies', agencies]);
    }
    const csvIn = egovctl(['--db', urls[0]!, '--quiet', 'import', 'services', services]);
    console.log(`setup: services.csv ${(fs.statSync(services).size / 1e6).toFixed(0)} MB imported in ${csvIn.seconds.toFixed(1)} s`);

    const xlsx = path.join(dir, 'services.xlsx');
    const exp = egovctl(['--db', urls[0]!, '--quiet', 'export', 'services', '--out', xlsx]);
    const imp = egovctl(['--db', urls[1]!, '--json', '--quiet', 'import', 'services', xlsx]);
    const report = JSON.parse(imp.stdout) as { records: number; inserted: number; errors: number };
    if (report.records !== rows || report.inserted !== rows || report.errors !== 0) throw new Error(`the XLSX import reported ${imp.stdout.slice(0, 400)}`);
    const val = egovctl(['--quiet', 'validate', 'file', 'services', xlsx]);
    console.log('');
    console.log(`| ${rows.toLocaleString('en')} services | seconds | rows/s | peak RSS MB |`);
    console.log('|---|---|---|---|');
    console.log(`| export services --out services.xlsx (${(fs.statSync(xlsx).size / 1e6).toFixed(0)} MB) | ${exp.seconds.toFixed(1)} | ${(rows / exp.seconds).toFixed(0)} | ${mb(exp)} |`);
    console.log(`| import services services.xlsx (empty table) | ${imp.seconds.toFixed(1)} | ${(rows / imp.seconds).toFixed(0)} | ${mb(imp)} |`);
    console.log(`| validate file services services.xlsx | ${val.seconds.toFixed(1)} | ${(rows / val.seconds).toFixed(0)} | ${mb(val)} |`);
    console.log(`| (for scale) import services services.csv | ${csvIn.seconds.toFixed(1)} | ${(rows / csvIn.seconds).toFixed(0)} | ${mb(csvIn)} |`);
    // the round trip, checked: the second database now holds what the first does (hashed
    // line by line: a million records are more than one string holds)
    const a = path.join(dir, 'a.ndjson');
    const b = path.join(dir, 'b.ndjson');
    egovctl(['--db', urls[0]!, '--quiet', 'export', 'services', '--out', a]);
    egovctl(['--db', urls[1]!, '--quiet', 'export', 'services', '--out', b]);
    const same = (await digest(a)) === (await digest(b));
    console.log('');
    console.log(`round trip export xlsx → import → export ndjson: ${same ? 'the same NDJSON (updated_at aside)' : 'DIFFERENT'}`);
    const peaks = [exp, imp, val].map((r) => r.rssMb).filter((x): x is number => x !== null);
    console.log(`target (peak RSS ≤ 300 MB each): ${peaks.length === 3 ? (Math.max(...peaks) <= 300 ? 'met' : 'NOT met') : 'not measured (no /usr/bin/time)'}`);
  } finally {
    if (!sqlite) for (const n of names) await sql(`drop database if exists ${n} with (force)`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
