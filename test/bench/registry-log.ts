// Registry log benchmark (issue 15, item 7; SPEC §9 "Cost"):
//   1. the first load of N services into an empty table with the log's append switched off
//      (EGOVCTL_BENCH_NO_REGISTRY_LOG=1 — a BENCHMARK-ONLY switch read by src/registry/write-path.ts,
//      never to be set on a real target) — the baseline;
//   2. the same load with the log (a fresh database each, agencies imported first);
//   3. the unchanged re-import (appends nothing);
//   4. `export services --format ndjson`, `registry verify` of the resulting log and tables,
//      and `export services --as-of <now>` of the same records.
// Prints times, the ratios (targets: load with log ≤ 1.25× without; verify ≤ 3× export;
// as-of ≤ 2× export) and peak RSS (≤ 300 MB).
//
//   npm run build && npx tsc -p . --outDir /tmp/egov-bench && \
//   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//   node /tmp/egov-bench/test/bench/registry-log.js [records=1000000] [--dir /tmp/egov-bench-data]
// (BENCH_RECORDS in the environment lowers the default too.)
//
// For work on verify and as-of only (part 4), without the two first loads:
//   --skip-first-load   one load with the log (the data part 4 reads), no baseline, no re-import
//   --keep-db <name>    use the database <name>; when it already holds the N services it is not
//                       loaded again, and it is kept at the end (drop it yourself)
//   --rounds <k>        part 4 k times, interleaved (export, verify, as-of, export, …): medians
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { generateAgencies, generateServices } from './gen-services.js';
import { runTimedOrThrow } from './run-timed.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const dir = flag('--dir') ?? '/tmp/egov-bench-data';
const skipFirstLoad = (() => {
  const i = args.indexOf('--skip-first-load');
  return i >= 0 ? (args.splice(i, 1), true) : false;
})();
const keepDb = flag('--keep-db');
const rounds = Math.max(1, Number(flag('--rounds') ?? 1));
const records = Number(args.find((a) => /^\d+$/.test(a)) ?? process.env.BENCH_RECORDS ?? 1_000_000);
const admin = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const bin = path.resolve('bin', 'egovctl.js');
if (!fs.existsSync(bin)) throw new Error(`run from the repository root (no ${bin}); build first: npm run build`);

const dbName = keepDb ?? `egovctl_benchlog_${process.pid}`;
if (!/^[a-z_][a-z0-9_]*$/.test(dbName)) throw new Error(`--keep-db ${dbName}: a plain lower-case database name`);
const dbUrl = (() => {
  const u = new URL(admin);
  u.pathname = `/${dbName}`;
  return u.toString();
})();

function psql(url: string, ...sql: string[]): string {
  return psqlOr(false, url, ...sql);
}

function psqlOr(quiet: boolean, url: string, ...sql: string[]): string {
  return execFileSync('psql', [url, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', ...sql.flatMap((s) => ['-c', s])], { encoding: 'utf8', stdio: ['ignore', 'pipe', quiet ? 'ignore' : 'inherit'] });
}

interface Run {
  seconds: number;
  peakRssMb: number | null;
  stdout: string;
}

/** Runs a command, timing it; peak RSS from /usr/bin/time -v when there is one, else from /proc. */
function timed(cmd: string, cmdArgs: string[], measureRss: boolean, env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return runTimedOrThrow(cmd, cmdArgs, measureRss, env);
}


async function main(): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const services = path.join(dir, `services-${records}.csv`);
  const agencies = path.join(dir, 'agencies-200.csv');
  if (!fs.existsSync(agencies)) await generateAgencies(200, agencies, { seed: 1 });
  if (!fs.existsSync(services)) {
    console.log(`generating ${records} services into ${services} …`);
    await generateServices(records, services, { seed: 1 });
  }
  console.log(`file: ${services} (${(fs.statSync(services).size / 1e6).toFixed(0)} MB, ${records} records); database ${dbName}`);
  const egov = (...a: string[]) => [bin, '--db', dbUrl, ...a];
  const fresh = async () => {
    psql(admin, `drop database if exists ${dbName} with (force)`, `create database ${dbName}`);
    await timed(process.execPath, egov('migrate', 'latest'), false);
    await timed(process.execPath, egov('import', 'agencies', agencies), false);
    psql(dbUrl, 'checkpoint');
  };
  const out = path.join(dir, 'bench-export.ndjson');
  const outAsOf = path.join(dir, 'bench-export-asof.ndjson');
  const median = (xs: number[]) => {
    const v = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
    return v.length === 0 ? NaN : v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
  };
  const medianRun = (runs: Run[]): Run => ({
    seconds: median(runs.map((r) => r.seconds)),
    peakRssMb: runs.some((r) => r.peakRssMb !== null) ? Math.max(...runs.map((r) => r.peakRssMb ?? 0)) : null,
    stdout: runs[runs.length - 1]!.stdout,
  });
  const loaded = () => {
    try {
      return Number(psqlOr(true, dbUrl, 'select count(*) from services').trim()) === records;
    } catch {
      return false;
    }
  };
  try {
    let noLog: Run | null = null;
    let withLog: Run | null = null;
    let again: Run | null = null;
    if (!(keepDb && skipFirstLoad && loaded())) {
      if (!skipFirstLoad) {
        await fresh();
        noLog = await timed(process.execPath, egov('import', 'services', services, '--json'), true, { ...process.env, EGOVCTL_BENCH_NO_REGISTRY_LOG: '1' });
      }
      await fresh();
      withLog = await timed(process.execPath, egov('import', 'services', services, '--json'), true);
      psql(dbUrl, 'checkpoint');
      const r1 = JSON.parse(withLog.stdout) as Record<string, number>;
      if (r1.inserted !== records) throw new Error(`unexpected counts: ${JSON.stringify({ first: r1 })}`);
      if (!skipFirstLoad) {
        again = await timed(process.execPath, egov('import', 'services', services, '--json'), true);
        const r2 = JSON.parse(again.stdout) as Record<string, number>;
        if (r2.unchanged !== records) throw new Error(`unexpected counts: ${JSON.stringify({ first: r1, again: r2 })}`);
      }
    } else console.log(`reusing database ${dbName} (${records} services)`);
    const entries = Number(psql(dbUrl, 'select count(*) from registry_log_entries').trim());
    const exps: Run[] = [];
    const vers: Run[] = [];
    const asOfs: Run[] = [];
    let same = 'not run';
    for (let round = 0; round < rounds; round++) {
      const exp = await timed(process.execPath, egov('export', 'services', '--format', 'ndjson', '--out', out), true);
      const ver = await timed(process.execPath, egov('registry', 'verify', '--json'), true).catch((e: Error) => ({ seconds: NaN, peakRssMb: null, stdout: e.message }));
      if (!Number.isNaN(ver.seconds) && JSON.parse(ver.stdout).valid !== true) throw new Error(`registry verify did not verify: ${ver.stdout.slice(0, 500)}`);
      const asOf = await timed(process.execPath, egov('export', 'services', '--format', 'ndjson', '--as-of', new Date().toISOString(), '--out', outAsOf), true).catch((e: Error) => ({ seconds: NaN, peakRssMb: null, stdout: e.message.split('\n')[0]! }));
      const s = Number.isNaN(asOf.seconds) ? 'not run' : fs.readFileSync(out).equals(fs.readFileSync(outAsOf)) ? 'byte-identical' : 'DIFFERENT';
      same = round === 0 || same === s ? s : 'DIFFERENT';
      if (rounds > 1) console.log(`round ${round + 1}: export ${exp.seconds.toFixed(2)} s, verify ${ver.seconds.toFixed(2)} s (${(ver.seconds / exp.seconds).toFixed(2)}×, ${ver.peakRssMb?.toFixed(0)} MB), as-of ${asOf.seconds.toFixed(2)} s (${(asOf.seconds / exp.seconds).toFixed(2)}×, ${asOf.peakRssMb?.toFixed(0)} MB)`);
      exps.push(exp);
      vers.push(ver);
      asOfs.push(asOf);
    }
    const exp = medianRun(exps);
    const ver = medianRun(vers);
    const asOf = medianRun(asOfs);
    const line = (label: string, r: Run, base: Run | null, target: number | null) => {
      const ratio = base ? r.seconds / base.seconds : null;
      const verdict = ratio === null || target === null ? '' : ratio <= target ? `  ok (≤ ${target}×)` : `  OVER the ${target}× target by ${((ratio / target - 1) * 100).toFixed(0)} %`;
      const rss = r.peakRssMb === null ? '' : `  peak RSS ${r.peakRssMb.toFixed(0)} MB${r.peakRssMb <= 300 ? '' : ' (over 300 MB)'}`;
      console.log(`${label.padEnd(40)} ${r.seconds.toFixed(2).padStart(7)} s${ratio === null ? '       ' : `  ${ratio.toFixed(2).padStart(5)}×`}${verdict}${rss}`);
    };
    console.log(`\n${records} services, ${entries} log entries${rounds > 1 ? ` (medians of ${rounds} rounds; peak RSS the highest)` : ''}:`);
    if (noLog) line('first load, log switched off (baseline)', noLog, null, null);
    if (withLog) line('first load with the log', withLog, noLog, noLog ? 1.25 : null);
    if (again && withLog) line('unchanged re-import (vs first load)', again, withLog, null);
    line('export services --format ndjson', exp, null, null);
    line('registry verify (vs export)', ver, exp, 3);
    if (Number.isNaN(ver.seconds)) console.log(`  registry verify: ${ver.stdout.slice(0, 300)}`);
    line(`export --as-of (vs export; ${same})`, asOf, exp, 2);
    if (Number.isNaN(asOf.seconds)) console.log(`  export --as-of: ${asOf.stdout}`);
  } finally {
    if (!keepDb) psql(admin, `drop database if exists ${dbName} with (force)`);
    for (const f of [out, outAsOf]) fs.rmSync(f, { force: true });
  }
}

await main();
