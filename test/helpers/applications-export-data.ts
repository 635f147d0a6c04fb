import type { Knex } from 'knex';
import { ensureMonthPartitions } from '../../src/applications/partitions.js';
import { toRow } from '../../src/records/db-row.js';
import type { RecordValues } from '../../src/records/fields.js';
import { stamp } from './export-data.js';

// Applications for the export and housekeeping tests, over the services of export-data.ts
// (SRV-001 MINJUST, SRV-002 ADLIYA-TK, SRV-004 OLD-COMM, SRV-005 ADLIYA-TK, SRV-006 MINJUST).
// Chosen for the edges: ids whose byte order is not a dictionary's (upper before lower
// case, '.' and '/'), submissions either side of midnight in Tashkent (UTC+5) that are
// still the day before in UTC, handled_by empty (the service's agency) and given, nulls.

const base = { handled_by: null, due_on: null, decided_at: null } as const;

export const APPLICATIONS: RecordValues[] = [
  // 00:30 on 1 April in Tashkent, still 31 March in UTC
  { ...base, id: 'A-0001', service_code: 'SRV-001', audience: 'G2C', channel: 'portal', region: 'UZ', submitted_at: '2026-03-31T19:30:00.000Z', due_on: '2026-04-02', status: 'completed', decided_at: '2026-04-02T05:00:00.000Z' },
  // 23:59:59.999 on 31 March in Tashkent; handled by another agency than the service's
  { ...base, id: 'A-0002', service_code: 'SRV-001', handled_by: 'ADLIYA-TK', audience: 'G2B', channel: 'center', region: 'UZ-TK', submitted_at: '2026-03-31T18:59:59.999Z', due_on: '2026-04-01', status: 'in_progress' },
  // midnight of 1 May in Tashkent exactly
  { ...base, id: 'A-0003', service_code: 'SRV-002', audience: 'G2B', channel: 'api', region: 'UZ-TK', submitted_at: '2026-04-30T19:00:00.000Z', due_on: '2026-05-01', status: 'received' },
  { ...base, id: 'B.10/x', service_code: 'SRV-005', handled_by: 'MINJUST', audience: 'G2C', channel: 'mobile', region: 'UZ-SA', submitted_at: '2026-04-30T18:59:59.999Z', due_on: '2026-05-10', status: 'rejected', decided_at: '2026-05-02T10:00:00.000Z' },
  { ...base, id: 'Z9', service_code: 'SRV-006', audience: 'G2B', channel: 'portal', region: 'UZ', submitted_at: '2026-01-10T00:00:00.000Z', due_on: '2026-01-15', status: 'completed', decided_at: '2026-01-20T07:15:30.250Z' },
  { ...base, id: 'a-lower', service_code: 'SRV-004', audience: 'G2G', channel: 'office', region: 'UZ-SA', submitted_at: '2026-02-15T12:00:00.000Z', due_on: '2026-03-17', status: 'withdrawn' },
];

/** The ids in export order: byte order. */
export const IDS_IN_ORDER = ['A-0001', 'A-0002', 'A-0003', 'B.10/x', 'Z9', 'a-lower'];

/** updated_at of application i (after the registry's own stamps) */
export function appStamp(i: number): string {
  return stamp(100 + i);
}

/** The UTC months (YYYY-MM) of some applications, for the PostgreSQL partitions. */
export function monthsOf(apps: readonly RecordValues[]): string[] {
  return [...new Set(apps.map((a) => String(a.submitted_at).slice(0, 7)))];
}

/** Inserts applications as they are (the import of applications is not needed for this). */
export async function seedApplications(knex: Knex, apps: readonly RecordValues[] = APPLICATIONS, stamps: (i: number) => string = appStamp): Promise<void> {
  if (knex.client.config.client === 'pg') await ensureMonthPartitions(knex, monthsOf(apps));
  for (const [i, a] of apps.entries()) await knex('applications').insert({ ...toRow('applications', a), updated_at: stamps(i) });
}
