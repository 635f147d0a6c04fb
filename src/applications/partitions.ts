import type { Knex } from 'knex';

// On PostgreSQL the applications table is partitioned by month of submitted_at (UTC
// months: a partition's bounds are instants). Partitions are made as imports need them,
// inside the import's transaction, so a rolled-back import leaves none behind.

/** The partition of the month starting at `month` (YYYY-MM). */
export function partitionName(month: string): string {
  return `applications_p${month.replace('-', '_')}`;
}

function nextMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

/** Creates the monthly partitions of `months` (YYYY-MM, UTC) that do not exist yet. */
export async function ensureMonthPartitions(trx: Knex | Knex.Transaction, months: Iterable<string>): Promise<string[]> {
  const wanted = [...new Set(months)].sort();
  if (!wanted.length) return [];
  // One import at a time adds partitions: two creating the same month would collide.
  await trx.raw("select pg_advisory_xact_lock(hashtext('egovctl.applications.partitions'))");
  const rows = (await trx.raw(
    `select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent where p.relname = 'applications' and p.relnamespace = to_regnamespace(current_schema())::oid`,
  )).rows as { relname: string }[];
  const have = new Set(rows.map((r) => r.relname));
  const made: string[] = [];
  for (const month of wanted) {
    if (!/^[0-9]{4}-[0-9]{2}$/.test(month)) throw new Error(`not a month: ${month}`);
    const name = partitionName(month);
    if (have.has(name)) continue;
    await trx.raw(`create table ${name} partition of applications for values from ('${month}-01T00:00:00Z') to ('${nextMonth(month)}-01T00:00:00Z')`);
    made.push(name);
  }
  return made;
}
