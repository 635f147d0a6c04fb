// Start-up benchmark (issue 18, "Start-up"): whole processes against their floors, rounds
// interleaved, medians reported:
//   1. `node -e 0`                       vs `egovctl --help`            (target ≤ 1.5×)
//   2. `psql -c 'select 1'`              vs `egovctl doctor`            (target ≤ 4×), both on a
//                                           database just migrated (its own scratch database)
//   3. `psql \copy` of a file of 5,000 services into a bare table of text columns
//                                        vs `egovctl import services` of it into a registry
//                                           of N services, registry log on   (target ≤ 5×)
// The small import alternates between two files of the same 5,000 codes (seeds 2 and 3), so
// that every run updates 5,000 services and appends 5,000 log entries.
// After the rounds, `doctor` once on the registry of N services, for information: its
// registry-log line recomputes the root from every stored entry (src/registry/log-status.ts),
// so it grows with the log (no target).
// With --before <dir> (an earlier build: its bin/, dist/, package.json, migrations/), that
// build's --help, doctor and import run in the same rounds, for before/after in one run.
//
//   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:startup -- [records=200000] [--rounds 7] [--dir /tmp/egov-bench-data] [--before <dir>]
// which is:
//   npm run build && npx tsc -p . --outDir /tmp/egov-bench && \
//   BENCH_DATABASE_URL=… node /tmp/egov-bench/test/bench/startup.js [records] [--rounds N] [--dir …] [--before <dir>]
// (TEST_DATABASE_URL is used when BENCH_DATABASE_URL is not set; BENCH_RECORDS lowers the default.)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inputFields } from '../../src/records/fields.js';
import { benchFiles } from './gen-services.js';
import { benchSetup, runTimedOrThrow } from './run-timed.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const dir = flag('--dir') ?? '/tmp/egov-bench-data';
const rounds = Number(flag('--rounds') ?? 7);
const before = flag('--before');
const records = Number(args.find((a) => /^\d+$/.test(a)) ?? process.env.BENCH_RECORDS ?? 200_000);
const SMALL = 5_000;
const { admin, bin, builds } = benchSetup(before);

const dbName = `egovctl_benchstartup_${process.pid}`;
const emptyName = `egovctl_benchstartup_empty_${process.pid}`;
const urlOf = (db: string) => {
  const u = new URL(admin);
  u.pathname = `/${db}`;
  return u.toString();
};
const dbUrl = urlOf(dbName);
const emptyUrl = urlOf(emptyName);

function psql(url: string, ...sql: string[]): string {
  return execFileSync('psql', [url, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', ...['set client_min_messages to warning', ...sql].flatMap((s) => ['-c', s])], { encoding: 'utf8' });
}

const median = (xs: number[]) => {
  const a = [...xs].sort((x, y) => x - y);
  return a.length % 2 ? a[(a.length - 1) / 2]! : (a[a.length / 2 - 1]! + a[a.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const { agencies, services, small } = await benchFiles(dir, records, SMALL);
  console.log(`registry: ${records} services (${services}); small file: ${SMALL} services (${(fs.statSync(small[0]!).size / 1e6).toFixed(1)} MB); ${rounds} rounds; database ${dbName}; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  const egov = (b: string, ...a: string[]) => [b, '--db', dbUrl, ...a];
  for (const d of [dbName, emptyName]) psql(admin, `drop database if exists ${d} with (force)`, `create database ${d}`);
  try {
    await runTimedOrThrow(process.execPath, [bin, '--db', emptyUrl, '--quiet', 'migrate', 'latest'], false);
    await runTimedOrThrow(process.execPath, egov(bin, '--quiet', 'migrate', 'latest'), false);
    await runTimedOrThrow(process.execPath, egov(bin, '--quiet', 'import', 'agencies', agencies), false);
    console.log(`loading the registry …`);
    await runTimedOrThrow(process.execPath, egov(bin, '--quiet', 'import', 'services', services), false);
    const columns = inputFields('services').map((f) => f.name);
    psql(dbUrl, `create table bench_bare_services (${columns.map((c) => `${c} text`).join(', ')})`, 'vacuum analyze', 'checkpoint');

    const times = new Map<string, number[]>();
    const add = (k: string, s: number) => times.set(k, [...(times.get(k) ?? []), s]);
    let imports = 0;
    const steps: Array<[string, () => Promise<number>]> = [
      ['node -e 0', async () => (await runTimedOrThrow(process.execPath, ['-e', '0'], false)).seconds],
      ...builds.map((b): [string, () => Promise<number>] => [`${b.name} --help`, async () => {
        const r = await runTimedOrThrow(process.execPath, [b.bin, '--help'], false);
        if (!r.stdout.includes('Exit codes:')) throw new Error(`${b.name} --help printed no help`);
        return r.seconds;
      }]),
      ["psql -c 'select 1'", async () => (await runTimedOrThrow('psql', [emptyUrl, '-X', '-q', '-c', 'select 1'], false)).seconds],
      ...builds.map((b): [string, () => Promise<number>] => [`${b.name} doctor`, async () => {
        const r = await runTimedOrThrow(process.execPath, [b.bin, '--db', emptyUrl, 'doctor', '--json'], false);
        const doc = JSON.parse(r.stdout) as { reachable: boolean; pending: number; applied: number };
        if (!doc.reachable || doc.pending || !doc.applied) throw new Error(`${b.name} doctor: unexpected report ${r.stdout.slice(0, 300)}`);
        return r.seconds;
      }]),
      [`psql \\copy ${SMALL} into a bare table`, async () => {
        psql(dbUrl, 'truncate bench_bare_services');
        const r = await runTimedOrThrow('psql', [dbUrl, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', `\\copy bench_bare_services from '${small[0]!}' with (format csv, header true)`], false);
        return r.seconds;
      }],
      ...builds.map((b): [string, () => Promise<number>] => [`${b.name} import ${SMALL}`, async () => {
        // every run updates the 5,000: the two files hold the same codes with other values
        const file = small[imports++ % 2]!;
        const r = await runTimedOrThrow(process.execPath, egov(b.bin, 'import', 'services', file, '--json'), false);
        const rep = JSON.parse(r.stdout) as { updated: number };
        if (rep.updated !== SMALL) throw new Error(`${b.name} import: expected ${SMALL} updated, got ${r.stdout.slice(0, 300)}`);
        return r.seconds;
      }]),
    ];
    // warm-up: the page cache and the server's buffers, not counted
    for (const [, run] of steps) await run();
    for (let r = 0; r < rounds; r++) {
      // forwards, then backwards: neither side always runs right after the same neighbour
      for (const [k, run] of r % 2 === 0 ? steps : [...steps].reverse()) add(k, await run());
      process.stdout.write(`round ${r + 1}/${rounds} done\n`);
    }
    const entries = Number(psql(dbUrl, 'select count(*) from registry_log_entries').trim());
    const bigDoctor = await runTimedOrThrow(process.execPath, egov(bin, 'doctor', '--json'), false);
    if ((JSON.parse(bigDoctor.stdout) as { counts: { services: number } }).counts.services !== records) throw new Error(`doctor: unexpected report ${bigDoctor.stdout.slice(0, 300)}`);

    console.log(`\n${records} services in the registry, ${entries} log entries after the runs; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log(`| | median (s) | all (s) | ratio | target |`);
    console.log('|---|---|---|---|---|');
    const row = (k: string, floor?: string, target?: number) => {
      const m = median(times.get(k)!);
      const ratio = floor ? m / median(times.get(floor)!) : null;
      const verdict = ratio === null || target === undefined ? '' : `≤ ${target}×: ${ratio <= target ? 'ok' : `OVER by ${((ratio / target - 1) * 100).toFixed(0)} %`}`;
      console.log(`| ${k} | ${m.toFixed(3)} | ${times.get(k)!.map((s) => s.toFixed(3)).join(' ')} | ${ratio === null ? '' : `${ratio.toFixed(2)}×`} | ${verdict} |`);
    };
    row('node -e 0');
    for (const b of builds) row(`${b.name} --help`, 'node -e 0', 1.5);
    row("psql -c 'select 1'");
    for (const b of builds) row(`${b.name} doctor`, "psql -c 'select 1'", 4);
    console.log(`| doctor on the registry (${records} services, ${entries} log entries; once, no target) | ${bigDoctor.seconds.toFixed(3)} | | | |`);
    row(`psql \\copy ${SMALL} into a bare table`);
    for (const b of builds) row(`${b.name} import ${SMALL}`, `psql \\copy ${SMALL} into a bare table`, 5);
  } finally {
    for (const d of [dbName, emptyName]) psql(admin, `drop database if exists ${d} with (force)`);
  }
}

await main();
