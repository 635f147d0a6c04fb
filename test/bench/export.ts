// Benchmark: `egovctl export services --out x.csv` (and `--format ndjson`) against
// `psql \copy (select …) to`, on 1,000,000 generated services (Cyrillic and Uzbek text,
// multi-line descriptions, formula-like values). Prints times (best and median of 5, runs
// interleaved so machine noise hits all alike; on a shared machine the best runs are the
// ones not disturbed), the ratios, each client's CPU seconds (user + system: noise hurts
// them less than wall time) and egovctl's peak RSS. Targets (issue 18): CSV ≤ 1.2× the
// floor, NDJSON ≤ 1.3×, RSS ≤ 200 MB.
//
// Run (PostgreSQL on 127.0.0.1:5432, psql and GNU time on PATH):
//   npm run build
//   npx tsc -p . --outDir dist/bench        (inside the repository, so node_modules resolve)
//   node dist/bench/test/bench/export.js [rows=1000000]
// Environment: BENCH_DATABASE_URL (an admin URL, default postgres://postgres@127.0.0.1:5432/postgres),
// BENCH_DIR (where the files go, default the system temporary directory), BENCH_RUNS (5),
// BENCH_FORMATS (csv,ndjson), BENCH_COMPARE (another egovctl's bin/egovctl.js, run in the
// same rounds: before/after figures in one run), BENCH_EXISTING_URL (a database already
// migrated and filled with generateSql's rows: used as it is, not created nor dropped).
// Otherwise it creates and drops its own database.

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
const existing = process.env.BENCH_EXISTING_URL;
const url = existing ?? (() => {
  const u = new URL(admin);
  u.pathname = `/${dbName}`;
  return u.toString();
})();
const formats = (process.env.BENCH_FORMATS ?? 'csv,ndjson').split(',').map((f) => f.trim()).filter(Boolean);
const compare = process.env.BENCH_COMPARE ? path.resolve(process.env.BENCH_COMPARE) : null;
const hasGnuTime = fs.existsSync('/usr/bin/time');

interface Run {
  seconds: number;
  /** user + system CPU seconds of the client process */
  cpu: number | null;
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
    ? spawnSync('/usr/bin/time', ['-f', '__RSS_KB=%M __CPU=%U+%S', cmd, ...args], { encoding: 'utf8' })
    : spawnSync(cmd, args, { encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr}`);
  const kb = /__RSS_KB=(\d+)/.exec(r.stderr ?? '')?.[1];
  const cpu = /__CPU=([\d.]+)\+([\d.]+)/.exec(r.stderr ?? '');
  return { seconds, cpu: cpu ? Number(cpu[1]) + Number(cpu[2]) : null, rssMb: kb ? Number(kb) / 1024 : null, bytes: fs.statSync(out).size };
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

interface Path {
  label: string;
  cmd: string;
  args: string[];
  out: string;
  runs: Run[];
  /** the ratio target against the floor, if any */
  target: number | null;
}

async function main(): Promise<void> {
  console.log(`egovctl export benchmark: ${rows.toLocaleString('en')} services, ${runs} runs, ${os.cpus().length} CPUs, node ${process.version}`);
  if (!existing) await sql(admin, `create database ${dbName}`);
  try {
    if (!existing) {
      execFileSync(process.execPath, [BIN, '--db', url, '--quiet', 'migrate', 'latest'], { stdio: 'inherit' });
      const t = Date.now();
      await sql(url, generateSql(rows));
      console.log(`generated in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
    const psqlOut = path.join(dir, 'psql.csv');
    const paths: Path[] = [{
      label: 'psql \\copy (select * … order by code) to csv (the floor)', cmd: 'psql', out: psqlOut, runs: [], target: null,
      args: [url, '-q', '-c', `\\copy (select * from services order by code collate "C") to '${psqlOut}' with (format csv, header)`],
    }];
    const bins: Array<[string, string]> = [['egovctl', BIN], ...(compare ? [['compared', compare] as [string, string]] : [])];
    for (const f of formats) {
      for (const [name, bin] of bins) {
        const out = path.join(dir, `${name}.${f}`);
        paths.push({
          label: `${name} export services --format ${f} --out (fsync, sha256)`, cmd: process.execPath, out, runs: [],
          target: f === 'csv' ? 1.2 : f === 'ndjson' ? 1.3 : null,
          args: [bin, '--db', url, '--quiet', 'export', 'services', '--format', f, '--out', out],
        });
      }
    }
    // one warm-up of each: all then read a cached table
    for (const p of paths) timed(p.cmd, p.args, p.out);
    for (let i = 0; i < runs; i++) {
      const line: string[] = [];
      for (const p of paths) {
        const r = timed(p.cmd, p.args, p.out);
        p.runs.push(r);
        line.push(`${p.label.split(' (')[0]} ${r.seconds.toFixed(2)} s`);
      }
      console.log(`run ${i + 1}: ${line.join(', ')}`);
    }
    const floor = paths[0]!;
    const fs_ = floor.runs.map((r) => r.seconds);
    const fb = Math.min(...fs_);
    const fm = median(fs_);
    console.log('');
    console.log('| path | best s | × floor | median s | × floor | client CPU s (median) | peak RSS MB | bytes |');
    console.log('|---|---|---|---|---|---|---|---|');
    let ok = true;
    for (const p of paths) {
      const s = p.runs.map((r) => r.seconds);
      const cpu = p.runs.map((r) => r.cpu).filter((x): x is number => x !== null);
      const rss = p.runs.map((r) => r.rssMb).filter((x): x is number => x !== null);
      const b = Math.min(...s);
      const m = median(s);
      console.log(`| ${p.label} | ${b.toFixed(2)} | ${(b / fb).toFixed(2)} | ${m.toFixed(2)} | ${(m / fm).toFixed(2)} | ${cpu.length ? median(cpu).toFixed(2) : '?'} | ${rss.length ? Math.max(...rss).toFixed(0) : '?'} | ${p.runs[0]!.bytes} |`);
      if (p.target !== null && p.label.startsWith('egovctl')) ok &&= m / fm <= p.target && (!rss.length || Math.max(...rss) <= 200);
    }
    console.log('');
    console.log(`targets (median ≤ 1.2× csv, ≤ 1.3× ndjson, ≤ 200 MB): ${ok ? 'met' : 'NOT met'}`);
  } finally {
    if (!existing) await sql(admin, `drop database if exists ${dbName} with (force)`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
