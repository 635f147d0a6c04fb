// Applications benchmark (issue 16, item 4): generated applications (gen-applications.ts)
// on PostgreSQL, each round interleaving
//   (a) `psql \copy` of the applications CSV into a bare table of text columns — the floor;
//   (b) `egovctl import applications` into the empty table (its partitions dropped): time
//       and peak RSS;
//   (c) the same import again: every record unchanged;
//   (d) `egovctl report discipline --format json` over the whole period, against
//   (e) the same numbers from ONE hand-written SQL query run with psql (disciplineSql below);
//   (f) the report for one month, against the full one (partition pruning), and the
//       hand-written query for that month;
// then SQLite at 1,000,000: the import and the report.
// Prints every round, then a table of sums over the rounds with the ratios the issue sets:
// import ≤ 2.0× the floor, peak RSS ≤ 300 MB, report ≤ 1.5× the hand-written SQL,
// one month ≤ 0.2× the full report. The report's numbers are compared with the query's.
//
// Where an egovctl command fails (say `import applications` or `report discipline` is not
// built yet) the row says so and the rest goes on; without the import, the applications are
// loaded by a plain SQL stand-in (\copy into a staging table, insert … select computing
// due_on) so that the hand-written query still has 10M rows to measure.
//
// Run from the repository root, with psql (and sqlite3 for its floor) on the PATH and a
// PostgreSQL server whose admin URL may create databases (egovctl_appbench_<pid> is made
// and dropped):
//   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:applications -- \
//     [--count 10000000] [--rounds 2] [--sqlite-count 1000000 | --no-sqlite] [--months 12]
//     [--seed 1] [--dir /tmp/egov-bench-apps] [--keep]
// (the npm script builds, compiles the tests into /tmp/egov-bench and runs
// /tmp/egov-bench/test/bench/applications.js). The generated files are kept in --dir and
// reused (10M take a few minutes to generate, ~1.1 GB). The machine varies ±15–40 % between
// runs (FIELD-NOTES): compare the ratios of one run, not times across runs.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { inputFields } from '../../src/records/fields.js';
import { partitionName } from '../../src/applications/partitions.js';
import { TimeZone, addDays } from '../../src/time/zone.js';
import { generateApplicationSet, type ApplicationSet } from './gen-applications.js';
import { runTimed } from './run-timed.js';

export const TIME_ZONE = 'Asia/Tashkent';

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
const DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;

/** The columns of a discipline row (SPEC §10), in the order of the CSV form. */
export const DISCIPLINE_COLUMNS = [
  'key', 'name', 'applications', 'decided', 'on_time', 'late', 'open', 'overdue',
  'on_time_rate', 'median_days', 'p90_days', 'max_days_late',
] as const;

/**
 * The discipline report by handling agency (SPEC §10) as ONE hand-written SQL query: the
 * yardstick of `report discipline`. Rows in key order, then the total with key null and
 * is_total true. `from`/`to` are local dates, inclusive; the period is given to the
 * planner as two instants so that it prunes the monthly partitions.
 */
export function disciplineSql(o: { from: string; to: string; asOf: string; timeZone?: string }): string {
  for (const d of [o.from, o.to, o.asOf]) if (!DATE.test(d)) throw new RangeError(`not a date: ${d}`);
  const tzName = o.timeZone ?? TIME_ZONE;
  const zone = new TimeZone(tzName);
  const lo = new Date(zone.startOf(o.from)).toISOString();
  const hi = new Date(zone.startOf(addDays(o.to, 1))).toISOString();
  const tz = quote(tzName);
  return `with a as (
  select coalesce(a.handled_by, s.agency_code) as key,
         a.status in ('completed', 'rejected') as decided,
         a.status in ('received', 'in_progress') as open,
         (a.submitted_at at time zone ${tz})::date as submitted_on,
         (a.decided_at at time zone ${tz})::date as decided_on,
         a.due_on
    from applications a
    join services s on s.code = a.service_code
   where a.submitted_at >= timestamptz ${quote(lo)} and a.submitted_at < timestamptz ${quote(hi)}
), g as (
  select key, grouping(key) = 1 as is_total,
         count(*) as applications,
         count(*) filter (where decided) as decided,
         count(*) filter (where decided and decided_on <= due_on) as on_time,
         count(*) filter (where decided and decided_on > due_on) as late,
         count(*) filter (where open) as open,
         count(*) filter (where open and due_on < date ${quote(o.asOf)}) as overdue,
         percentile_disc(0.5) within group (order by decided_on - submitted_on) filter (where decided) as median_days,
         percentile_disc(0.9) within group (order by decided_on - submitted_on) filter (where decided) as p90_days,
         coalesce(max(decided_on - due_on) filter (where decided and decided_on > due_on), 0) as max_days_late
    from a
   group by grouping sets ((key), ())
)
select g.is_total, g.key, ag.name_uz as name, g.applications, g.decided, g.on_time, g.late, g.open, g.overdue,
       round(g.on_time::numeric / nullif(g.decided, 0), 4) as on_time_rate,
       g.median_days, g.p90_days, g.max_days_late
  from g left join agencies ag on ag.code = g.key and not g.is_total
 order by g.is_total, g.key`;
}

/** A bare table of text columns named as the applications CSV's header. */
export function textTableSql(table: string): string {
  return `create table ${table} (${inputFields('applications').map((f) => `${f.name} text`).join(', ')})`;
}

/**
 * The stand-in for `egovctl import applications` where it is not built: the rows of a text
 * staging table into applications, due_on computed as §10 says (the local submission date
 * plus the service's processing_days; the benchmark's services never change, so their
 * current processing time is the one of the registry log at submitted_at).
 */
export function standInLoadSql(staging: string, timeZone = TIME_ZONE): string {
  return `insert into applications (id, service_code, handled_by, audience, channel, region, submitted_at, due_on, status, decided_at, updated_at)
select f.id, f.service_code, nullif(f.handled_by, ''), f.audience, f.channel, f.region, f.submitted_at::timestamptz,
       coalesce(nullif(f.due_on, '')::date, (f.submitted_at::timestamptz at time zone ${quote(timeZone)})::date + s.processing_days),
       f.status, nullif(f.decided_at, '')::timestamptz, now()
  from ${staging} f join services s on s.code = f.service_code`;
}

/** The monthly partitions (UTC months, as src/applications/partitions.ts makes them). */
export function partitionsSql(months: readonly string[]): string[] {
  return months.map((m) => {
    const [y, mo] = m.split('-').map(Number) as [number, number];
    const next = mo === 12 ? `${y + 1}-01` : `${y}-${String(mo + 1).padStart(2, '0')}`;
    return `create table if not exists ${partitionName(m)} partition of applications for values from ('${m}-01T00:00:00Z') to ('${next}-01T00:00:00Z')`;
  });
}

/** One row of the discipline report, numbers as numbers (null where there is none). */
export type DisciplineRow = Record<(typeof DISCIPLINE_COLUMNS)[number], string | number | null>;

/** psql -A -t -F '\t' output of disciplineSql → the report's groups and total. */
export function parseDisciplineOutput(text: string): { groups: DisciplineRow[]; total: DisciplineRow | null } {
  const groups: DisciplineRow[] = [];
  let total: DisciplineRow | null = null;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [isTotal, ...cells] = line.split('\t');
    const row = {} as DisciplineRow;
    DISCIPLINE_COLUMNS.forEach((c, i) => {
      const v = cells[i] ?? '';
      row[c] = v === '' ? null : c === 'key' || c === 'name' ? v : Number(v);
    });
    if (isTotal === 't') total = row;
    else groups.push(row);
  }
  return { groups, total };
}

// ---------------------------------------------------------------------------------------
// The run. Nothing below runs when the module is imported (the unit test imports the SQL).

interface Run {
  ok: boolean;
  seconds: number;
  peakRssMb: number | null;
  stdout: string;
  stderr: string;
  code: number | null;
}

/**
 * Runs a command, timing it; peak RSS from /usr/bin/time -v when there is one, else from
 * /proc (run-timed.ts, shared with the other benchmarks). A
 * failure is returned, not thrown, so that a missing command leaves its row empty.
 */
function timed(cmd: string, cmdArgs: string[], measureRss: boolean, env?: NodeJS.ProcessEnv): Promise<Run> {
  return runTimed(cmd, cmdArgs, measureRss, env);
}

/** The first lines of a failed command's message, for the table. */
function why(r: Run): string {
  const text = (r.stderr || r.stdout).trim().split('\n').filter((l) => l.trim()).slice(0, 2).join(' / ');
  return `exit ${r.code}: ${text.slice(0, 200) || '(no message)'}`;
}

interface Row {
  label: string;
  runs: Run[];
  /** a note in place of figures (a command that failed) */
  failed?: string;
}

function parseArgs(argv: string[]) {
  const args = [...argv];
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args.splice(i, 2)[1] : undefined;
  };
  return {
    count: Number(flag('--count') ?? 10_000_000),
    rounds: Number(flag('--rounds') ?? 2),
    sqliteCount: args.includes('--no-sqlite') ? 0 : Number(flag('--sqlite-count') ?? 1_000_000),
    months: Number(flag('--months') ?? 12),
    seed: Number(flag('--seed') ?? 1),
    dir: flag('--dir') ?? '/tmp/egov-bench-apps',
    keep: args.includes('--keep'),
  };
}

/** The generated set for these options, reused from an earlier run when complete. */
async function dataSet(dir: string, count: number, months: number, seed: number): Promise<ApplicationSet> {
  const outDir = path.join(dir, `apps-${count}-m${months}-s${seed}`);
  const meta = path.join(outDir, 'set.json');
  if (fs.existsSync(meta)) return JSON.parse(fs.readFileSync(meta, 'utf8')) as ApplicationSet;
  console.log(`generating ${count} applications into ${outDir} …`);
  const started = Date.now();
  const set = await generateApplicationSet({ outDir, count, months, seed });
  fs.writeFileSync(meta, JSON.stringify(set, null, 2));
  console.log(`  generated in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return set;
}

function monthBounds(month: string): { from: string; to: string } {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const next = new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 10);
  return { from: `${month}-01`, to: addDays(next, -1) };
}

/** Compares the report's JSON with the query's rows; returns the differences. */
function compareReport(reportJson: string, sqlOut: string): string[] {
  let doc: { groups?: Record<string, unknown>[]; total?: Record<string, unknown> };
  try {
    doc = JSON.parse(reportJson) as typeof doc;
  } catch {
    return ['the report is not JSON'];
  }
  const sql = parseDisciplineOutput(sqlOut);
  const diffs: string[] = [];
  const groups = doc.groups ?? [];
  if (groups.length !== sql.groups.length) diffs.push(`${groups.length} groups in the report, ${sql.groups.length} from SQL`);
  const byKey = new Map(sql.groups.map((g) => [g.key, g]));
  const norm = (v: unknown) => (v === null || v === undefined ? null : typeof v === 'number' ? v : Number(v));
  for (const g of groups) {
    const want = byKey.get(String(g.key));
    if (!want) {
      diffs.push(`group ${String(g.key)} only in the report`);
      continue;
    }
    for (const c of DISCIPLINE_COLUMNS.slice(2)) {
      if (norm(g[c]) !== want[c]) diffs.push(`${String(g.key)}.${c}: report ${String(g[c])}, SQL ${String(want[c])}`);
    }
  }
  if (doc.total && sql.total) {
    for (const c of DISCIPLINE_COLUMNS.slice(2)) {
      if (norm(doc.total[c]) !== sql.total[c]) diffs.push(`total.${c}: report ${String(doc.total[c])}, SQL ${String(sql.total[c])}`);
    }
  }
  return diffs;
}

async function main(argv: string[]): Promise<void> {
  const o = parseArgs(argv);
  const admin = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const bin = path.resolve('bin', 'egovctl.js');
  if (!fs.existsSync(bin)) throw new Error(`run from the repository root (no ${bin}); build first: npm run build`);
  fs.mkdirSync(o.dir, { recursive: true });

  const set = await dataSet(o.dir, o.count, o.months, o.seed);
  const file = set.applications;
  const mb = fs.statSync(file).size / 1e6;
  const zone = new TimeZone(TIME_ZONE);
  const asOf = zone.localDate(Date.now());
  const full = { from: set.stats.firstDay, to: set.stats.lastDay };
  const midMonth = set.stats.utcMonths[Math.floor(set.stats.utcMonths.length / 2)]!;
  const month = monthBounds(midMonth);
  console.log(`file: ${file} (${mb.toFixed(0)} MB, ${o.count} applications, ${fs.readFileSync(set.services, 'utf8').split('\n').length - 2} services); period ${full.from}…${full.to}, month ${midMonth}, as of ${asOf}`);

  const dbName = `egovctl_appbench_${process.pid}`;
  const u = new URL(admin);
  u.pathname = `/${dbName}`;
  const dbUrl = u.toString();
  const psqlArgs = (...sql: string[]) => [dbUrl, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', ...sql.flatMap((s) => ['-c', s])];
  const psql = async (...sql: string[]) => {
    const r = await timed('psql', psqlArgs(...sql), false);
    if (!r.ok) throw new Error(`psql failed: ${why(r)}`);
    return r;
  };
  const egov = (measure: boolean, ...a: string[]) => timed(process.execPath, [bin, '--db', dbUrl, ...a], measure);

  const rows = new Map<string, Row>();
  const add = (label: string, r: Run | null, failed?: string) => {
    const row = rows.get(label) ?? { label, runs: [] };
    if (r && r.ok) row.runs.push(r);
    if (failed) row.failed = failed;
    rows.set(label, row);
  };
  const notBuilt = (what: string, r: Run) => {
    const msg = `NOT AVAILABLE — \`egovctl ${what}\` failed (${why(r)}); not built on this branch?`;
    console.log(`  ${msg}`);
    return msg;
  };
  const diffsSeen: string[] = [];

  await timed('psql', [admin, '-X', '-q', '-c', `create database ${dbName}`], false).then((r) => {
    if (!r.ok) throw new Error(`cannot create the scratch database: ${why(r)}`);
  });
  try {
    for (const [what, a] of [['migrate latest', ['migrate', 'latest']], ['import agencies', ['import', 'agencies', set.agencies]], ['import services', ['import', 'services', set.services]]] as const) {
      const r = await egov(false, ...a);
      if (!r.ok) throw new Error(`egovctl ${what} failed: ${why(r)}`);
    }
    const dropPartitions = `do $$ declare r record; begin
      for r in select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent where p.relname = 'applications' loop
        execute format('drop table %I', r.relname); end loop; end $$`;
    const fullSql = disciplineSql({ ...full, asOf });
    const monthSql = disciplineSql({ ...month, asOf });
    const reportArgs = (p: { from: string; to: string }) => ['report', 'discipline', '--from', p.from, '--to', p.to, '--as-of', asOf, '--format', 'json'];

    for (let round = 1; round <= o.rounds; round++) {
      console.log(`round ${round}:`);
      // (a) the floor
      await psql(textTableSql('floor'), 'checkpoint');
      const floor = await timed('psql', [dbUrl, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', `\\copy floor from '${file}' with (format csv, header true)`], false);
      if (!floor.ok) throw new Error(`the floor failed: ${why(floor)}`);
      add('(a) psql \\copy into text columns', floor);
      await psql('drop table floor', 'truncate applications', dropPartitions, 'checkpoint');
      console.log(`  floor ${floor.seconds.toFixed(2)} s`);

      // (b) the import into the empty table, (c) the same again
      const first = await egov(true, 'import', 'applications', file, '--json');
      if (first.ok) {
        add('(b) egovctl import applications', first);
        const again = await (async () => { await psql('checkpoint'); return egov(true, 'import', 'applications', file, '--json'); })();
        if (again.ok) add('(c) egovctl import, all unchanged', again);
        else add('(c) egovctl import, all unchanged', null, notBuilt('import applications (again)', again));
        for (const [name, r, want] of [['first', first, 'inserted'], ['again', again, 'unchanged']] as const) {
          try {
            const n = (JSON.parse(r.stdout) as Record<string, number>)[want];
            if (n !== o.count) console.log(`  note: the ${name} import reports ${want}=${String(n)}, not ${o.count}`);
          } catch { console.log(`  note: the ${name} import printed no JSON summary`); }
        }
        console.log(`  import ${first.seconds.toFixed(2)} s (${(first.seconds / floor.seconds).toFixed(2)}× floor, peak RSS ${first.peakRssMb?.toFixed(0) ?? '?'} MB), unchanged ${again.ok ? `${again.seconds.toFixed(2)} s` : 'failed'}`);
      } else {
        add('(b) egovctl import applications', null, notBuilt('import applications', first));
        add('(c) egovctl import, all unchanged', null, 'NOT AVAILABLE — needs (b)');
        // the stand-in, so that the reports below have the rows to read
        await psql('truncate applications', dropPartitions, ...partitionsSql(set.stats.utcMonths), textTableSql('staging'));
        const copy = await timed('psql', [dbUrl, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', `\\copy staging from '${file}' with (format csv, header true)`], false);
        const load = await psql(standInLoadSql('staging'), 'drop table staging');
        add('    stand-in load: \\copy + insert … select (SQL)', { ...load, seconds: copy.seconds + load.seconds });
        console.log(`  stand-in SQL load ${(copy.seconds + load.seconds).toFixed(2)} s`);
      }
      await psql('vacuum analyze applications');

      // (d)/(e) the full report and the hand-written query; (f) one month of each. The order
      // alternates between rounds so that neither always runs on a warmer cache.
      const runSql = async (label: string, sql: string) => {
        const r = await timed('psql', [dbUrl, '-X', '-q', '-A', '-t', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-c', sql], false);
        if (!r.ok) throw new Error(`the hand-written query failed: ${why(r)}`);
        add(label, r);
        return r;
      };
      const runReport = async (label: string, p: { from: string; to: string }) => {
        const r = await egov(true, ...reportArgs(p));
        if (r.ok) add(label, r);
        else add(label, null, notBuilt(`report discipline --from ${p.from} --to ${p.to}`, r));
        return r;
      };
      const pairs: [() => Promise<Run>, () => Promise<Run>][] = [
        [() => runReport('(d) egovctl report discipline, all', full), () => runSql('(e) hand-written SQL, all', fullSql)],
        [() => runReport('(f) egovctl report discipline, one month', month), () => runSql('    hand-written SQL, one month', monthSql)],
      ];
      for (const [report, sql] of pairs) {
        let rep: Run;
        let s: Run;
        if (round % 2) {
          rep = await report();
          s = await sql();
        } else {
          s = await sql();
          rep = await report();
        }
        if (rep.ok) {
          const diffs = compareReport(rep.stdout, s.stdout);
          if (diffs.length) diffsSeen.push(...diffs.slice(0, 10).map((d) => `round ${round}: ${d}`));
        }
        console.log(`  report ${rep.ok ? `${rep.seconds.toFixed(2)} s` : 'n/a'}, SQL ${s.seconds.toFixed(2)} s`);
      }
    }
  } finally {
    if (!o.keep) await timed('psql', [admin, '-X', '-q', '-c', `drop database if exists ${dbName} with (force)`], false);
  }

  // SQLite at 1,000,000 (or the count, when smaller)
  if (o.sqliteCount > 0) {
    const n = Math.min(o.sqliteCount, o.count);
    const lite = n === o.count ? set : await dataSet(o.dir, n, o.months, o.seed);
    const dbFile = path.join(o.dir, `bench-${process.pid}.sqlite`);
    const liteUrl = `sqlite:${dbFile}`;
    const eg = (measure: boolean, ...a: string[]) => timed(process.execPath, [bin, '--db', liteUrl, ...a], measure);
    try {
      for (const a of [['migrate', 'latest'], ['import', 'agencies', lite.agencies], ['import', 'services', lite.services]]) {
        const r = await eg(false, ...a);
        if (!r.ok) throw new Error(`egovctl ${a.slice(0, 2).join(' ')} on SQLite failed: ${why(r)}`);
      }
      const label = `SQLite ${n.toLocaleString('en')}:`;
      const sqliteDb = path.join(o.dir, `floor-${process.pid}.sqlite`);
      const cols = inputFields('applications').map((f) => `${f.name} text`).join(', ');
      const liteFloor = await timed('sqlite3', [sqliteDb, `create table floor (${cols})`, `.import --csv --skip 1 ${lite.applications} floor`], false);
      fs.rmSync(sqliteDb, { force: true });
      if (liteFloor.ok) add(`${label} sqlite3 .import into text columns`, liteFloor);
      else add(`${label} sqlite3 .import into text columns`, null, `sqlite3 failed: ${why(liteFloor)}`);
      const imp = await eg(true, 'import', 'applications', lite.applications, '--json');
      if (imp.ok) add(`${label} egovctl import applications`, imp);
      else add(`${label} egovctl import applications`, null, notBuilt('import applications (SQLite)', imp));
      if (imp.ok) {
        const rep = await eg(true, 'report', 'discipline', '--from', lite.stats.firstDay, '--to', lite.stats.lastDay, '--as-of', asOf, '--format', 'json');
        if (rep.ok) add(`${label} egovctl report discipline, all`, rep);
        else add(`${label} egovctl report discipline, all`, null, notBuilt('report discipline (SQLite)', rep));
        const m = monthBounds(lite.stats.utcMonths[Math.floor(lite.stats.utcMonths.length / 2)]!);
        const repM = await eg(true, 'report', 'discipline', '--from', m.from, '--to', m.to, '--as-of', asOf, '--format', 'json');
        if (repM.ok) add(`${label} egovctl report discipline, one month`, repM);
        else add(`${label} egovctl report discipline, one month`, null, notBuilt('report discipline (SQLite, one month)', repM));
      } else {
        add(`${label} egovctl report discipline, all`, null, 'NOT AVAILABLE — needs the import');
      }
    } finally {
      for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) fs.rmSync(f, { force: true });
    }
  }

  // The table: sums over the rounds (FIELD-NOTES: interleave rounds, compare sums).
  const sum = (label: string) => {
    const r = rows.get(label);
    return r && r.runs.length ? r.runs.reduce((s, x) => s + x.seconds, 0) / r.runs.length : null;
  };
  const ratio = (a: string, b: string) => {
    const x = sum(a);
    const y = sum(b);
    return x !== null && y !== null && y > 0 ? x / y : null;
  };
  const targets: Record<string, { vs: string; max: number; what: string }> = {
    '(b) egovctl import applications': { vs: '(a) psql \\copy into text columns', max: 2.0, what: '× floor' },
    '(c) egovctl import, all unchanged': { vs: '(a) psql \\copy into text columns', max: Infinity, what: '× floor' },
    '(d) egovctl report discipline, all': { vs: '(e) hand-written SQL, all', max: 1.5, what: '× SQL' },
    '(f) egovctl report discipline, one month': { vs: '(d) egovctl report discipline, all', max: 0.2, what: '× full report' },
    '    hand-written SQL, one month': { vs: '(e) hand-written SQL, all', max: Infinity, what: '× full SQL' },
  };
  console.log(`\nmean of ${o.rounds} interleaved round${o.rounds === 1 ? '' : 's'}, ${o.count.toLocaleString('en')} applications on PostgreSQL:`);
  console.log(`${'step'.padEnd(52)} ${'time'.padStart(9)}  ${'ratio'.padEnd(18)} ${'target'.padEnd(14)} peak RSS`);
  for (const row of rows.values()) {
    if (row.failed && !row.runs.length) {
      console.log(`${row.label.padEnd(52)} ${row.failed}`);
      continue;
    }
    const t = sum(row.label)!;
    const tg = targets[row.label];
    const q = tg ? ratio(row.label, tg.vs) : null;
    const ratioText = q === null ? '' : `${q.toFixed(2)}${tg!.what}`;
    const verdict = !tg || q === null || tg.max === Infinity ? '' : q <= tg.max ? `ok (≤ ${tg.max})` : `OVER (> ${tg.max})`;
    const peak = Math.max(...row.runs.map((r) => r.peakRssMb ?? 0));
    // the RSS target is the import's; the report's peak is shown for information
    const rssVerdict = /import applications|unchanged/.test(row.label) ? (peak <= 300 ? ' ok (≤ 300)' : ' OVER (> 300)') : '';
    const rss = peak ? `${peak.toFixed(0)} MB${rssVerdict}` : '';
    console.log(`${row.label.padEnd(52)} ${t.toFixed(2).padStart(7)} s  ${ratioText.padEnd(18)} ${verdict.padEnd(14)} ${rss}`);
  }
  if (diffsSeen.length) {
    console.log(`\nthe report's numbers differ from the hand-written query's (${diffsSeen.length} shown):`);
    for (const d of diffsSeen) console.log(`  ${d}`);
    process.exitCode = 1;
  } else if (sum('(d) egovctl report discipline, all') !== null) {
    console.log('\nthe report\'s numbers equal the hand-written query\'s, every group and the total.');
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
