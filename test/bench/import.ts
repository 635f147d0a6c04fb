// Import benchmark (issue `import`, item 8): the same generated registry of services
//   1. loaded by `psql \copy` into a bare table of text columns — the floor;
//   2. `egovctl import services` into an empty services table (agencies imported first);
//   3. `egovctl import services` again: every record unchanged.
// Prints each round, then the medians, their ratios to the floor's median and the peak RSS
// of the egovctl process.
// Targets: import ≤ 2.0× the floor, unchanged re-import ≤ 3.0×, peak RSS ≤ 300 MB.
//
// Run from the repository root, with psql on the PATH and a PostgreSQL server whose admin
// URL may create databases (a throwaway database egovctl_bench_<pid> is made and dropped):
//   npm run build && npx tsc -p . --outDir /tmp/egov-bench && \
//   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//   node /tmp/egov-bench/test/bench/import.js [records=1000000] [--rounds 3] [--dir /tmp/egov-bench-data] [--keep]
// The generated files are kept in --dir and reused when they exist (generating 1M takes ~10 s).
// The machine varies ±15–25 % between runs (FIELD-NOTES): compare the ratios, not the times.
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
const keep = args.includes('--keep');
const rounds = Number(flag('--rounds') ?? 3);
const dir = flag('--dir') ?? '/tmp/egov-bench-data';
const records = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const admin = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const bin = path.resolve('bin', 'egovctl.js');
if (!fs.existsSync(bin)) throw new Error(`run from the repository root (no ${bin}); build first: npm run build`);

const dbName = `egovctl_bench_${process.pid}`;
const dbUrl = (() => {
  const u = new URL(admin);
  u.pathname = `/${dbName}`;
  return u.toString();
})();

function psql(url: string, ...sql: string[]): string {
  return execFileSync('psql', [url, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', ...sql.flatMap((s) => ['-c', s])], { encoding: 'utf8' });
}

interface Run {
  seconds: number;
  peakRssMb: number | null;
  stdout: string;
}

/** Runs a command, timing it; peak RSS from /usr/bin/time -v when there is one, else from /proc. */
function timed(cmd: string, cmdArgs: string[], measureRss: boolean): Promise<Run> {
  return runTimedOrThrow(cmd, cmdArgs, measureRss);
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
  const mb = fs.statSync(services).size / 1e6;
  console.log(`file: ${services} (${mb.toFixed(0)} MB, ${records} records); database ${dbName}`);

  psql(admin, `create database ${dbName}`);
  try {
    const head = Buffer.alloc(4096);
    const fd = fs.openSync(services, 'r');
    fs.readSync(fd, head, 0, head.length, 0);
    fs.closeSync(fd);
    const header = head.toString('utf8').split('\n')[0]!.split(',');
    const egov = (...a: string[]) => ['--db', dbUrl, ...a];
    await timed(process.execPath, [bin, ...egov('migrate', 'latest')], false);
    await timed(process.execPath, [bin, ...egov('import', 'agencies', agencies)], false);

    // Rounds, each one floor → import into the emptied table → the same again, so that a
    // slow or fast spell of the machine falls on all three alike (FIELD-NOTES: ±15–25 %).
    const floors: Run[] = [];
    const firsts: Run[] = [];
    const agains: Run[] = [];
    for (let round = 1; round <= rounds; round++) {
      psql(dbUrl, `create table floor (${header.map((c) => `"${c}" text`).join(', ')})`, 'checkpoint');
      floors.push(await timed('psql', [dbUrl, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', `\\copy floor from '${services}' with (format csv, header true)`], false));
      psql(dbUrl, 'drop table floor', 'truncate services', 'checkpoint');
      firsts.push(await timed(process.execPath, [bin, ...egov('import', 'services', services, '--json')], true));
      psql(dbUrl, 'checkpoint');
      agains.push(await timed(process.execPath, [bin, ...egov('import', 'services', services, '--json')], true));
      const r1 = JSON.parse(firsts.at(-1)!.stdout) as Record<string, number>;
      const r2 = JSON.parse(agains.at(-1)!.stdout) as Record<string, number>;
      if (r1.inserted !== records || r2.unchanged !== records) throw new Error(`unexpected counts: ${JSON.stringify({ first: r1, again: r2 })}`);
      const f = floors.at(-1)!.seconds;
      console.log(`round ${round}: floor ${f.toFixed(2)} s, import ${firsts.at(-1)!.seconds.toFixed(2)} s (${(firsts.at(-1)!.seconds / f).toFixed(2)}×), unchanged ${agains.at(-1)!.seconds.toFixed(2)} s (${(agains.at(-1)!.seconds / f).toFixed(2)}×)`);
    }

    const median = (xs: number[]) => {
      const a = [...xs].sort((x, y) => x - y);
      return a.length % 2 ? a[(a.length - 1) / 2]! : (a[a.length / 2 - 1]! + a[a.length / 2]!) / 2;
    };
    const floor = median(floors.map((r) => r.seconds));
    const row = (label: string, runs: Run[], target: number | null) => {
      const t = median(runs.map((r) => r.seconds));
      const ratio = t / floor;
      const peak = Math.max(...runs.map((r) => r.peakRssMb ?? 0));
      const rss = runs[0]!.peakRssMb === null ? '' : `  peak RSS ${peak.toFixed(0)} MB${peak <= 300 ? '' : ' (over 300 MB)'}`;
      const verdict = target === null ? '' : ratio <= target ? `  ok (≤ ${target}×)` : `  OVER the ${target}× target`;
      console.log(`${label.padEnd(34)} ${t.toFixed(2).padStart(7)} s  ${ratio.toFixed(2).padStart(5)}×${verdict}${rss}`);
    };
    console.log(`\nmedians of ${rounds} round${rounds === 1 ? '' : 's'}:`);
    row('psql \\copy into text columns', floors, null);
    row('egovctl import (empty table)', firsts, 2.0);
    row('egovctl import (all unchanged)', agains, 3.0);
  } finally {
    if (!keep) psql(admin, `drop database if exists ${dbName} with (force)`);
  }
}

await main();
