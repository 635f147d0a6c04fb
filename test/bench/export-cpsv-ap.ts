// Benchmark: `egovctl export services --format cpsv-ap --out x.jsonld` on 1,000,000 generated
// services, against `--format ndjson` of the same data (the records the CPSV-AP document is
// made from). Prints times, output sizes and egovctl's peak RSS: the document is written as
// the services stream, so memory must stay flat (target ≤ 200 MB, as for the other exports).
//
// Run (PostgreSQL on 127.0.0.1:5432, GNU time on PATH for the RSS):
//   npm run build
//   npx tsc -p . --outDir dist/bench        (inside the repository, so node_modules resolve)
//   node dist/bench/test/bench/export-cpsv-ap.js [rows=1000000]
// Environment: BENCH_DATABASE_URL (an admin URL, default postgres://postgres@127.0.0.1:5432/postgres),
// BENCH_DIR (where the files go, default the system temporary directory), BENCH_RUNS (3).
// It creates and drops its own database.

import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { generateSql } from '../helpers/export-data.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = fs.existsSync(path.join(process.cwd(), 'bin', 'egovctl.js')) ? process.cwd() : path.resolve(here, '..', '..');
const BIN = path.join(root, 'bin', 'egovctl.js');
const rows = Number(process.argv[2] ?? 1_000_000);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const admin = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dir = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'egovctl-bench-cpsv-'));
const dbName = `egovctl_bench_cpsv_${crypto.randomBytes(4).toString('hex')}`;
const url = (() => {
  const u = new URL(admin);
  u.pathname = `/${dbName}`;
  return u.toString();
})();
const hasGnuTime = fs.existsSync('/usr/bin/time');

interface Run {
  seconds: number;
  rssMb: number | null;
  bytes: number;
}

function timed(args: string[], out: string): Run {
  fs.rmSync(out, { force: true });
  spawnSync('sync');
  const started = process.hrtime.bigint();
  const r = hasGnuTime
    ? spawnSync('/usr/bin/time', ['-f', '__RSS_KB=%M', process.execPath, ...args], { encoding: 'utf8' })
    : spawnSync(process.execPath, args, { encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`egovctl failed (${r.status}): ${r.stderr}`);
  const kb = /__RSS_KB=(\d+)/.exec(r.stderr ?? '')?.[1];
  return { seconds, rssMb: kb ? Number(kb) / 1024 : null, bytes: fs.statSync(out).size };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function sql(connection: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: connection });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

async function main(): Promise<void> {
  console.log(`egovctl CPSV-AP export benchmark: ${rows.toLocaleString('en')} services, ${runs} runs, ${os.cpus().length} CPUs, node ${process.version}`);
  await sql(admin, `create database ${dbName}`);
  try {
    execFileSync(process.execPath, [BIN, '--db', url, '--quiet', 'migrate', 'latest'], { stdio: 'inherit' });
    await sql(url, generateSql(rows));
    const nd = path.join(dir, 'services.ndjson');
    const ld = path.join(dir, 'services.jsonld');
    const ndArgs = [BIN, '--db', url, '--quiet', 'export', 'services', '--format', 'ndjson', '--out', nd];
    const ldArgs = [BIN, '--db', url, '--quiet', 'export', 'services', '--format', 'cpsv-ap', '--out', ld];
    const n: Run[] = [];
    const l: Run[] = [];
    for (let i = 0; i < runs; i++) {
      n.push(timed(ndArgs, nd));
      l.push(timed(ldArgs, ld));
      console.log(`run ${i + 1}: ndjson ${n[i]!.seconds.toFixed(2)} s (${n[i]!.rssMb?.toFixed(0) ?? '?'} MB), cpsv-ap ${l[i]!.seconds.toFixed(2)} s (${l[i]!.rssMb?.toFixed(0) ?? '?'} MB)`);
    }
    const rss = l.map((r) => r.rssMb).filter((x): x is number => x !== null);
    console.log('');
    console.log('| path | median s | × ndjson | peak RSS MB | bytes |');
    console.log('|---|---|---|---|---|');
    console.log(`| export --format ndjson | ${median(n.map((r) => r.seconds)).toFixed(2)} | 1.00 | ${Math.max(...n.map((r) => r.rssMb ?? 0)).toFixed(0)} | ${n[0]!.bytes} |`);
    console.log(`| export --format cpsv-ap | ${median(l.map((r) => r.seconds)).toFixed(2)} | ${(median(l.map((r) => r.seconds)) / median(n.map((r) => r.seconds))).toFixed(2)} | ${rss.length ? Math.max(...rss).toFixed(0) : '?'} | ${l[0]!.bytes} |`);
    console.log(`target (peak RSS ≤ 200 MB): ${!rss.length || Math.max(...rss) <= 200 ? 'met' : 'NOT met'}`);
  } finally {
    await sql(admin, `drop database if exists ${dbName} with (force)`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
