// The applications generator of the benchmark (test/bench/gen-applications.ts) and the
// hand-written discipline query the benchmark measures the report against
// (test/bench/applications.ts): the generator is deterministic, its rows are valid and hold
// the shares the benchmark needs (mismatches, late, open and overdue, near midnight), and
// the query's numbers equal an independent computation in JS on real PostgreSQL.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApplicationSet, type ApplicationSet } from '../bench/gen-applications.js';
import { disciplineSql, standInLoadSql, textTableSql, DISCIPLINE_COLUMNS } from '../bench/applications.js';
import { checkRecord } from '../../src/records/validate.js';
import { inputFields } from '../../src/records/fields.js';
import { ensureMonthPartitions } from '../../src/applications/partitions.js';
import { up as applicationsUp } from '../../migrations/20261202000001_applications.js';
import { TimeZone, addDays, daysBetween } from '../../src/time/zone.js';
import { createTestDatabase } from '../helpers/pg.js';

type Row = Record<string, string>;
const NOW = Date.parse('2026-12-01T12:00:00.000Z');
const OPTS = { count: 4000, services: 40, agencies: 15, months: 3, start: '2026-09', seed: 7, now: NOW };
const zone = new TimeZone('Asia/Tashkent');

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'egov-appgen-'));
  dirs.push(d);
  return d;
}
const readCsv = (file: string): Row[] => parse(fs.readFileSync(file), { columns: true, bom: true }) as Row[];

let set: ApplicationSet;
let agencies: Row[];
let services: Row[];
let apps: Row[];

beforeAll(async () => {
  set = await generateApplicationSet({ outDir: tmp(), ...OPTS, ndjson: true });
  agencies = readCsv(set.agencies);
  services = readCsv(set.services);
  apps = readCsv(set.applications);
});

afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('gen-applications', () => {
  it('gives the same files for the same seed, other files for another', async () => {
    const again = await generateApplicationSet({ outDir: tmp(), ...OPTS, ndjson: true });
    for (const f of ['agencies', 'services', 'applications', 'ndjson'] as const) {
      expect(fs.readFileSync(again[f]!).equals(fs.readFileSync(set[f]!)), f).toBe(true);
    }
    const other = await generateApplicationSet({ outDir: tmp(), ...OPTS, seed: 8 });
    expect(fs.readFileSync(other.applications).equals(fs.readFileSync(set.applications))).toBe(false);
  });

  it('writes the header of §1 without updated_at, and the count asked for', () => {
    const header = fs.readFileSync(set.applications, 'utf8').split('\n')[0];
    expect(header).toBe(inputFields('applications').map((f) => f.name).join(','));
    expect(apps).toHaveLength(OPTS.count);
    expect(fs.readFileSync(set.ndjson!, 'utf8').trim().split('\n')).toHaveLength(OPTS.count);
    expect(agencies).toHaveLength(OPTS.agencies);
    expect(services).toHaveLength(OPTS.services);
  });

  it('writes agencies and services with no issue at all', () => {
    for (const [entity, rows] of [['agencies', agencies], ['services', services]] as const) {
      rows.forEach((fields, i) => {
        const c = checkRecord(entity, { line: i + 2, fields });
        expect(c.issues, `${entity} line ${i + 2}`).toEqual([]);
      });
    }
    const codes = new Set(agencies.map((a) => a.code));
    for (const a of agencies) if (a.parent_code) expect(codes.has(a.parent_code)).toBe(true);
    for (const s of services) expect(codes.has(s.agency_code!)).toBe(true);
  });

  it('writes only valid applications: field rules, references, unique ids, the order of times', () => {
    const svc = new Map(services.map((s) => [s.code, s]));
    const ag = new Set(agencies.map((a) => a.code));
    const ids = new Set<string>();
    apps.forEach((fields, i) => {
      const c = checkRecord('applications', { line: i + 2, fields }, { today: '2026-12-02' });
      expect(c.issues.filter((x) => x.severity === 'error'), `line ${i + 2}`).toEqual([]);
      expect(svc.has(fields.service_code!), `service of line ${i + 2}`).toBe(true);
      if (fields.handled_by) expect(ag.has(fields.handled_by)).toBe(true);
      expect(ids.has(fields.id!)).toBe(false);
      ids.add(fields.id!);
      const submitted = Date.parse(fields.submitted_at!);
      expect(submitted).toBeLessThan(NOW);
      if (fields.decided_at) {
        expect(Date.parse(fields.decided_at)).toBeGreaterThanOrEqual(submitted);
        expect(Date.parse(fields.decided_at)).toBeLessThan(NOW);
      }
      const decided = fields.status === 'completed' || fields.status === 'rejected';
      const open = fields.status === 'received' || fields.status === 'in_progress';
      if (decided) expect(fields.decided_at).not.toBe('');
      if (open) expect(fields.decided_at).toBe('');
      if (fields.due_on) expect(fields.due_on >= zone.localDate(submitted)).toBe(true);
    });
    // submission order, as an export would give it
    for (let i = 1; i < apps.length; i++) expect(apps[i]!.submitted_at! >= apps[i - 1]!.submitted_at!).toBe(true);
  });

  it('holds the shares the benchmark needs, counted here independently of its statistics', () => {
    const svc = new Map(services.map((s) => [s.code, s]));
    const count = (p: (a: Row) => boolean) => apps.filter(p).length;
    const audienceMismatch = count((a) => !svc.get(a.service_code!)!.audience!.split('|').includes(a.audience!));
    const channelMismatch = count((a) => !svc.get(a.service_code!)!.channels!.split('|').includes(a.channel!));
    const nearMidnight = count((a) => zone.localDate(a.submitted_at!) !== a.submitted_at!.slice(0, 10));
    const dueGiven = count((a) => a.due_on !== '');
    const office = count((a) => a.handled_by !== '');
    const dueOf = (a: Row) => a.due_on || addDays(zone.localDate(a.submitted_at!), Number(svc.get(a.service_code!)!.processing_days));
    const decided = apps.filter((a) => a.status === 'completed' || a.status === 'rejected');
    const late = decided.filter((a) => zone.localDate(a.decided_at!) > dueOf(a)).length;
    const open = apps.filter((a) => a.status === 'received' || a.status === 'in_progress');
    const overdue = open.filter((a) => dueOf(a) < zone.localDate(NOW)).length;
    const n = apps.length;
    expect(audienceMismatch / n).toBeGreaterThan(0.005);
    expect(audienceMismatch / n).toBeLessThan(0.05);
    expect(channelMismatch / n).toBeGreaterThan(0.005);
    expect(channelMismatch / n).toBeLessThan(0.06);
    expect(nearMidnight / n).toBeGreaterThan(0.02);
    expect(dueGiven / n).toBeGreaterThan(0.02);
    expect(dueGiven / n).toBeLessThan(0.1);
    expect(office / n).toBeGreaterThan(0.05);
    expect(office / n).toBeLessThan(0.5);
    expect(late / decided.length).toBeGreaterThan(0.05);
    expect(late / decided.length).toBeLessThan(0.3);
    expect(decided.length / n).toBeGreaterThan(0.7);
    expect(overdue).toBeGreaterThan(0);
    expect(overdue).toBeLessThan(open.length);
    for (const s of ['received', 'in_progress', 'completed', 'rejected', 'withdrawn']) expect(count((a) => a.status === s), s).toBeGreaterThan(0);
    // volumes are skewed: the busiest service has several times the mean
    const per = new Map<string, number>();
    for (const a of apps) per.set(a.service_code!, (per.get(a.service_code!) ?? 0) + 1);
    expect(Math.max(...per.values())).toBeGreaterThan(4 * (n / services.length));
    // and the generator's own statistics say the same
    expect(set.stats).toMatchObject({ count: n, audienceMismatch, channelMismatch, dueGiven, handledByOffice: office, late, overdue, nearMidnight });
  });
});

/** The discipline report by handling agency (SPEC §10), computed plainly in JS. */
function expected(period: { from: string; to: string; asOf: string }): { groups: Record<string, unknown>[]; total: Record<string, unknown> } {
  const svc = new Map(services.map((s) => [s.code, s]));
  const names = new Map(agencies.map((a) => [a.code, a.name_uz]));
  interface Acc { applications: number; decided: number; on_time: number; late: number; open: number; overdue: number; days: number[]; max_days_late: number }
  const fresh = (): Acc => ({ applications: 0, decided: 0, on_time: 0, late: 0, open: 0, overdue: 0, days: [], max_days_late: 0 });
  const groups = new Map<string, Acc>();
  const total = fresh();
  for (const a of apps) {
    const submittedOn = zone.localDate(a.submitted_at!);
    if (submittedOn < period.from || submittedOn > period.to) continue;
    const s = svc.get(a.service_code!)!;
    const due = a.due_on || addDays(submittedOn, Number(s.processing_days));
    const key = a.handled_by || s.agency_code!;
    if (!groups.has(key)) groups.set(key, fresh());
    for (const g of [groups.get(key)!, total]) {
      g.applications++;
      if (a.status === 'completed' || a.status === 'rejected') {
        const decidedOn = zone.localDate(a.decided_at!);
        g.decided++;
        if (decidedOn <= due) g.on_time++;
        else {
          g.late++;
          g.max_days_late = Math.max(g.max_days_late, daysBetween(due, decidedOn));
        }
        g.days.push(daysBetween(submittedOn, decidedOn));
      } else if (a.status === 'received' || a.status === 'in_progress') {
        g.open++;
        if (due < period.asOf) g.overdue++;
      }
    }
  }
  const rank = (sorted: number[], num: number, den: number) => (sorted.length ? sorted[Math.ceil((num * sorted.length) / den) - 1]! : null);
  const rate = (onTime: number, decided: number) => {
    if (!decided) return null;
    const n = onTime * 10000;
    let r = Math.floor(n / decided);
    if (2 * (n - r * decided) >= decided) r++; // half away from zero (rates are never negative)
    return r / 10000;
  };
  const row = (g: Acc) => {
    const sorted = [...g.days].sort((x, y) => x - y);
    return {
      applications: g.applications, decided: g.decided, on_time: g.on_time, late: g.late, open: g.open, overdue: g.overdue,
      on_time_rate: rate(g.on_time, g.decided), median_days: rank(sorted, 1, 2), p90_days: rank(sorted, 9, 10), max_days_late: g.max_days_late,
    };
  };
  return {
    groups: [...groups.keys()].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)).map((k) => ({ key: k, name: names.get(k) ?? null, ...row(groups.get(k)!) })),
    total: row(total),
  };
}

describe('the hand-written discipline query of the benchmark', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let knex: Knex;

  beforeAll(async () => {
    db = await createTestDatabase('egovctl_appgen');
    knex = knexFactory({ client: 'pg', connection: db.url, pool: { min: 0, max: 2 } });
    // the columns the query reads, and the real applications table with its checks
    await knex.raw('create table agencies (code text primary key, name_uz text not null)');
    await knex.raw('create table services (code text primary key, agency_code text not null, processing_days integer not null)');
    await knex('agencies').insert(agencies.map((a) => ({ code: a.code, name_uz: a.name_uz })));
    await knex('services').insert(services.map((s) => ({ code: s.code, agency_code: s.agency_code, processing_days: Number(s.processing_days) })));
    await applicationsUp(knex);
    await ensureMonthPartitions(knex, set.stats.utcMonths);
    await knex.raw(textTableSql('staging'));
    for (let i = 0; i < apps.length; i += 500) await knex('staging').insert(apps.slice(i, i + 500).map((a) => ({ ...a })));
    await knex.raw(standInLoadSql('staging'));
  });

  afterAll(async () => {
    await knex?.destroy();
    await db?.drop();
  });

  const run = async (p: { from: string; to: string; asOf: string }) => {
    const rows = (await knex.raw(disciplineSql(p))).rows as Record<string, unknown>[];
    const num = (v: unknown) => (v === null ? null : Number(v));
    const clean = (r: Record<string, unknown>) => Object.fromEntries(DISCIPLINE_COLUMNS.slice(2).map((c) => [c, num(r[c])]));
    return {
      groups: rows.filter((r) => !r.is_total).map((r) => ({ key: r.key, name: r.name, ...clean(r) })),
      total: clean(rows.find((r) => r.is_total)!),
    };
  };

  it('loads every generated row into the real table (its checks hold)', async () => {
    const [{ n }] = (await knex.raw('select count(*)::int as n from applications')).rows as { n: number }[];
    expect(n).toBe(apps.length);
  });

  it('gives the numbers of the JS computation over the whole period', async () => {
    const p = { from: set.stats.firstDay, to: set.stats.lastDay, asOf: '2026-12-01' };
    const want = expected(p);
    expect(want.total.late).toBeGreaterThan(0);
    expect(want.total.overdue).toBeGreaterThan(0);
    expect(await run(p)).toEqual(want);
  });

  it('gives the numbers of the JS computation for one month, judged on an earlier day', async () => {
    const p = { from: '2026-11-01', to: '2026-11-30', asOf: '2026-11-20' };
    const want = expected(p);
    expect(want.groups.length).toBeGreaterThan(3);
    expect(await run(p)).toEqual(want);
  });

  it('gives one day that starts at local midnight: a submission at 00:30 Tashkent counts on its local date', async () => {
    const early = apps.find((a) => zone.localDate(a.submitted_at!) !== a.submitted_at!.slice(0, 10))!;
    const day = zone.localDate(early.submitted_at!);
    const p = { from: day, to: day, asOf: '2026-12-01' };
    const want = expected(p);
    expect(want.total.applications).toBeGreaterThan(0);
    expect(await run(p)).toEqual(want);
  });
});
