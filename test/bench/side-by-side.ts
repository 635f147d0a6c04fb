// Two builds of egovctl side by side on the same files, rounds interleaved: a change that
// claims to leave speed alone (a refactor) is measured against the build before it in one
// run, since this machine's speed moves ±15–40 % between runs (FIELD-NOTES).
//
// Run from the repository root after `npm run build`, with an earlier build kept somewhere
// (its bin/, dist/ and package.json; node_modules may be a symlink to this one's):
//   git worktree add /tmp/egov-before <commit> && (cd /tmp/egov-before && npm ci && npm run build)
//   npx tsc -p . --outDir /tmp/egov-bench && \
//   node /tmp/egov-bench/test/bench/side-by-side.js --before /tmp/egov-before [records=200000] [--rounds 3] [--dir /tmp/egov-bench-data]
//
// Per round and build: PostgreSQL import into the emptied table, the same import again
// (every record unchanged), `validate file`, `export services --out` (CSV); SQLite import
// into a new file and its export. Prints the medians of each, and after/before.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { generateAgencies, generateServices } from './gen-services.js';
import { runTimedOrThrow, type TimedRun } from './run-timed.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const before = flag('--before');
const rounds = Number(flag('--rounds') ?? 3);
const dir = flag('--dir') ?? '/tmp/egov-bench-data';
const records = Number(args.find((a) => /^\d+$/.test(a)) ?? 200_000);
const admin = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
if (!before || !fs.existsSync(path.join(before, 'bin', 'egovctl.js'))) throw new Error('--before <dir>: an earlier build (its bin/egovctl.js and dist/)');
const builds = [
  { name: 'before', bin: path.resolve(before, 'bin', 'egovctl.js') },
  { name: 'after', bin: path.resolve('bin', 'egovctl.js') },
];
if (!fs.existsSync(builds[1]!.bin)) throw new Error('run from the repository root, after npm run build');

const urlOf = (db: string) => {
  const u = new URL(admin);
  u.pathname = `/${db}`;
  return u.toString();
};
const psql = (url: string, sql: string) => execFileSync('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' });

const STEPS = ['pg import (empty)', 'pg import (unchanged)', 'validate file', 'pg export --out', 'sqlite import', 'sqlite export --out'] as const;
type Step = (typeof STEPS)[number];

async function round(bin: string, name: string, services: string, agencies: string, times: Map<Step, number[]>, rss: Map<Step, number[]>): Promise<void> {
  const db = urlOf(`egovctl_sbs_${name}_${process.pid}`);
  const sqlite = path.join(dir, `sbs-${name}-${process.pid}.db`);
  const out = path.join(dir, `sbs-${name}-${process.pid}.csv`);
  const egov = (url: string, ...a: string[]) => [bin, '--db', url, '--quiet', ...a];
  const step = async (s: Step, argv: string[]): Promise<TimedRun> => {
    const r = await runTimedOrThrow(process.execPath, argv, true);
    times.get(s)!.push(r.seconds);
    if (r.peakRssMb !== null) rss.get(s)!.push(r.peakRssMb);
    return r;
  };
  psql(db, 'truncate services');
  psql(db, 'checkpoint');
  await step('pg import (empty)', egov(db, 'import', 'services', services));
  psql(db, 'checkpoint');
  await step('pg import (unchanged)', egov(db, 'import', 'services', services));
  await step('validate file', [bin, '--quiet', 'validate', 'file', 'services', services]);
  fs.rmSync(out, { force: true });
  await step('pg export --out', egov(db, 'export', 'services', '--out', out));
  fs.rmSync(sqlite, { force: true });
  const lite = `sqlite:${sqlite}`;
  await runTimedOrThrow(process.execPath, egov(lite, 'migrate', 'latest'), false);
  await runTimedOrThrow(process.execPath, egov(lite, 'import', 'agencies', agencies), false);
  await step('sqlite import', egov(lite, 'import', 'services', services));
  fs.rmSync(out, { force: true });
  await step('sqlite export --out', egov(lite, 'export', 'services', '--out', out));
  fs.rmSync(sqlite, { force: true });
  fs.rmSync(out, { force: true });
}

const median = (xs: number[]) => {
  const a = [...xs].sort((x, y) => x - y);
  return a.length % 2 ? a[(a.length - 1) / 2]! : (a[a.length / 2 - 1]! + a[a.length / 2]!) / 2;
};

async function main(): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const services = path.join(dir, `services-${records}.csv`);
  const agencies = path.join(dir, 'agencies-200.csv');
  if (!fs.existsSync(agencies)) await generateAgencies(200, agencies, { seed: 1 });
  if (!fs.existsSync(services)) await generateServices(records, services, { seed: 1 });
  console.log(`file: ${services} (${(fs.statSync(services).size / 1e6).toFixed(0)} MB, ${records} records), ${rounds} rounds`);
  const stats = builds.map(() => ({ times: new Map(STEPS.map((s) => [s, [] as number[]])), rss: new Map(STEPS.map((s) => [s, [] as number[]])) }));
  for (const b of builds) {
    const name = `egovctl_sbs_${b.name}_${process.pid}`;
    psql(admin, `create database ${name}`);
    await runTimedOrThrow(process.execPath, [b.bin, '--db', urlOf(name), '--quiet', 'migrate', 'latest'], false);
    await runTimedOrThrow(process.execPath, [b.bin, '--db', urlOf(name), '--quiet', 'import', 'agencies', agencies], false);
  }
  try {
    for (let r = 0; r < rounds; r++) {
      // before, after; after, before; … so neither always runs on a warmer machine.
      const order = r % 2 === 0 ? [0, 1] : [1, 0];
      for (const i of order) await round(builds[i]!.bin, builds[i]!.name, services, agencies, stats[i]!.times, stats[i]!.rss);
      console.log(`round ${r + 1} done`);
    }
  } finally {
    for (const b of builds) psql(admin, `drop database if exists egovctl_sbs_${b.name}_${process.pid} with (force)`);
  }
  console.log(`\n| step | before (s) | after (s) | after/before | peak RSS before / after (MB) |`);
  console.log('|---|---|---|---|---|');
  for (const s of STEPS) {
    const [b, a] = stats.map((st) => median(st.times.get(s)!));
    const [rb, ra] = stats.map((st) => Math.max(0, ...st.rss.get(s)!));
    console.log(`| ${s} | ${b!.toFixed(2)} | ${a!.toFixed(2)} | ${(a! / b!).toFixed(2)} | ${rb!.toFixed(0)} / ${ra!.toFixed(0)} |`);
  }
}

await main();
