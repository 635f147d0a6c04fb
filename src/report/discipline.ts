import type { Knex } from 'knex';
import type { Db } from '../db/connect.js';
import { guardedTransaction } from '../db/guarded-tx.js';
import type { DisciplineGroup, DisciplineReportDoc, DisciplineRow } from '../output/html/discipline-report.js';
import { addDays, TimeZone } from '../time/zone.js';
import { disciplineSql, type GroupBy } from './discipline-sql.js';

// `report discipline` (SPEC §10): deadlines kept and missed. The figures come from one query
// (discipline-sql.ts) run in one read-only snapshot; here the period becomes instants, the
// rows become the JSON document of §10, and on_time_rate is rounded exactly.

export type { DisciplineGroup, DisciplineReportDoc, DisciplineRow } from '../output/html/discipline-report.js';

export interface DisciplineOptions {
  /** YYYY-MM-DD, local submission date, inclusive; null: from the first application */
  from: string | null;
  /** YYYY-MM-DD inclusive; null: up to the last application */
  to: string | null;
  /** YYYY-MM-DD: the day open applications are judged on */
  asOf: string;
  by: GroupBy;
  /** handling agencies to keep, or null for every one */
  agencies: string[] | null;
  zone: TimeZone;
  signal?: AbortSignal;
}

/**
 * on_time / decided rounded half away from zero to 4 decimals, in whole numbers (no binary
 * fraction is ever rounded): round(x) = ⌊(2·10⁴·on_time + decided) / (2·decided)⌋ for x ≥ 0.
 */
export function onTimeRate(onTime: number, decided: number): number | null {
  if (decided === 0) return null;
  const q = (BigInt(onTime) * 20000n + BigInt(decided)) / (2n * BigInt(decided));
  return Number(q) / 10000;
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function rowOf(r: Record<string, unknown>): DisciplineRow {
  const decided = num(r.decided);
  const onTime = num(r.on_time);
  return {
    applications: num(r.applications),
    decided,
    on_time: onTime,
    late: num(r.late),
    open: num(r.open),
    overdue: num(r.overdue),
    on_time_rate: onTimeRate(onTime, decided),
    median_days: numOrNull(r.median_days),
    p90_days: numOrNull(r.p90_days),
    max_days_late: num(r.max_days_late),
  };
}

export const EMPTY_ROW: DisciplineRow = { applications: 0, decided: 0, on_time: 0, late: 0, open: 0, overdue: 0, on_time_rate: null, median_days: null, p90_days: null, max_days_late: 0 };

/** Keys in code-point order (the same on both databases, whatever their collation); a group without a key last. */
export function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

export async function disciplineReport(db: Db, o: DisciplineOptions): Promise<DisciplineReportDoc> {
  const q = {
    by: o.by,
    fromInstant: o.from === null ? null : new Date(o.zone.startOf(o.from)).toISOString(),
    toInstant: o.to === null ? null : new Date(o.zone.startOf(addDays(o.to, 1))).toISOString(),
    asOf: o.asOf,
    agencies: o.agencies,
    timeZone: o.zone.name,
  };
  const { sql, bindings } = disciplineSql(db.dialect, q);
  const rows = await guardedTransaction(db, o.signal, async (trx: Knex.Transaction) => {
    // one snapshot, and nothing in it may write
    await db.adapter.snapshots.readOnly(trx);
    // SQLite has no time zones: the local dates come from a function it is given (the adapter's)
    await db.adapter.dates.prepareZone(trx, o.zone);
    return db.adapter.types.rows(await trx.raw(sql, bindings as Knex.RawBinding[]));
  }, { isolationLevel: 'repeatable read' });

  const groups: DisciplineGroup[] = [];
  let total: DisciplineRow = { ...EMPTY_ROW };
  for (const r of rows) {
    if (Number(r.lvl) === 1) total = rowOf(r);
    else groups.push({ key: r.key as string, name: (r.name as string | null) ?? null, ...rowOf(r) });
  }
  groups.sort((a, b) => compareKeys(a.key, b.key));
  return { from: o.from, to: o.to, as_of: o.asOf, by: o.by, time_zone: o.zone.name, groups, total };
}
