// Every speed target of issue 18 in one run, each egovctl command side by side with its floor,
// rounds interleaved (a slow or fast spell of the machine falls on both), medians reported:
//
//   PostgreSQL (registry log on, as shipped), a fresh database per round:
//     (for information: psql \copy of the records and of the registry-log rows the import
//      stored, into bare tables — what storing the log costs the server, whoever writes it)
//     psql \copy of the file into a bare table of text columns  →  egovctl import (empty)    ≤ 1.35×
//                                                                  egovctl import (unchanged) ≤ 1.5×
//     psql \copy (select * from services order by code) to      →  egovctl export --out csv  ≤ 1.2×
//                                                                  egovctl export --out ndjson ≤ 1.3×
//     psql \copy of 5,000 services into a bare table (a process) →  egovctl import of them into
//                                                                  the registry of N           ≤ 5×
//     psql -c 'select 1'                                         →  egovctl doctor (just-migrated
//                                                                  database; and the registry) ≤ 4×
//     node -e 0                                                  →  egovctl --help            ≤ 1.5×
//   SQLite (when the sqlite3 shell is on the PATH; else the rows say why they are missing):
//     sqlite3 .import --csv into a bare table                    →  egovctl import (empty)    ≤ 3.0×
//     sqlite3 -csv -header "select * from services order by code" → egovctl export --out csv  ≤ 1.5×
//   Peak RSS of every egovctl process ≤ 200 MB.
//
//   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:speed -- \
//     [records=1000000] [--rounds 2] [--dir /tmp/egov-bench-data] [--before <dir>] [--no-sqlite] [--small 5000]
// which is `npm run build && tsc -p . --outDir /tmp/egov-bench && node /tmp/egov-bench/test/bench/speed.js …`,
// run from the repository root. Needs psql (PostgreSQL's client) and GNU time for peak RSS
// (else /proc is polled); the sqlite3 shell for the SQLite floors (`apt-get install sqlite3`).
// TEST_DATABASE_URL is used when BENCH_DATABASE_URL is not set. Scratch databases
// egovctl_speed_<pid>_* are made and dropped; the generated files are kept in --dir and reused.
// --before <dir>: an earlier build (its bin/, dist/, package.json, migrations/, node_modules/),
// whose commands run in the same rounds — before and after in one run.
// The floors move ±40 % between rounds on this machine (FIELD-NOTES): compare the ratios,
// and run it on an idle machine.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchFiles } from './gen-services.js';
import { benchSetup, runTimedOrThrow, type TimedRun } from './run-timed.js';

export interface SpeedRow {
  label: string;
  /** median seconds; null when not measured (the SQLite rows without a sqlite3 shell) */
  seconds: number | null;
  /** to the row's floor; null for a floor */
  ratio: number | null;
  target: number | null;
  peakRssMb: number | null;
}

/** Runs every benchmark (argv as the command line takes it), prints the table with `log`, and returns its rows. */
export async function speedBench(argv: readonly string[], log: (line: string) => void = console.log): Promise<SpeedRow[]> {
  const args = [...argv];
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args.splice(i, 2)[1] : undefined;
  };
  const bool = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? (args.splice(i, 1), true) : false;
  };
  const dir = path.resolve(flag('--dir') ?? '/tmp/egov-bench-data');
  const rounds = Math.max(1, Number(flag('--rounds') ?? 2));
  const before = flag('--before');
  const noSqlite = bool('--no-sqlite');
  const records = Number(args.find((a) => /^\d+$/.test(a)) ?? process.env.BENCH_RECORDS ?? 1_000_000);
  const SMALL = Number(flag('--small') ?? 5_000);
  const RSS_LIMIT_MB = 200;
  const { admin, bin, builds } = benchSetup(before);
  const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
  if (!onPath('psql')) throw new Error('psql is not on the PATH: it runs the PostgreSQL floors');
  const sqliteWhy = noSqlite ? 'skipped (--no-sqlite)' : onPath('sqlite3') ? null : 'skipped: no sqlite3 shell on the PATH for the floor (apt-get install sqlite3)';

  const prefix = `egovctl_speed_${process.pid}`;
  const urlOf = (db: string) => {
    const u = new URL(admin);
    u.pathname = `/${db}`;
    return u.toString();
  };
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'egovctl-speed-'));

  function psql(url: string, ...sql: string[]): string {
    return execFileSync('psql', [url, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', ...['set client_min_messages to warning', ...sql].flatMap((s) => ['-c', s])], { encoding: 'utf8' });
  }

  const median = (xs: number[]) => {
    const a = [...xs].sort((x, y) => x - y);
    return a.length % 2 ? a[(a.length - 1) / 2]! : (a[a.length / 2 - 1]! + a[a.length / 2]!) / 2;
  };

  interface Sample {
    seconds: number;
    rssMb: number | null;
  }
  const samples = new Map<string, Sample[]>();
  const keep = (key: string, r: TimedRun) => {
    samples.set(key, [...(samples.get(key) ?? []), { seconds: r.seconds, rssMb: r.peakRssMb }]);
    return r;
  };
  const node = (b: string, ...a: string[]) => runTimedOrThrow(process.execPath, [b, ...a], true);
  const report = <T>(r: TimedRun, what: string): T => {
    try {
      return JSON.parse(r.stdout) as T;
    } catch {
      throw new Error(`${what}: no JSON on standard output: ${r.stdout.slice(0, 300)} ${r.stderr.slice(0, 300)}`);
    }
  };
  /** Export files are flushed to disk (SPEC §7): start each run with nothing left to write back. */
  const settle = () => spawnSync('sync');

  async function pgRound(round: number, files: { services: string; small: string[] }, templateOf: (build: string) => string, header: string[]): Promise<void> {
    const bare = `create table bench_bare (${header.map((c) => `"${c}" text`).join(', ')})`;
    const floorCopy = (url: string, file: string) => runTimedOrThrow('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', `\\copy bench_bare from '${file}' with (format csv, header true)`], false);
    for (const b of builds) {
      const db = `${prefix}_r${round}_${b.name}`;
      const url = urlOf(db);
      psql(admin, `drop database if exists ${db} with (force)`, `create database ${db} template ${templateOf(b.name)}`);
      try {
        // 1. the first load, against the floor into a bare table of the same database
        psql(url, bare, 'checkpoint');
        keep('pg floor import', await floorCopy(url, files.services));
        psql(url, 'drop table bench_bare', 'checkpoint');
        const first = report<{ inserted: number }>(keep(`${b.name} pg import (empty)`, await node(b.bin, '--db', url, 'import', 'services', files.services, '--json')), 'import');
        if (first.inserted !== records) throw new Error(`${b.name} import: expected ${records} inserted, got ${JSON.stringify(first)}`);
        psql(url, 'checkpoint');
        const again = report<{ unchanged: number }>(keep(`${b.name} pg import (unchanged)`, await node(b.bin, '--db', url, 'import', 'services', files.services, '--json')), 'import');
        if (again.unchanged !== records) throw new Error(`${b.name} re-import: expected ${records} unchanged, got ${JSON.stringify(again)}`);
        if (b === builds[0]) {
          // For information: what storing the registry log's rows costs the server, whoever
          // writes them — the same records and the log rows the import made (SPEC §9: every
          // item and entry is stored) loaded by psql \copy into bare tables of text columns.
          const items = path.join(work, 'items.csv');
          const entries = path.join(work, 'entries.csv');
          psql(url, `\\copy registry_log_items (hash, bytes) to '${items}' with (format csv)`, `\\copy registry_log_entries ("number", "timestamp", actor, entity, key, op, item, bytes) to '${entries}' with (format csv)`);
          psql(url, bare, 'create table bench_bare_items (hash text, bytes text)', 'create table bench_bare_entries (n text, ts text, actor text, entity text, key text, op text, item text, bytes text)', 'checkpoint');
          keep('pg floor import with log rows', await runTimedOrThrow('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', `\\copy bench_bare from '${files.services}' with (format csv, header true)`, '-c', `\\copy bench_bare_items from '${items}' with (format csv)`, '-c', `\\copy bench_bare_entries from '${entries}' with (format csv)`], false));
          psql(url, 'drop table bench_bare, bench_bare_items, bench_bare_entries', 'checkpoint');
          for (const f of [items, entries]) fs.rmSync(f, { force: true });
        }
        // 2. exports, each after its floor
        const out = path.join(work, 'out');
        settle();
        keep('pg floor export', await runTimedOrThrow('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', `\\copy (select * from services order by code collate "C") to '${out}.floor.csv' with (format csv, header true)`], false));
        const floorBytes = fs.statSync(`${out}.floor.csv`).size;
        for (const format of ['csv', 'ndjson']) {
          settle();
          const r = keep(`${b.name} pg export ${format}`, await node(b.bin, '--db', url, 'export', 'services', '--format', format, '--out', `${out}.${format}`, '--json'));
          const sum = report<{ rows: number; bytes: number }>(r, 'export');
          if (sum.rows !== records || sum.bytes < floorBytes / 2) throw new Error(`${b.name} export ${format}: ${r.stdout.slice(0, 300)} (the floor wrote ${floorBytes} bytes)`);
        }
        fs.rmSync(`${out}.floor.csv`, { force: true });
        for (const f of ['csv', 'ndjson']) fs.rmSync(`${out}.${f}`, { force: true });
        // 3. a small file into the registry of N: 5,000 updated each time (two files, same codes)
        psql(url, bare, 'vacuum analyze', 'checkpoint');
        for (let i = 0; i < 2; i++) {
          psql(url, 'truncate bench_bare');
          keep(`pg floor ${SMALL}`, await floorCopy(url, files.small[i]!));
          const r = report<{ updated: number }>(keep(`${b.name} pg import ${SMALL}`, await node(b.bin, '--db', url, 'import', 'services', files.small[i]!, '--json')), 'import');
          if (r.updated !== SMALL) throw new Error(`${b.name} import of ${SMALL}: expected ${SMALL} updated, got ${JSON.stringify(r)}`);
        }
        // 4. doctor on this registry, against the smallest whole psql process
        for (let i = 0; i < 2; i++) {
          keep("psql -c 'select 1'", await runTimedOrThrow('psql', [url, '-X', '-q', '-c', 'select 1'], false));
          const d = report<{ reachable: boolean; counts: { services: number } }>(keep(`${b.name} doctor (registry)`, await node(b.bin, '--db', url, 'doctor', '--json')), 'doctor');
          if (!d.reachable || d.counts.services !== records) throw new Error(`${b.name} doctor: ${JSON.stringify(d).slice(0, 300)}`);
        }
      } finally {
        psql(admin, `drop database if exists ${db} with (force)`);
      }
    }
  }

  async function startupRound(emptyUrl: string): Promise<void> {
    for (let i = 0; i < 3; i++) {
      keep('node -e 0', await runTimedOrThrow(process.execPath, ['-e', '0'], false));
      for (const b of builds) {
        const r = keep(`${b.name} --help`, await node(b.bin, '--help'));
        if (!r.stdout.includes('Exit codes:')) throw new Error(`${b.name} --help printed no help`);
      }
      keep("psql -c 'select 1' (empty)", await runTimedOrThrow('psql', [emptyUrl, '-X', '-q', '-c', 'select 1'], false));
      for (const b of builds) {
        const d = report<{ reachable: boolean; pending: number }>(keep(`${b.name} doctor (migrated, empty)`, await node(b.bin, '--db', emptyUrl, 'doctor', '--json')), 'doctor');
        if (!d.reachable || d.pending) throw new Error(`${b.name} doctor: ${JSON.stringify(d).slice(0, 300)}`);
      }
    }
  }

  async function sqliteRound(services: string, templates: Map<string, string>): Promise<void> {
    const bareDb = path.join(work, 'bare.sqlite');
    for (const b of builds) {
      fs.rmSync(bareDb, { force: true });
      keep('sqlite floor import', await runTimedOrThrow('sqlite3', [bareDb, '.import --csv ' + services + ' bench_bare'], false));
      const db = path.join(work, `round-${b.name}.sqlite`);
      for (const s of ['', '-wal', '-shm', '-journal']) fs.rmSync(db + s, { force: true });
      fs.copyFileSync(templates.get(b.name)!, db);
      const r = report<{ inserted: number }>(keep(`${b.name} sqlite import (empty)`, await node(b.bin, '--db', `sqlite:${db}`, 'import', 'services', services, '--json')), 'import');
      if (r.inserted !== records) throw new Error(`${b.name} SQLite import: expected ${records} inserted, got ${JSON.stringify(r)}`);
      const out = path.join(work, 'sqlite-out');
      settle();
      const floor = await runTimedOrThrow('sh', ['-c', `sqlite3 -csv -header '${db}' 'select * from services order by code' > '${out}.floor.csv'`], false);
      keep('sqlite floor export', floor);
      settle();
      const e = keep(`${b.name} sqlite export csv`, await node(b.bin, '--db', `sqlite:${db}`, 'export', 'services', '--format', 'csv', '--out', `${out}.csv`, '--json'));
      if (report<{ rows: number }>(e, 'export').rows !== records) throw new Error(`${b.name} SQLite export: ${e.stdout.slice(0, 300)}`);
      for (const f of [`${out}.floor.csv`, `${out}.csv`, db]) fs.rmSync(f, { force: true });
    }
    fs.rmSync(bareDb, { force: true });
  }

  async function main(): Promise<SpeedRow[]> {
    const { agencies, services, small } = await benchFiles(dir, records, SMALL);
    const head = Buffer.alloc(4096);
    const fd = fs.openSync(services, 'r');
    fs.readSync(fd, head, 0, head.length, 0);
    fs.closeSync(fd);
    const header = head.toString('utf8').split('\n')[0]!.split(',');
    log(`${records} services (${(fs.statSync(services).size / 1e6).toFixed(0)} MB, ${services}); ${rounds} rounds; ${os.cpus().length} CPUs, node ${process.version}; builds: ${builds.map((b) => `${b.name} ${b.bin}`).join(', ')}; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

    // per build: a PostgreSQL template (migrated, agencies loaded) each round's database is
    // copied from, a migrated empty database for doctor, and a SQLite file likewise
    const sqliteTemplates = new Map<string, string>();
    const emptyDb = `${prefix}_empty`;
    const templateOf = (b: string) => `${prefix}_tpl_${b}`;
    try {
      psql(admin, `create database ${emptyDb}`);
      await node(bin, '--db', urlOf(emptyDb), '--quiet', 'migrate', 'latest');
      for (const b of builds) {
        const tpl = templateOf(b.name);
        psql(admin, `create database ${tpl}`);
        await node(b.bin, '--db', urlOf(tpl), '--quiet', 'migrate', 'latest');
        await node(b.bin, '--db', urlOf(tpl), '--quiet', 'import', 'agencies', agencies);
        if (!sqliteWhy) {
          const file = path.join(work, `template-${b.name}.sqlite`);
          await node(b.bin, '--db', `sqlite:${file}`, '--quiet', 'migrate', 'latest');
          await node(b.bin, '--db', `sqlite:${file}`, '--quiet', 'import', 'agencies', agencies);
          sqliteTemplates.set(b.name, file);
        }
      }
      // warm-up, not counted: the page cache holds the file, node's compile cache is made
      await runTimedOrThrow('sh', ['-c', `cat '${services}' > /dev/null`], false);
      await startupRound(urlOf(emptyDb));
      samples.clear();

      for (let round = 1; round <= rounds; round++) {
        await startupRound(urlOf(emptyDb));
        await pgRound(round, { services, small }, templateOf, header);
        if (!sqliteWhy) await sqliteRound(services, sqliteTemplates);
        log(`round ${round}/${rounds} done; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
      }
    } finally {
      for (const b of builds) psql(admin, `drop database if exists ${templateOf(b.name)} with (force)`);
      psql(admin, `drop database if exists ${emptyDb} with (force)`);
      fs.rmSync(work, { recursive: true, force: true });
    }
    return printTable();
  }

  function printTable(): SpeedRow[] {
    const table: SpeedRow[] = [];
    const m = (k: string) => {
      const s = samples.get(k);
      return s ? median(s.map((x) => x.seconds)) : null;
    };
    const rss = (k: string) => {
      const s = (samples.get(k) ?? []).map((x) => x.rssMb).filter((x): x is number => x !== null);
      return s.length ? Math.max(...s) : null;
    };
    const rowsOf = (k: string) => (samples.get(k) ?? []).map((x) => x.seconds.toFixed(2)).join(' ');
    const cols = ['', 'median (s)', 'runs (s)', ...builds.flatMap((b) => (b.name === 'egovctl' ? ['ratio', 'target', 'peak RSS (MB)'] : [`${b.name} (s)`, `${b.name} ratio`, `${b.name} peak RSS`]))];
    log(`\n| ${cols.join(' | ')} |`);
    log(`|${cols.map(() => '---').join('|')}|`);
    const floorRow = (k: string, label: string) => {
      const t = m(k);
      table.push({ label, seconds: t, ratio: null, target: null, peakRssMb: null });
      log(`| ${label} | ${t === null ? '—' : t.toFixed(3)} | ${rowsOf(k)} |${builds.map((b) => (b.name === 'egovctl' ? ' | | |' : ' | | |')).join('')}`);
    };
    /** a second floor, with its ratio to the first (no target) */
    const infoRow = (k: string, label: string, floorKey: string) => {
      const t = m(k);
      const f = m(floorKey);
      const ratio = t === null || f === null ? null : t / f;
      table.push({ label, seconds: t, ratio, target: null, peakRssMb: null });
      log(`| ${label} | ${t === null ? '—' : t.toFixed(3)} | ${rowsOf(k)} | ${ratio === null ? '' : `${ratio.toFixed(2)}×`} | (for information) | |${builds.slice(1).map(() => ' | | |').join('')}`);
    };
    const cmdRow = (what: string, label: string, floorKey: string, target: number, missing: string | null = null) => {
      const f = m(floorKey);
      const cells = builds.flatMap((b) => {
        const k = `${b.name} ${what}`;
        const t = m(k);
        const peak = rss(k);
        const ratio = t === null || f === null ? null : t / f;
        const r = ratio === null ? (missing ?? '—') : `${ratio.toFixed(2)}×`;
        const p = peak === null ? '?' : `${peak.toFixed(0)}${peak > RSS_LIMIT_MB ? ' (over)' : ''}`;
        if (b.name !== 'egovctl') return [t === null ? '' : t.toFixed(3), r, p];
        table.push({ label, seconds: t, ratio, target, peakRssMb: peak });
        const verdict = ratio === null ? '' : ratio <= target ? `≤ ${target}×: ok` : `≤ ${target}×: OVER`;
        return [`${t === null ? '' : t.toFixed(3)} | ${rowsOf(k)} | ${r}`, verdict, p];
      });
      log(`| ${label} | ${cells.join(' | ')} |`);
    };
    floorRow('pg floor import', '`psql \\copy` into a bare table of text columns (floor)');
    infoRow('pg floor import with log rows', '`psql \\copy` of the same records and of their registry-log rows (items, entries) into bare tables', 'pg floor import');
    cmdRow('pg import (empty)', 'egovctl import, empty table, log on', 'pg floor import', 1.35);
    cmdRow('pg import (unchanged)', 'egovctl import, every record unchanged', 'pg floor import', 1.5);
    floorRow('pg floor export', '`psql \\copy (select * … order by code) to` (export floor)');
    cmdRow('pg export csv', 'egovctl export --out, CSV', 'pg floor export', 1.2);
    cmdRow('pg export ndjson', 'egovctl export --out, NDJSON', 'pg floor export', 1.3);
    floorRow(`pg floor ${SMALL}`, `\`psql \\copy\` of ${SMALL} services, whole process`);
    cmdRow(`pg import ${SMALL}`, `egovctl import of ${SMALL} into the registry of ${records}`, `pg floor ${SMALL}`, 5);
    floorRow("psql -c 'select 1' (empty)", "`psql -c 'select 1'`, migrated empty database");
    cmdRow('doctor (migrated, empty)', 'egovctl doctor, migrated empty database', "psql -c 'select 1' (empty)", 4);
    floorRow("psql -c 'select 1'", `\`psql -c 'select 1'\`, the registry of ${records}`);
    cmdRow('doctor (registry)', `egovctl doctor, the registry of ${records} (and its log)`, "psql -c 'select 1'", 4);
    floorRow('node -e 0', '`node -e 0`');
    cmdRow('--help', 'egovctl --help', 'node -e 0', 1.5);
    floorRow('sqlite floor import', sqliteWhy ? `\`sqlite3 .import\` into a bare table: ${sqliteWhy}` : '`sqlite3 .import --csv` into a bare table (SQLite floor)');
    cmdRow('sqlite import (empty)', 'egovctl import on SQLite, empty table, log on', 'sqlite floor import', 3.0, sqliteWhy);
    floorRow('sqlite floor export', '`sqlite3 -csv "select * … order by code"` (SQLite export floor)');
    cmdRow('sqlite export csv', 'egovctl export --out on SQLite, CSV', 'sqlite floor export', 1.5, sqliteWhy);
    return table;
  }
  return main();
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await speedBench(process.argv.slice(2));
