import type { Knex } from 'knex';
import { ensureMonthPartitions } from '../../src/applications/partitions.js';
import { toRow } from '../../src/records/db-row.js';
import type { RecordValues } from '../../src/records/fields.js';
import { prng } from '../bench/gen-services.js';

// A small seeded data set for the discipline tests: agencies (one whose name is markup, one
// with nothing decided, one with no applications at all), services with processing times
// from 0 to 30 days, and applications of every status over six months — some submitted
// just after local midnight in Tashkent (still the day before in UTC), some decided late,
// some open and overdue, some withdrawn (with and without a decision time), some handled by
// a regional office, a few of a service that is no longer in the registry. The same seed
// gives the same rows. Written into the tables directly (the import is built elsewhere).

/** mulberry32, the generators' own: the same sequence on every machine */
export const rng = prng;

export interface ApplicationRow {
  id: string;
  service_code: string;
  handled_by: string | null;
  audience: string;
  channel: string;
  region: string;
  submitted_at: string;
  due_on: string;
  status: string;
  decided_at: string | null;
  updated_at: string;
}

export interface GeneratedData {
  agencies: RecordValues[];
  services: RecordValues[];
  applications: ApplicationRow[];
}

export const MARKUP_AGENCY = 'XSS';
export const MARKUP_NAME = '<script>__pwned=1</script>"><img src=x onerror="__pwned=2">';
/** an agency whose applications are all open or withdrawn */
export const UNDECIDED_AGENCY = 'NODEC';
/** an agency with services but no application */
export const IDLE_AGENCY = 'IDLE';
/** a service code the applications name that the services table does not hold */
export const GONE_SERVICE = 'GONE-0001';

const CHANNELS = ['portal', 'mobile', 'center', 'office', 'api'];
const REGIONS = ['UZ', 'UZ-AN', 'UZ-BU', 'UZ-FA', 'UZ-TK', 'UZ-TO', 'UZ-SA'];
const AUDIENCES = ['G2C', 'G2B', 'G2G'];
const DAY = 86_400_000;
const TASHKENT = 5 * 3_600_000;

function agency(code: string, name: string, region = 'UZ'): RecordValues {
  return { code, name_uz: name, name_ru: null, name_en: null, kind: 'agency', parent_code: null, tin: null, region, website: null, email: null, phone: null, status: 'active' };
}

function service(code: string, agencyCode: string, days: number): RecordValues {
  return {
    code, agency_code: agencyCode, name_uz: `Xizmat ${code}`, name_ru: null, name_en: null, description: null, audience: ['G2C', 'G2B'], sector: null,
    status: 'active', fee_uzs: '0', fee_bhm_percent: null, processing_days: days, channels: ['portal', 'center'], legal_basis: 'PF-60', required_documents: null,
    output: null, effective_from: '2020-01-01', effective_to: null,
  };
}

const iso = (ms: number) => new Date(ms).toISOString();
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

export function generate(count = 3000, seed = 16): GeneratedData {
  const r = rng(seed);
  const agencies = [
    agency('ADL', 'Adliya vazirligi'),
    agency('SOL', "Soliq qo'mitasi"),
    agency('TOSH-HOK', 'Toshkent shahar hokimligi', 'UZ-TK'),
    agency('ADL-TK', 'Adliya boshqarmasi, Toshkent', 'UZ-TK'),
    agency('ADL-SA', 'Adliya boshqarmasi, Samarqand', 'UZ-SA'),
    agency(MARKUP_AGENCY, MARKUP_NAME),
    agency(UNDECIDED_AGENCY, 'Yangi agentlik'),
    agency(IDLE_AGENCY, 'Ishsiz agentlik'),
    agency('FORM', '=HYPERLINK("x") agentligi'),
  ];
  const services: RecordValues[] = [];
  const owners = ['ADL', 'ADL', 'SOL', 'SOL', 'TOSH-HOK', MARKUP_AGENCY, 'FORM'];
  for (let i = 1; i <= 24; i++) services.push(service(`SRV-${String(i).padStart(4, '0')}`, owners[i % owners.length]!, [0, 1, 3, 5, 7, 10, 15, 30][i % 8]!));
  services.push(service('NEW-0001', UNDECIDED_AGENCY, 10));
  services.push(service('IDLE-0001', IDLE_AGENCY, 5));
  const days = new Map(services.map((s) => [s.code as string, s.processing_days as number]));
  const agencyOf = new Map(services.map((s) => [s.code as string, s.agency_code as string]));

  const start = Date.UTC(2026, 0, 1) - TASHKENT; // local midnight of 2026-01-01 in Tashkent
  const span = Date.UTC(2026, 5, 30) - Date.UTC(2026, 0, 1);
  const applications: ApplicationRow[] = [];
  for (let i = 0; i < count; i++) {
    const x = r();
    const service = x < 0.03 ? GONE_SERVICE : x < 0.08 ? 'NEW-0001' : pick(r, services.slice(0, 24)).code as string;
    let submitted = start + Math.floor(r() * span);
    // one in six just after local midnight in Tashkent: the UTC date is the day before
    if (r() < 1 / 6) submitted = Math.floor(submitted / DAY) * DAY + 19 * 3_600_000 + Math.floor(r() * 3_600_000);
    const localSub = iso(submitted + TASHKENT).slice(0, 10);
    const pd = days.get(service) ?? 4;
    const due = iso(Date.parse(`${localSub}T00:00:00Z`) + pd * DAY).slice(0, 10);
    const owner = agencyOf.get(service) ?? null;
    const handled = owner === 'ADL' && r() < 0.5 ? pick(r, ['ADL-TK', 'ADL-SA']) : service === GONE_SERVICE && r() < 0.5 ? 'SOL' : null;
    const s = r();
    let status: string;
    if (service === 'NEW-0001') status = s < 0.6 ? 'received' : s < 0.85 ? 'in_progress' : 'withdrawn';
    else status = s < 0.55 ? 'completed' : s < 0.7 ? 'rejected' : s < 0.8 ? 'withdrawn' : s < 0.9 ? 'received' : 'in_progress';
    let decided: string | null = null;
    if (status === 'completed' || status === 'rejected' || (status === 'withdrawn' && r() < 0.5)) {
      // most within the deadline, a share late by up to three weeks; some on the due day's last hour
      const within = r() < 0.7;
      const d = within ? Math.floor(r() * (pd + 1)) : pd + 1 + Math.floor(r() * 21);
      const localDayStart = Date.parse(`${localSub}T00:00:00Z`) - TASHKENT + d * DAY;
      const t = Math.max(submitted, localDayStart + Math.floor(r() * DAY));
      decided = iso(t);
    }
    applications.push({
      id: `APP-${seed}-${String(i).padStart(6, '0')}`,
      service_code: service,
      handled_by: handled,
      audience: pick(r, AUDIENCES),
      channel: pick(r, CHANNELS),
      region: pick(r, REGIONS),
      submitted_at: iso(submitted),
      due_on: due,
      status,
      decided_at: decided,
      updated_at: '2026-07-01T00:00:00.000Z',
    });
  }
  return { agencies, services, applications };
}

/** Writes agencies, services and applications into a migrated database (PostgreSQL: with the month partitions the applications need). */
export async function insertGenerated(knex: Knex, dialect: 'pg' | 'sqlite', data: GeneratedData, what: { registry?: boolean } = { registry: true }): Promise<void> {
  await knex.transaction(async (trx) => {
    if (what.registry !== false) {
      await trx('agencies').insert(data.agencies.map((a) => ({ ...toRow('agencies', a), updated_at: '2026-01-01T00:00:00.000Z' })));
      for (let i = 0; i < data.services.length; i += 200) {
        await trx('services').insert(data.services.slice(i, i + 200).map((s) => ({ ...toRow('services', s), updated_at: '2026-01-01T00:00:00.000Z' })));
      }
    }
    await insertApplications(trx, dialect, data.applications);
  });
}

export async function insertApplications(knex: Knex | Knex.Transaction, dialect: 'pg' | 'sqlite', rows: readonly ApplicationRow[]): Promise<void> {
  if (dialect === 'pg') await ensureMonthPartitions(knex, rows.map((a) => a.submitted_at.slice(0, 7)));
  for (let i = 0; i < rows.length; i += 400) await knex('applications').insert(rows.slice(i, i + 400));
}

// What `report discipline` must say about generated rows, computed here separately from the
// tool and another way: one loop over the rows, local dates from Intl's own formatter (not
// the tool's TimeZone), percentiles by sorting and picking, the rate by division and
// Math.round (exact here: a quotient of small integers is never within rounding error of
// a half it does not equal).
type By = 'agency' | 'service' | 'region' | 'channel' | 'month';

export interface Expect {
  from: string | null;
  to: string | null;
  asOf: string;
  by: By;
  agencies: string[] | null;
  tz: string;
}

export function expectedReport(data: GeneratedData, e: Expect) {
  const fmt = new Intl.DateTimeFormat('en-CA', { timeZone: e.tz, year: 'numeric', month: '2-digit', day: '2-digit' });
  const local = (ts: string) => fmt.format(new Date(ts));
  const dayNo = (d: string) => Date.parse(`${d}T00:00:00Z`) / 86_400_000;
  const serviceAgency = new Map(data.services.map((s) => [s.code as string, s.agency_code as string]));
  const names = new Map<string, string>();
  if (e.by === 'agency') for (const a of data.agencies) names.set(a.code as string, a.name_uz as string);
  if (e.by === 'service') for (const s of data.services) names.set(s.code as string, s.name_uz as string);
  type Acc = { applications: number; decided: number; on_time: number; late: number; open: number; overdue: number; days: number[]; maxLate: number };
  const groups = new Map<string | null, Acc>();
  const total: Acc = { applications: 0, decided: 0, on_time: 0, late: 0, open: 0, overdue: 0, days: [], maxLate: 0 };
  for (const a of data.applications) {
    const sub = local(a.submitted_at);
    if (e.from && sub < e.from) continue;
    if (e.to && sub > e.to) continue;
    const handling = a.handled_by ?? serviceAgency.get(a.service_code) ?? null;
    if (e.agencies && (handling === null || !e.agencies.includes(handling))) continue;
    const key = e.by === 'agency' ? handling : e.by === 'service' ? a.service_code : e.by === 'region' ? a.region : e.by === 'channel' ? a.channel : sub.slice(0, 7);
    if (!groups.has(key)) groups.set(key, { applications: 0, decided: 0, on_time: 0, late: 0, open: 0, overdue: 0, days: [], maxLate: 0 });
    for (const g of [groups.get(key)!, total]) {
      g.applications++;
      if (a.status === 'completed' || a.status === 'rejected') {
        const dec = local(a.decided_at!);
        g.decided++;
        g.days.push(dayNo(dec) - dayNo(sub));
        if (dec <= a.due_on) g.on_time++;
        else {
          g.late++;
          g.maxLate = Math.max(g.maxLate, dayNo(dec) - dayNo(a.due_on));
        }
      } else if (a.status === 'received' || a.status === 'in_progress') {
        g.open++;
        if (a.due_on < e.asOf) g.overdue++;
      }
    }
  }
  const finish = (g: Acc) => {
    const sorted = [...g.days].sort((x, y) => x - y);
    const at = (p: number) => (sorted.length ? sorted[Math.ceil(p * sorted.length) - 1]! : null);
    return {
      applications: g.applications, decided: g.decided, on_time: g.on_time, late: g.late, open: g.open, overdue: g.overdue,
      on_time_rate: g.decided ? Math.round((g.on_time * 10000) / g.decided) / 10000 : null,
      median_days: at(0.5), p90_days: at(0.9), max_days_late: g.maxLate,
    };
  };
  const keys = [...groups.keys()].sort((x, y) => (x === null ? 1 : y === null ? -1 : x < y ? -1 : x > y ? 1 : 0));
  return {
    from: e.from, to: e.to, as_of: e.asOf, by: e.by, time_zone: e.tz,
    groups: keys.map((k) => ({ key: k, name: k === null ? null : names.get(k) ?? null, ...finish(groups.get(k)!) })),
    total: finish(total),
  };
}

