import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { disciplineReport, type DisciplineOptions } from '../../src/report/discipline.js';
import { TimeZone } from '../../src/time/zone.js';
import { expectedReport as expected, generate, insertApplications, insertGenerated, GONE_SERVICE, IDLE_AGENCY, UNDECIDED_AGENCY, type ApplicationRow, type Expect } from '../helpers/applications-gen.js';
import { openTestDb, type TestDb } from '../helpers/registry-seed.js';

// SPEC §10 on both databases: every figure of `report discipline` against a computation
// written separately and another way (expectedReport in test/helpers/applications-gen.ts:
// one loop over the generated rows, local dates from Intl's formatter rather than the
// tool's TimeZone, percentiles by sorting and picking, the rate by division and Math.round)
// on 3,000 seeded applications; and hand-checked figures for the edge cases.

const data = generate(3000, 16);

describe.each(['pg', 'sqlite'] as const)('report discipline on %s', (dialect) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(dialect);
    await insertGenerated(t.db.knex, dialect, data);
  });
  afterAll(async () => t?.cleanup());

  const run = (e: Expect) => disciplineReport(t.db, { from: e.from, to: e.to, asOf: e.asOf, by: e.by, agencies: e.agencies, zone: new TimeZone(e.tz) });
  const base: Expect = { from: null, to: null, asOf: '2026-05-15', by: 'agency', agencies: null, tz: 'Asia/Tashkent' };

  test.each(['agency', 'service', 'region', 'channel', 'month'] as const)('--by %s, the whole period: every figure as computed independently', async (by) => {
    const got = await run({ ...base, by });
    const want = expected(data, { ...base, by });
    expect(got).toEqual(want);
    // the data set is what the test claims it is: enough groups, lateness, overdue, nulls
    expect(got.groups.length).toBeGreaterThan(by === 'month' ? 5 : 4);
    expect(got.total.applications).toBe(3000);
    expect(got.total.late).toBeGreaterThan(100);
    expect(got.total.overdue).toBeGreaterThan(50);
  });

  test('groups with no application do not appear; a group with nothing decided has null rate, median, p90 and max_days_late 0', async () => {
    const got = await run(base);
    expect(got.groups.map((g) => g.key)).not.toContain(IDLE_AGENCY);
    const undecided = got.groups.find((g) => g.key === UNDECIDED_AGENCY)!;
    expect(undecided).toMatchObject({ decided: 0, on_time: 0, late: 0, on_time_rate: null, median_days: null, p90_days: null, max_days_late: 0 });
    expect(undecided.applications).toBeGreaterThan(undecided.open);
    // the service that left the registry, handled by nobody named: the group without a key, last
    expect(got.groups.at(-1)).toMatchObject({ key: null, name: null });
    const bySvc = await run({ ...base, by: 'service' });
    expect(bySvc.groups.find((g) => g.key === GONE_SERVICE)).toMatchObject({ name: null });
  });

  test('--from/--to on the local date, --as-of, --agency: each as computed independently', async () => {
    for (const e of [
      { ...base, from: '2026-02-01', to: '2026-03-31' },
      { ...base, from: '2026-03-01', to: '2026-03-01', by: 'service' as const },
      { ...base, from: '2026-04-15' },
      { ...base, to: '2026-01-31', by: 'month' as const },
      { ...base, asOf: '2026-07-01' },
      { ...base, asOf: '2026-01-01' },
      { ...base, agencies: ['ADL-TK', 'SOL'], by: 'channel' as const },
      { ...base, agencies: ['ADL'], from: '2026-05-01', to: '2026-06-30', by: 'region' as const },
      { ...base, agencies: ['NOSUCH'] },
      { ...base, tz: 'UTC', by: 'month' as const },
      { ...base, tz: 'America/New_York', from: '2026-03-01', to: '2026-03-31' },
    ]) {
      expect(await run(e), JSON.stringify(e)).toEqual(expected(data, e));
    }
  });

  test('a period with no applications: no group, a total of zeros and nulls', async () => {
    const got = await run({ ...base, from: '2030-01-01', to: '2030-12-31' });
    expect(got).toEqual({ from: '2030-01-01', to: '2030-12-31', as_of: '2026-05-15', by: 'agency', time_zone: 'Asia/Tashkent', groups: [],
      total: { applications: 0, decided: 0, on_time: 0, late: 0, open: 0, overdue: 0, on_time_rate: null, median_days: null, p90_days: null, max_days_late: 0 } });
  });
});

describe.each(['pg', 'sqlite'] as const)('local dates and exact figures on %s', (dialect) => {
  let t: TestDb;
  const app = (id: string, over: Partial<ApplicationRow>): ApplicationRow => ({
    id, service_code: 'SRV-0001', handled_by: null, audience: 'G2C', channel: 'portal', region: 'UZ', submitted_at: '2026-03-10T08:00:00.000Z',
    due_on: '2026-03-15', status: 'received', decided_at: null, updated_at: '2026-07-01T00:00:00.000Z', ...over,
  });
  beforeAll(async () => {
    t = await openTestDb(dialect);
    await insertGenerated(t.db.knex, dialect, { ...generate(0, 1), applications: [] });
    const rows: ApplicationRow[] = [
      // 00:30 on 1 April in Tashkent, 31 March in UTC
      app('MID-1', { submitted_at: '2026-03-31T19:30:00.000Z', due_on: '2026-04-01' }),
      // decided 00:10 on 16 March in Tashkent (19:10Z on the 15th): one day late there, on time in UTC
      app('MID-2', { submitted_at: '2026-03-10T08:00:00.000Z', due_on: '2026-03-15', status: 'completed', decided_at: '2026-03-15T19:10:00.000Z' }),
    ];
    // service SRV-0002: 8 decided, 1 on time (1/8 = 0.125 exactly); SRV-0003: 3 decided, 2 on time (0.6667)
    for (let i = 0; i < 8; i++) rows.push(app(`R8-${i}`, { service_code: 'SRV-0002', status: 'completed', submitted_at: '2026-02-02T06:00:00.000Z', due_on: '2026-02-03', decided_at: `2026-02-${String(3 + i).padStart(2, '0')}T06:00:00.000Z` }));
    for (let i = 0; i < 3; i++) rows.push(app(`R3-${i}`, { service_code: 'SRV-0003', status: 'rejected', submitted_at: '2026-02-02T06:00:00.000Z', due_on: '2026-02-04', decided_at: `2026-02-0${3 + i}T06:00:00.000Z` }));
    // withdrawn, one with a decision time: in applications only
    rows.push(app('W-1', { service_code: 'SRV-0003', status: 'withdrawn', submitted_at: '2026-02-02T06:00:00.000Z', due_on: '2026-02-04', decided_at: '2026-03-30T06:00:00.000Z' }));
    rows.push(app('W-2', { service_code: 'SRV-0003', status: 'withdrawn', submitted_at: '2026-02-02T06:00:00.000Z', due_on: '2026-02-04' }));
    await insertApplications(t.db.knex, dialect, rows);
  });
  afterAll(async () => t?.cleanup());
  const run = (o: Partial<DisciplineOptions>) => disciplineReport(t.db, { from: null, to: null, asOf: '2026-05-01', by: 'month', agencies: null, zone: new TimeZone('Asia/Tashkent'), ...o });

  test('a submission at 2026-03-31T19:30Z is April in Tashkent and March in UTC', async () => {
    const tash = await run({ from: '2026-04-01', to: '2026-04-30' });
    expect(tash.groups).toEqual([expect.objectContaining({ key: '2026-04', applications: 1, open: 1, overdue: 1 })]);
    const utc = await run({ from: '2026-03-31', to: '2026-03-31', zone: new TimeZone('UTC') });
    expect(utc.groups).toEqual([expect.objectContaining({ key: '2026-03', applications: 1 })]);
    expect((await run({ from: '2026-03-31', to: '2026-03-31' })).groups).toEqual([]);
  });

  test('the decision date is local too: late by a day in Tashkent, on time in UTC', async () => {
    const tash = await run({ by: 'service', from: '2026-03-10', to: '2026-03-10' });
    expect(tash.groups).toEqual([expect.objectContaining({ key: 'SRV-0001', decided: 1, on_time: 0, late: 1, max_days_late: 1, median_days: 6, p90_days: 6, on_time_rate: 0 })]);
    const utc = await run({ by: 'service', from: '2026-03-10', to: '2026-03-10', zone: new TimeZone('UTC') });
    expect(utc.groups).toEqual([expect.objectContaining({ key: 'SRV-0001', decided: 1, on_time: 1, late: 0, max_days_late: 0, median_days: 5, on_time_rate: 1 })]);
  });

  test('rates rounded half away from zero; median and p90 at rank ⌈p·n⌉; withdrawn only in applications', async () => {
    const got = await run({ by: 'service', from: '2026-02-01', to: '2026-02-28' });
    const s2 = got.groups.find((g) => g.key === 'SRV-0002')!;
    // days 1..8: rank ⌈4⌉ = 4 → 4, rank ⌈7.2⌉ = 8 → 8; late by 1..7 days
    expect(s2).toEqual({ key: 'SRV-0002', name: 'Xizmat SRV-0002', applications: 8, decided: 8, on_time: 1, late: 7, open: 0, overdue: 0, on_time_rate: 0.125, median_days: 4, p90_days: 8, max_days_late: 7 });
    const s3 = got.groups.find((g) => g.key === 'SRV-0003')!;
    // days 1, 2, 3: rank ⌈1.5⌉ = 2 → 2, rank ⌈2.7⌉ = 3 → 3; two withdrawn count in applications only
    expect(s3).toEqual({ key: 'SRV-0003', name: 'Xizmat SRV-0003', applications: 5, decided: 3, on_time: 2, late: 1, open: 0, overdue: 0, on_time_rate: 0.6667, median_days: 2, p90_days: 3, max_days_late: 1 });
    expect(got.total).toEqual({ applications: 13, decided: 11, on_time: 3, late: 8, open: 0, overdue: 0, on_time_rate: 0.2727, median_days: 3, p90_days: 7, max_days_late: 7 });
  });
});

describe('PostgreSQL reads only the partitions of the period', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb('pg');
    await insertGenerated(t.db.knex, 'pg', data);
  });
  afterAll(async () => t?.cleanup());

  test('March in Tashkent: the February and March partitions (its first five hours are February in UTC), no other', async () => {
    const { disciplineSql } = await import('../../src/report/discipline-sql.js');
    const zone = new TimeZone('Asia/Tashkent');
    const { sql, bindings } = disciplineSql('pg', {
      by: 'agency', fromInstant: new Date(zone.startOf('2026-03-01')).toISOString(), toInstant: new Date(zone.startOf('2026-04-01')).toISOString(),
      asOf: '2026-05-15', agencies: null, timeZone: zone.name,
    });
    const plan = ((await t.db.knex.raw(`explain (costs off) ${sql}`, bindings as never)).rows as Array<{ 'QUERY PLAN': string }>).map((r) => r['QUERY PLAN']).join('\n');
    const scanned = [...new Set(plan.match(/applications_p\d{4}_\d{2}/g))].sort();
    expect(scanned).toEqual(['applications_p2026_02', 'applications_p2026_03']);
    const all = ((await t.db.knex.raw(`explain (costs off) ${disciplineSql('pg', { by: 'agency', fromInstant: null, toInstant: null, asOf: '2026-05-15', agencies: null, timeZone: zone.name }).sql}`, [zone.name, zone.name, '2026-05-15'])).rows as Array<{ 'QUERY PLAN': string }>).map((r) => r['QUERY PLAN']).join('\n');
    expect(new Set(all.match(/applications_p\d{4}_\d{2}/g)).size).toBeGreaterThanOrEqual(6);
  });
});
