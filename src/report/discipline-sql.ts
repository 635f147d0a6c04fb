// The one query of `report discipline` (SPEC §10), for PostgreSQL and SQLite. Every figure
// is computed by the database in one pass over the period's applications:
//
//   a  the applications of the period, with their group key, their local submission and
//      decision dates (the registry's time zone), and whether they are decided / open;
//   h  per group and per number of days (submission → decision, decided applications
//      only; null for the others) the counts: a histogram, a few hundred rows a group at
//      most, however many applications there are;
//   u  the same histogram once more without the group: the total row (one more pass over
//      h, not over the applications);
//   c  running sums of decided applications by days within each group;
//   r  per group: the counts, and the median / p90 as the first days value whose running
//      sum reaches rank ⌈p·n⌉ — in whole numbers (2·cum ≥ n, 10·cum ≥ 9·n), so it is exact.
//
// The period is a range of instants on submitted_at (local midnights of --from and the day
// after --to, computed in JS by TimeZone.startOf), so that PostgreSQL prunes the monthly
// partitions and SQLite uses its index on submitted_at. Every value is a bound parameter.
// What is written differently per dialect (placeholders, local dates, day differences)
// comes from its adapter (db/dialect/); a dialect with ordered-set aggregates gets the
// one-pass form (orderedSetSql), any other the histogram form.

import { dialectNamed, type Dialect } from '../db/dialect/index.js';
import type { GroupBy } from './group-by.js';

export { GROUP_BY, type GroupBy } from './group-by.js';

export interface DisciplineQuery {
  by: GroupBy;
  /** ISO 8601 UTC: submitted_at ≥ this (local midnight of --from), or null for no lower bound */
  fromInstant: string | null;
  /** ISO 8601 UTC: submitted_at < this (local midnight of the day after --to), or null */
  toInstant: string | null;
  /** YYYY-MM-DD: open applications with due_on before it are overdue */
  asOf: string;
  /** the handling agencies to keep (handled_by, else the service's agency), or null for all */
  agencies: string[] | null;
  /** IANA name (PostgreSQL: AT TIME ZONE; SQLite: the egov_local_date function knows it: the adapter's dates.prepareZone) */
  timeZone: string;
}

export function disciplineSql(dialect: Dialect, q: DisciplineQuery): { sql: string; bindings: unknown[] } {
  const { sql: fragments, dates } = dialectNamed(dialect);
  const bindings: unknown[] = [];
  // pushes a value and returns its placeholder: call in the order the text reads
  const bind = (v: unknown, cast = ''): string => {
    bindings.push(v);
    return fragments.param(cast);
  };
  const localDate = (col: string) => dates.localDate(col, () => bind(q.timeZone, 'text'));
  const needServices = q.by === 'agency' || q.agencies !== null;
  const handling = 'coalesce(x.handled_by, x.s_agency)';
  const key = {
    agency: handling,
    service: 'x.service_code',
    region: 'x.region',
    channel: 'x.channel',
    month: dates.yearMonth('x.sub_d'),
  }[q.by];

  const where: string[] = [];
  // x's columns, then its filters: the placeholders in the order the text reads
  const inner = `select ap.handled_by, ap.service_code, ap.region, ap.channel, ap.status, ap.due_on,
           ${needServices ? 's.agency_code' : 'null'} as s_agency,
           ${localDate('ap.submitted_at')} as sub_d,
           ${localDate('ap.decided_at')} as dec_d
      from applications ap${needServices ? '\n      left join services s on s.code = ap.service_code' : ''}`;
  if (q.fromInstant !== null) where.push(`ap.submitted_at >= ${bind(q.fromInstant, 'timestamptz')}`);
  if (q.toInstant !== null) where.push(`ap.submitted_at < ${bind(q.toInstant, 'timestamptz')}`);
  if (q.agencies !== null) where.push(`coalesce(ap.handled_by, s.agency_code) in (${q.agencies.map((c) => bind(c)).join(', ')})`);
  const x = `${inner}${where.length ? `\n     where ${where.join('\n       and ')}` : ''}`;

  const asOf = bind(q.asOf, 'date');
  const name = q.by === 'agency' ? 'left join agencies nm on nm.code = r.key'
    : q.by === 'service' ? 'left join services nm on nm.code = r.key'
    : null;

  const sql = fragments.orderedSetAggregates ? orderedSetSql(key, x, asOf, name) : histogramSql(key, x, asOf, name, dates.dayDiff);
  return { sql, bindings };
}

/** Without ordered-set aggregates (SQLite): the histogram form of the comment at the top. */
function histogramSql(key: string, x: string, asOf: string, name: string | null, dayDiff: (later: string, earlier: string) => string): string {
  // SQLite inlines a CTE at each use and evaluates a column's expression at each reference:
  // the local dates (a JS function) would be computed eight times a row and the scan run
  // twice (h is read twice). Materialised, each happens once.
  const once = ' materialized';
  return `with a as${once} (
  select ${key} as key, x.sub_d, x.dec_d, x.due_on,
         case when x.status in ('completed', 'rejected') then 1 else 0 end as dec,
         case when x.status in ('received', 'in_progress') then 1 else 0 end as opn
    from (${x}) x
),
h as${once} (
  select key,
         case when dec = 1 then ${dayDiff('dec_d', 'sub_d')} end as days,
         count(*) as n,
         sum(dec) as decided,
         sum(case when dec = 1 and dec_d <= due_on then 1 else 0 end) as on_time,
         sum(case when dec = 1 and dec_d > due_on then 1 else 0 end) as late,
         sum(opn) as open,
         sum(case when opn = 1 and due_on < ${asOf} then 1 else 0 end) as overdue,
         max(case when dec = 1 and dec_d > due_on then ${dayDiff('dec_d', 'due_on')} else 0 end) as max_late
    from a
   group by 1, 2
),
u as (
  select 0 as lvl, key, days, n, decided, on_time, late, open, overdue, max_late from h
  union all
  select 1, null, days, sum(n), sum(decided), sum(on_time), sum(late), sum(open), sum(overdue), max(max_late) from h group by days
),
c as (
  select u.*,
         sum(decided) over (partition by lvl, key order by days rows between unbounded preceding and current row) as cum,
         sum(decided) over (partition by lvl, key) as dn
    from u
),
r as (
  select lvl, key,
         sum(n) as applications, sum(decided) as decided, sum(on_time) as on_time, sum(late) as late,
         sum(open) as open, sum(overdue) as overdue, max(max_late) as max_days_late,
         min(case when days is not null and 2 * cum >= dn then days end) as median_days,
         min(case when days is not null and 10 * cum >= 9 * dn then days end) as p90_days
    from c
   group by lvl, key
)
select r.*, ${name ? 'nm.name_uz' : 'null'} as name
  from r${name ? ` ${name}` : ''}`;
}

/**
 * PostgreSQL (the adapter's orderedSetAggregates: percentile_disc, grouping sets, FILTER and
 * date subtraction as PostgreSQL writes them): the groups and the total in one pass, by
 * grouping sets, with percentile_disc for the median and p90 — exact here: it takes the
 * row at ceil(p·n) (float8), and ceil(0.9·n) equals ⌈9n/10⌉ for every n up to 20,000,000
 * (test/unit/discipline.test.ts). The histogram form above (for SQLite, which has no
 * ordered-set aggregates) was planned by PostgreSQL as a sort and group over every row
 * once the partitions had statistics (it cannot know that the (group, days) pairs are
 * few): 3.8 s against 1.5 s for this at 1,000,000 applications.
 */
function orderedSetSql(key: string, x: string, asOf: string, name: string | null): string {
  return `with a as (
  select ${key} as key, x.sub_d, x.dec_d, x.due_on,
         x.status in ('completed', 'rejected') as dec,
         x.status in ('received', 'in_progress') as opn
    from (${x}) x
),
r as (
  select grouping(key) as lvl, key,
         count(*) as applications,
         count(*) filter (where dec) as decided,
         count(*) filter (where dec and dec_d <= due_on) as on_time,
         count(*) filter (where dec and dec_d > due_on) as late,
         count(*) filter (where opn) as open,
         count(*) filter (where opn and due_on < ${asOf}) as overdue,
         coalesce(max(dec_d - due_on) filter (where dec and dec_d > due_on), 0) as max_days_late,
         percentile_disc(0.5) within group (order by dec_d - sub_d) filter (where dec) as median_days,
         percentile_disc(0.9) within group (order by dec_d - sub_d) filter (where dec) as p90_days
    from a
   group by grouping sets ((key), ())
)
select r.*, ${name ? 'nm.name_uz' : 'null'} as name
  from r${name ? ` ${name}` : ''}`;
}
