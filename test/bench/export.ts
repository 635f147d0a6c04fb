// Benchmark: `egovctl export services --out x.csv` against `psql \copy (select …) to`, on
// 1,000,000 generated services (Cyrillic and Uzbek text, multi-line descriptions,
// formula-like values). Prints times (best and median of 5, runs interleaved so machine
// noise hits both alike; on a shared machine the best runs are the ones not disturbed),
// the ratios and egovctl's peak RSS. Targets: ratio ≤ 1.5, RSS ≤ 200 MB.
//
// Run (PostgreSQL on 127.0.0.1:5432, psql and GNU time on PATH):
//   npm run build
//   npx tsc -p . --outDir dist/bench        (inside the repository, so node_modules resolve)
//   node dist/bench/test/bench/export.js [rows=1000000]
// Environment: BENCH_DATABASE_URL (an admin URL, default postgres://postgres@127.0.0.1:5432/postgres),
// BENCH_DIR (where the files go, default the system temporary directory), BENCH_RUNS (5).
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
// compiled to <outDir>/test/bench: the repository is found from the working directory
const root = fs.existsSync(path.join(process.cwd(), 'bin', 'egovctl.js')) ? process.cwd() : path.resolve(here, '..', '..');
const BIN = path.join(root, 'bin', 'egovctl.js');
const rows = Number(process.argv[2] ?? 1_000_000);
const runs = Number(process.env.BENCH_RUNS ?? 5);
const admin = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dir = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'egovctl-bench-'));
const dbName = `egovctl_bench_${crypto.randomBytes(4).toString('hex')}`;
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

/** Runs a command under GNU time: wall seconds and peak RSS of the child. */
function timed(cmd: string, args: string[], out: string): Run {
  fs.rmSync(out, { force: true });
  // Start each run with no dirty pages left by the one before: egovctl flushes its file
  // (SPEC §7) and would otherwise wait behind the write-back of psql's 800 MB too.
  spawnSync('sync');
  const started = process.hrtime.bigint();
  const r = hasGnuTime
    ? spawnSync('/usr/bin/time', ['-f', '__RSS_KB=%M', cmd, ...args], { encoding: 'utf8' })
    : spawnSync(cmd, args, { encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr}`);
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
  console.log(`egovctl export benchmark: ${rows.toLocaleString('en')} services, ${runs} runs, ${os.cpus().length} CPUs, node ${process.version}`);
  await sql(admin, `create database ${dbName}`);
  try {
    execFileSync(process.execPath, [BIN, '--db', url, '--quiet', 'migrate', 'latest'], { stdio: 'inherit' });
    const t = Date.now();
    await sql(url, generateSql(rows));
    console.log(`generated in ${((Date.now() - t) / 1000).toFixed(1)} s`);

    const psqlOut = path.join(dir, 'psql.csv');
    const egovOut = path.join(dir, 'egovctl.csv');
    const psqlArgs = [url, '-q', '-c', `\\copy (select * from services order by code collate "C") to '${psqlOut}' with (format csv, header)`];
    const egovArgs = [BIN, '--db', url, '--quiet', 'export', 'services', '--out', egovOut];
    // one warm-up of each: both then read a cached table
    timed('psql', psqlArgs, psqlOut);
    timed(process.execPath, egovArgs, egovOut);
    const p: Run[] = [];
    const e: Run[] = [];
    for (let i = 0; i < runs; i++) {
      p.push(timed('psql', psqlArgs, psqlOut));
      e.push(timed(process.execPath, egovArgs, egovOut));
      console.log(`run ${i + 1}: psql \\copy ${p[i]!.seconds.toFixed(2)} s, egovctl export ${e[i]!.seconds.toFixed(2)} s (${e[i]!.rssMb?.toFixed(0) ?? '?'} MB RSS)`);
    }
    const ps = median(p.map((r) => r.seconds));
    const es = median(e.map((r) => r.seconds));
    const pb = Math.min(...p.map((r) => r.seconds));
    const eb = Math.min(...e.map((r) => r.seconds));
    const rss = e.map((r) => r.rssMb).filter((x): x is number => x !== null);
    console.log('');
    console.log('| path | best s | × psql | median s | × psql | peak RSS MB | bytes |');
    console.log('|---|---|---|---|---|---|---|');
    console.log(`| psql \\copy (select * … order by code) to csv | ${pb.toFixed(2)} | 1.00 | ${ps.toFixed(2)} | 1.00 | ${rss.length ? median(p.map((r) => r.rssMb ?? 0)).toFixed(0) : '?'} | ${p[0]!.bytes} |`);
    console.log(`| egovctl export services --out (csv, fsync, sha256) | ${eb.toFixed(2)} | ${(eb / pb).toFixed(2)} | ${es.toFixed(2)} | ${(es / ps).toFixed(2)} | ${rss.length ? Math.max(...rss).toFixed(0) : '?'} | ${e[0]!.bytes} |`);
    console.log('');
    const ok = eb / pb <= 1.5 && (!rss.length || Math.max(...rss) <= 200);
    console.log(`targets (best ≤ 1.5×, ≤ 200 MB): ${ok ? 'met' : 'NOT met'}`);
  } finally {
    await sql(admin, `drop database if exists ${dbName} with (force)`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
