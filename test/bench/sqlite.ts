// SQLite benchmark (issue 18): egovctl on the embedded database against SQLite's own shell,
// rounds interleaved — in each round:
//   1. `sqlite3 f.db ".import --csv <services.csv> bare"` into a new file (a bare table of
//      text columns made from the header: the import floor);
//   2. `egovctl import services <services.csv>` into a new file holding only the agencies
//      (registry log on: every service gets its item and entry);
//   3. `sqlite3 -csv -header <that file> "select <the export's columns> from services order by code"`
//      to a file (the export floor);
//   4. `egovctl export services --out <file>` of the same file.
// Prints each round, then the medians, the ratios to the floors' medians, CPU seconds
// (user+sys: the machine may be shared, so they say more than wall time) and peak RSS.
// Targets (issue 18): import ≤ 3.0×, export ≤ 1.5×, peak RSS ≤ 200 MB.
//
// Run from the repository root, with sqlite3 on the PATH:
//   npm run build && npx tsc -p . --outDir /tmp/egov-bench && \
//   node /tmp/egov-bench/test/bench/sqlite.js [records=1000000] [--rounds 3] [--dir /tmp/egov-bench-data] [--before <dir>]
// --before: an earlier build (its bin/ and dist/; `git worktree add` it and build) runs too,
// in the same rounds, right after this one's.
// The generated files are kept in --dir and reused (1M services: 724 MB, ~15 s to make);
// each round's databases (~3.6 GB at 1M) are removed as it goes.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fieldNames } from '../../src/records/fields.js';
import { generateAgencies, generateServices } from './gen-services.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const rounds = Number(flag('--rounds') ?? 3);
const dir = flag('--dir') ?? '/tmp/egov-bench-data';
const records = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const before = flag('--before');
const bin = path.resolve('bin', 'egovctl.js');
if (!fs.existsSync(bin)) throw new Error(`run from the repository root (no ${bin}); build first: npm run build`);
const builds = [{ name: '', bin }, ...(before ? [{ name: ' (before)', bin: path.resolve(before, 'bin', 'egovctl.js') }] : [])];
if (!builds.every((b) => fs.existsSync(b.bin))) throw new Error(`--before ${before}: no bin/egovctl.js there`);
if (!fs.existsSync('/usr/bin/time')) throw new Error('needs /usr/bin/time (GNU time) for CPU seconds and peak RSS');

interface Run {
  seconds: number;
  cpu: number;
  rssMb: number;
  stdout: string;
}

/** A command as a whole process: wall seconds, user+sys CPU seconds and peak RSS (GNU time), standard output to `out` or kept. */
function timed(cmd: string, argv: string[], out?: string): Promise<Run> {
  const stats = path.join(os.tmpdir(), `egov-bench-time-${process.pid}`);
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const sink = out ? fs.openSync(out, 'w') : 'pipe';
    const child = spawn('/usr/bin/time', ['-o', stats, '-f', '%U %S %M', cmd, ...argv], { stdio: ['ignore', sink, 'pipe'] });
    if (typeof sink === 'number') fs.closeSync(sink);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) return reject(new Error(`${cmd} ${argv.join(' ')} exited ${code}:\n${stderr.slice(-2000)}`));
      const [u, s, kb] = fs.readFileSync(stats, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
      fs.rmSync(stats, { force: true });
      resolve({ seconds, cpu: u! + s!, rssMb: kb! / 1024, stdout });
    });
  });
}

const median = (xs: number[]) => {
  const a = [...xs].sort((x, y) => x - y);
  return a.length % 2 ? a[(a.length - 1) / 2]! : (a[a.length / 2 - 1]! + a[a.length / 2]!) / 2;
};
const rm = (file: string) => {
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) fs.rmSync(f, { force: true });
};

async function main(): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const services = path.join(dir, `services-${records}.csv`);
  const agencies = path.join(dir, 'agencies-200.csv');
  if (!fs.existsSync(agencies)) await generateAgencies(200, agencies, { seed: 1 });
  if (!fs.existsSync(services)) {
    console.log(`generating ${records} services into ${services} …`);
    await generateServices(records, services, { seed: 1 });
  }
  console.log(`file: ${services} (${(fs.statSync(services).size / 1e6).toFixed(0)} MB, ${records} records); ${execFileSync('sqlite3', ['--version'], { encoding: 'utf8' }).split(' ').slice(0, 1).join('')} shell`);

  const work = fs.mkdtempSync(path.join(dir, 'sqlite-bench-'));
  const template = path.join(work, 'agencies.db');
  const floorDb = path.join(work, 'floor.db');
  const egovDb = path.join(work, 'egov.db');
  const out = path.join(work, 'out.csv');
  const floorOut = path.join(work, 'floor.csv');
  const select = `select ${fieldNames('services').join(', ')} from services order by code`;
  try {
    await timed(process.execPath, [bin, '--db', `sqlite:${template}`, '--quiet', 'migrate', 'latest']);
    await timed(process.execPath, [bin, '--db', `sqlite:${template}`, '--quiet', 'import', 'agencies', agencies]);
    const floor: Run[] = [];
    const exportFloor: Run[] = [];
    const imports = builds.map(() => [] as Run[]);
    const exports = builds.map(() => [] as Run[]);
    const last = (x: Run[], f: Run[]) => `${x.at(-1)!.seconds.toFixed(2)} s (${(x.at(-1)!.seconds / f.at(-1)!.seconds).toFixed(2)}×, cpu ${x.at(-1)!.cpu.toFixed(1)} s)`;
    for (let round = 1; round <= rounds; round++) {
      rm(floorDb);
      floor.push(await timed('sqlite3', [floorDb, `.import --csv ${services} bare`]));
      rm(floorDb);
      const said = [`round ${round}: import floor ${floor.at(-1)!.seconds.toFixed(2)} s (cpu ${floor.at(-1)!.cpu.toFixed(1)} s)`];
      for (const [b, build] of builds.entries()) {
        rm(egovDb);
        fs.copyFileSync(template, egovDb, fs.constants.COPYFILE_EXCL);
        const imp = await timed(process.execPath, [build.bin, '--db', `sqlite:${egovDb}`, 'import', 'services', services, '--json']);
        const report = JSON.parse(imp.stdout) as { inserted: number };
        if (report.inserted !== records) throw new Error(`import inserted ${report.inserted}, not ${records}`);
        imports[b]!.push(imp);
        if (b === 0) exportFloor.push(await timed('sqlite3', ['-csv', '-header', egovDb, select], floorOut));
        fs.rmSync(out, { force: true });
        exports[b]!.push(await timed(process.execPath, [build.bin, '--db', `sqlite:${egovDb}`, '--quiet', 'export', 'services', '--out', out]));
        rm(egovDb);
        said.push(`egovctl${build.name} import ${last(imports[b]!, floor)}, export ${last(exports[b]!, exportFloor)}`);
      }
      said.splice(1, 0, `export floor ${exportFloor.at(-1)!.seconds.toFixed(2)} s (cpu ${exportFloor.at(-1)!.cpu.toFixed(1)} s)`);
      console.log(said.join('; '));
    }

    console.log(`\nmedians of ${rounds} round${rounds === 1 ? '' : 's'} (ratios to the floor's median: wall, and CPU user+sys):`);
    const row = (label: string, xs: Run[], against: Run[] | null, target: number | null) => {
      const t = median(xs.map((x) => x.seconds));
      const c = median(xs.map((x) => x.cpu));
      const peak = Math.max(...xs.map((x) => x.rssMb));
      let ratio = '';
      if (against) {
        const w = t / median(against.map((x) => x.seconds));
        const verdict = target === null ? '' : w <= target ? `  ok (≤ ${target}×)` : `  OVER the ${target}× target`;
        ratio = `  ${w.toFixed(2).padStart(5)}×  cpu ${(c / median(against.map((x) => x.cpu))).toFixed(2)}×${verdict}`;
      }
      const rss = against ? `  peak RSS ${peak.toFixed(0)} MB${peak <= 200 ? '' : ' (over 200 MB)'}` : '';
      console.log(`${label.padEnd(40)} ${t.toFixed(2).padStart(7)} s  cpu ${c.toFixed(1).padStart(5)} s${ratio}${rss}`);
    };
    row('sqlite3 .import (bare table)', floor, null, null);
    for (const [b, build] of builds.entries()) row(`egovctl import services${build.name}`, imports[b]!, floor, 3.0);
    row('sqlite3 -csv select … order by code', exportFloor, null, null);
    for (const [b, build] of builds.entries()) row(`egovctl export services --out${build.name}`, exports[b]!, exportFloor, 1.5);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

await main();
