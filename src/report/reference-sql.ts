// The benchmark's yardstick (issue 16: `report discipline` over 10,000,000 applications
// ≤ 1.5× the same numbers computed by one hand-written SQL query run with psql). This is
// that query, written the plain way a DBA would — percentile_disc for the median and p90
// (exact here: PostgreSQL picks row ⌈p·n⌉, and ceil(0.9·n) in floating point equals the
// integer ⌈9n/10⌉ for every n up to 20,000,000) — for `--by agency` over a period, in the
// registry's time zone. It is not used by the tool; the benchmark fills it in with
// referenceSql() and runs it with `psql -c`. Its result rows are the report's groups
// (without the total row), ordered by key.

export const REFERENCE_SQL = `
select coalesce(a.handled_by, s.agency_code) as key,
       count(*) as applications,
       count(*) filter (where a.status in ('completed', 'rejected')) as decided,
       count(*) filter (where a.status in ('completed', 'rejected') and (a.decided_at at time zone :tz)::date <= a.due_on) as on_time,
       count(*) filter (where a.status in ('completed', 'rejected') and (a.decided_at at time zone :tz)::date > a.due_on) as late,
       count(*) filter (where a.status in ('received', 'in_progress')) as open,
       count(*) filter (where a.status in ('received', 'in_progress') and a.due_on < :as_of::date) as overdue,
       round(count(*) filter (where a.status in ('completed', 'rejected') and (a.decided_at at time zone :tz)::date <= a.due_on)::numeric
             / nullif(count(*) filter (where a.status in ('completed', 'rejected')), 0), 4) as on_time_rate,
       percentile_disc(0.5) within group (order by (a.decided_at at time zone :tz)::date - (a.submitted_at at time zone :tz)::date)
         filter (where a.status in ('completed', 'rejected')) as median_days,
       percentile_disc(0.9) within group (order by (a.decided_at at time zone :tz)::date - (a.submitted_at at time zone :tz)::date)
         filter (where a.status in ('completed', 'rejected')) as p90_days,
       coalesce(max((a.decided_at at time zone :tz)::date - a.due_on)
         filter (where a.status in ('completed', 'rejected') and (a.decided_at at time zone :tz)::date > a.due_on), 0) as max_days_late
  from applications a
  left join services s on s.code = a.service_code
 where a.submitted_at >= :from_instant::timestamptz and a.submitted_at < :to_instant::timestamptz
 group by 1
 order by coalesce(a.handled_by, s.agency_code) collate "C";
`;

/**
 * The reference query with its values written in as SQL literals, for psql. `fromInstant`
 * and `toInstant` are ISO 8601 instants (the local midnights of --from and of the day after
 * --to: TimeZone.startOf); quotes are doubled, so any zone name is safe.
 */
export function referenceSql(v: { timeZone: string; asOf: string; fromInstant: string; toInstant: string }): string {
  const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;
  return REFERENCE_SQL
    .replaceAll(':tz', lit(v.timeZone))
    .replaceAll(':as_of', lit(v.asOf))
    .replaceAll(':from_instant', lit(v.fromInstant))
    .replaceAll(':to_instant', lit(v.toInstant))
    .trim();
}
