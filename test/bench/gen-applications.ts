// Deterministic generator of realistic applications (SPEC §1, §10) with the agencies and
// services they refer to, for the discipline benchmark and its tests.
//
// Run (Node 20 has no type stripping, so compile first):
//   npx tsc -p . --outDir /tmp/egov-bench && \
//   node /tmp/egov-bench/test/bench/gen-applications.js --out-dir /tmp/apps [--count 100000]
//     [--services 3000] [--agencies 300] [--months 12] [--start 2026-01] [--seed 1]
//     [--ndjson] [--now 2026-12-02T00:00:00Z]
// Or from code: generateApplicationSet({ outDir, count, … }).
//
// Writes agencies.csv, services.csv and applications.csv (and applications.ndjson with
// --ndjson) into --out-dir, streaming: 10,000,000 rows never sit in memory (one day's
// submission times do, to write them in order). The same options and seed give the same
// files byte for byte; `now` only decides which days are past.
//
// What the rows look like:
// - agencies: a fifth are national bodies (ministries, committees, agencies…), the rest
//   their regional offices (AG-0007-SA: parent AG-0007, region UZ-SA);
// - services: all active, of national bodies, processing_days 0–30 skewed to short times,
//   audience and channel sets;
// - applications: volume per service Zipf-like (s = 1.1), over `months` months of whole
//   local days before today (weekdays busier), mostly in working hours in Tashkent, a share
//   just after local midnight (the local date is then the UTC date + 1), a few in the
//   evening; audience and channel mostly those of the service (about 2 % and 3 % not:
//   audience-mismatch, channel-mismatch warnings); handled_by empty for most, a regional
//   office for about a fifth; most decided on time, a share late, some rejected, some
//   withdrawn, some open (received / in_progress), of those some overdue; due_on empty for
//   most (import computes it) and given for about 5 %.
// Every row is valid: submitted_at and decided_at are before `now`, decided_at is not before
// submitted_at, open applications have no decided_at.
import { createWriteStream, mkdirSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  AGENCY_KINDS, AUDIENCES, CHANNELS, REGIONS, inputFields, type EntityName,
} from '../../src/records/fields.js';
import { TimeZone, addDays, daysBetween } from '../../src/time/zone.js';
import { prng } from './gen-services.js';

export interface ApplicationSetOptions {
  outDir: string;
  /** applications; default 100,000 */
  count?: number;
  /** services; default 3,000 */
  services?: number;
  /** agencies, national bodies and regional offices; default 300 */
  agencies?: number;
  /** months of submissions; default 12 */
  months?: number;
  /** first month (YYYY-MM, local); default 2026-01 */
  start?: string;
  seed?: number;
  /** also write applications.ndjson */
  ndjson?: boolean;
  /** the present (epoch ms): only whole local days before its date are used; default Date.now() */
  now?: number;
  /** the registry's time zone; default Asia/Tashkent */
  timeZone?: string;
}

export interface ApplicationSetStats {
  count: number;
  byStatus: Record<string, number>;
  audienceMismatch: number;
  channelMismatch: number;
  dueGiven: number;
  /** decided after the deadline (as the generator computed it) */
  late: number;
  /** open with a deadline before the local date of `now` */
  overdue: number;
  /** submitted in the local night (mostly just after midnight), where the local date is the UTC date + 1 */
  nearMidnight: number;
  handledByOffice: number;
  /** the first and last local submission dates */
  firstDay: string;
  lastDay: string;
  /** the UTC months (YYYY-MM) the submissions fall in: the partitions PostgreSQL needs */
  utcMonths: string[];
}

export interface ApplicationSet {
  agencies: string;
  services: string;
  applications: string;
  ndjson: string | null;
  stats: ApplicationSetStats;
}

export interface GenAgency {
  code: string;
  region: string;
  national: boolean;
  /** the regional offices of a national body */
  offices: GenAgency[];
}

export interface GenService {
  code: string;
  agency: GenAgency;
  processingDays: number;
  audience: string[];
  channels: string[];
}

const DAY_MS = 86_400_000;
const REGIONAL = REGIONS.slice(1);
const HQ_KINDS = AGENCY_KINDS.filter((k) => k !== 'khokimiyat' && k !== 'center');
const CHANNEL_PREFIX: Record<string, string> = { portal: 'EPG', mobile: 'MOB', center: 'DXM', office: 'OFC', api: 'API' };
// processing_days of the registry: mostly short, some a week or two, a few a month.
const PROCESSING_DAYS: readonly [number, number][] = [
  [0, 0.08], [1, 0.14], [2, 0.07], [3, 0.13], [5, 0.14], [7, 0.12], [10, 0.1], [14, 0.05], [15, 0.07], [20, 0.04], [25, 0.02], [30, 0.04],
];
// applicants' regions: Tashkent city and region the busiest
const REGION_WEIGHTS: readonly [string, number][] = REGIONS.map((r) => [r, r === 'UZ-TK' ? 8 : r === 'UZ-TO' ? 4 : r === 'UZ-SA' || r === 'UZ-FA' || r === 'UZ-AN' ? 3 : r === 'UZ' ? 0.5 : 1.5]);

function weighted<T>(rand: () => number, table: readonly [T, number][]): T {
  const total = table.reduce((s, [, w]) => s + w, 0);
  let u = rand() * total;
  for (const [v, w] of table) {
    if ((u -= w) < 0) return v;
  }
  return table[table.length - 1]![0];
}

function pickOf<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

/** RFC 4180 quoting, only where needed. */
function cell(v: string | null): string {
  if (v === null) return '';
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** A streaming writer with back-pressure: rows are joined into 64 KB chunks. */
class Out {
  private readonly ws;
  private buf = '';
  constructor(file: string) {
    this.ws = createWriteStream(file);
  }
  async line(s: string): Promise<void> {
    this.buf += s + '\n';
    if (this.buf.length > 1 << 16) {
      const chunk = this.buf;
      this.buf = '';
      if (!this.ws.write(chunk)) await once(this.ws, 'drain');
    }
  }
  async close(): Promise<void> {
    const done = once(this.ws, 'close');
    this.ws.end(this.buf);
    this.buf = '';
    await done;
  }
}

async function writeCsv(file: string, entityName: EntityName, rows: Iterable<Record<string, string | null>>): Promise<void> {
  const columns = inputFields(entityName).map((f) => f.name);
  const out = new Out(file);
  await out.line(columns.join(','));
  for (const r of rows) await out.line(columns.map((c) => cell(r[c] ?? null)).join(','));
  await out.close();
}

/** The agencies: national bodies AG-0001…, and their regional offices AG-0001-SA…. */
export function planAgencies(n: number): GenAgency[] {
  const national = Math.max(1, Math.ceil(n / 5));
  const hq: GenAgency[] = [];
  for (let i = 1; i <= national; i++) hq.push({ code: `AG-${String(i).padStart(4, '0')}`, region: 'UZ', national: true, offices: [] });
  const all = [...hq];
  for (let j = 0; j < n - national; j++) {
    const parent = hq[j % national]!;
    // offices of one parent take distinct regions: at most 14 per parent, and n ≤ 15 × national
    const region = REGIONAL[(Math.floor(j / national) * 5 + (j % national)) % REGIONAL.length]!;
    const office: GenAgency = { code: `${parent.code}-${region.slice(3)}`, region, national: false, offices: [] };
    parent.offices.push(office);
    all.push(office);
  }
  return all;
}

function agencyRows(agencies: GenAgency[], rand: () => number): Iterable<Record<string, string | null>> {
  const parentOf = new Map<string, string>();
  for (const a of agencies) for (const o of a.offices) parentOf.set(o.code, a.code);
  return agencies.map((a, i) => {
    const parent = parentOf.get(a.code) ?? null;
    const n = i + 1;
    return {
      code: a.code,
      name_uz: parent ? `${a.code} hududiy boshqarmasi` : `${a.code} davlat xizmatlari agentligi`,
      name_ru: parent ? `Территориальное управление ${a.code}` : `Агентство государственных услуг ${a.code}`,
      name_en: parent ? `${a.code} regional office` : null,
      kind: parent ? (rand() < 0.7 ? 'center' : 'khokimiyat') : pickOf(rand, HQ_KINDS),
      parent_code: parent,
      tin: String(300000000 + n),
      region: a.region,
      website: parent ? null : `https://ag${n}.gov.uz`,
      email: `info@ag${n}.gov.uz`,
      phone: `+998 71 ${String(200 + (n % 800)).padStart(3, '0')}-${String(n % 100).padStart(2, '0')}-${String((n * 7) % 100).padStart(2, '0')}`,
      status: 'active',
    };
  });
}

export function planServices(n: number, agencies: GenAgency[], rand: () => number): GenService[] {
  const hq = agencies.filter((a) => a.national);
  const out: GenService[] = [];
  for (let i = 1; i <= n; i++) {
    // a few national bodies provide many services
    const agency = hq[Math.floor(rand() ** 1.6 * hq.length)]!;
    const audience = AUDIENCES.filter((a, k) => rand() < (k === 0 ? 0.75 : k === 1 ? 0.45 : 0.12));
    const channels = CHANNELS.filter((c, k) => rand() < [0.8, 0.5, 0.45, 0.3, 0.15][k]!);
    out.push({
      code: `SV-${String(i).padStart(5, '0')}`,
      agency,
      processingDays: weighted(rand, PROCESSING_DAYS),
      audience: audience.length ? audience : ['G2C'],
      channels: channels.length ? channels : ['portal'],
    });
  }
  return out;
}

function serviceRows(services: GenService[], rand: () => number): Iterable<Record<string, string | null>> {
  return services.map((s, i) => {
    const year = 2016 + Math.floor(rand() * 9);
    const fee = rand() < 0.35 ? '0' : rand() < 0.6 ? String(10000 * (1 + Math.floor(rand() * 50))) : null;
    return {
      code: s.code,
      agency_code: s.agency.code,
      name_uz: `Davlat xizmati ${s.code}`,
      name_ru: `Государственная услуга ${s.code}`,
      name_en: rand() < 0.5 ? `Public service ${s.code}` : null,
      description: null,
      audience: s.audience.join('|'),
      sector: pickOf(rand, ['Soliq', 'Adliya', 'Qurilish', 'Transport', 'Taʼlim', 'Ijtimoiy himoya']),
      status: 'active',
      fee_uzs: fee,
      fee_bhm_percent: fee === null ? String(1 + Math.floor(rand() * 20)) : null,
      processing_days: String(s.processingDays),
      channels: s.channels.join('|'),
      legal_basis: `Vazirlar Mahkamasining ${year}-yil ${1 + (i % 28)}-martdagi ${100 + (i % 900)}-son qarori`,
      required_documents: 'Ariza',
      output: null,
      effective_from: `${year}-01-01`,
      effective_to: null,
    };
  });
}

/** Zipf-like volumes: service of rank r gets weight 1/r^1.1; ranks are shuffled over codes. */
function zipfSampler(n: number, rand: () => number): () => number {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let r = 0; r < n; r++) cdf[r] = sum += 1 / (r + 1) ** 1.1;
  return () => {
    const u = rand() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return order[lo]!;
  };
}

/** Local time of day (ms after local midnight) of a submission. */
function timeOfDay(rand: () => number): number {
  const u = rand();
  const ms = Math.floor(rand() * 3_600_000);
  if (u < 0.05) return ms; // 00:00–00:59 (as all before 05:00): the UTC date is the day before
  if (u < 0.07) return (1 + Math.floor(rand() * 6)) * 3_600_000 + ms; // night
  if (u < 0.15) return (18 + Math.floor(rand() * 6)) * 3_600_000 + ms; // evening
  return (9 + Math.floor(rand() * 9)) * 3_600_000 + ms; // working hours
}

/** How many days a decision took: on time (within the deadline) or late by a few days or weeks. */
function decisionDays(rand: () => number, deadlineDays: number): number {
  if (rand() < 0.86) return Math.floor(rand() ** 0.7 * (deadlineDays + 1));
  return deadlineDays + 1 + Math.floor(-Math.log(1 - rand()) * 4);
}

/** The UTC month (YYYY-MM) of an instant. */
function utcMonth(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

export async function generateApplicationSet(o: ApplicationSetOptions): Promise<ApplicationSet> {
  const count = o.count ?? 100_000;
  const seed = o.seed ?? 1;
  const months = o.months ?? 12;
  const start = o.start ?? '2026-01';
  const zone = new TimeZone(o.timeZone);
  const now = o.now ?? Date.now();
  if (!/^[0-9]{4}-[0-9]{2}$/.test(start)) throw new RangeError(`--start must be YYYY-MM, not ${start}`);
  mkdirSync(o.outDir, { recursive: true });

  const rand = prng(seed ^ 0xa9911c);
  const agencies = planAgencies(o.agencies ?? 300);
  const services = planServices(o.services ?? 3000, agencies, rand);
  const files = {
    agencies: path.join(o.outDir, 'agencies.csv'),
    services: path.join(o.outDir, 'services.csv'),
    applications: path.join(o.outDir, 'applications.csv'),
    ndjson: o.ndjson ? path.join(o.outDir, 'applications.ndjson') : null,
  };
  await writeCsv(files.agencies, 'agencies', agencyRows(agencies, rand));
  await writeCsv(files.services, 'services', serviceRows(services, rand));

  // The days: whole local days from the first of `start` for `months` months, before today.
  const today = zone.localDate(now);
  const [y0, m0] = start.split('-').map(Number) as [number, number];
  const endMonth = new Date(Date.UTC(y0, m0 - 1 + months, 1)).toISOString().slice(0, 10);
  const lastDay = addDays(endMonth < today ? endMonth : today, -1);
  const firstDay = `${start}-01`;
  const dayCount = daysBetween(firstDay, lastDay) + 1;
  if (dayCount < 1) throw new RangeError(`no whole day from ${firstDay} before today (${today}): choose an earlier --start`);
  const weights = new Float64Array(dayCount);
  let total = 0;
  for (let d = 0; d < dayCount; d++) {
    const dow = new Date(Date.parse(`${addDays(firstDay, d)}T00:00:00Z`)).getUTCDay();
    // weekdays busy, Saturday less, Sunday quiet; volume grows a little over the period
    total += weights[d] = (dow === 0 ? 0.25 : dow === 6 ? 0.5 : 1) * (1 + (0.3 * d) / dayCount);
  }

  const columns = inputFields('applications').map((f) => f.name);
  const csv = new Out(files.applications);
  const nd = files.ndjson ? new Out(files.ndjson) : null;
  await csv.line(columns.join(','));
  const service = zipfSampler(services.length, rand);
  const stats: ApplicationSetStats = {
    count, byStatus: { received: 0, in_progress: 0, completed: 0, rejected: 0, withdrawn: 0 },
    audienceMismatch: 0, channelMismatch: 0, dueGiven: 0, late: 0, overdue: 0, nearMidnight: 0, handledByOffice: 0,
    firstDay, lastDay, utcMonths: [],
  };
  const utcMonths = new Set<string>();
  let written = 0;
  let cumulative = 0;
  for (let d = 0; d < dayCount; d++) {
    cumulative += weights[d]!;
    const upto = d === dayCount - 1 ? count : Math.round((count * cumulative) / total);
    const n = upto - written;
    if (n <= 0) continue;
    const day = addDays(firstDay, d);
    const dayStart = zone.startOf(day);
    // one day's times, sorted, so that the file is in submission order as an export would be
    const times: number[] = [];
    for (let k = 0; k < n; k++) times.push(timeOfDay(rand));
    times.sort((a, b) => a - b);
    for (const t of times) {
      written++;
      const submitted = dayStart + t;
      utcMonths.add(utcMonth(submitted));
      const submittedText = new Date(submitted).toISOString();
      if (submittedText.slice(0, 10) !== day) stats.nearMidnight++;
      const s = services[service()]!;
      const mismatchA = rand() < 0.02 && s.audience.length < AUDIENCES.length;
      const audience = mismatchA ? pickOf(rand, AUDIENCES.filter((a) => !s.audience.includes(a))) : pickOf(rand, s.audience);
      const mismatchC = rand() < 0.03 && s.channels.length < CHANNELS.length;
      const channel = mismatchC ? pickOf(rand, CHANNELS.filter((c) => !s.channels.includes(c))) : pickOf(rand, s.channels);
      if (mismatchA) stats.audienceMismatch++;
      if (mismatchC) stats.channelMismatch++;
      let handledBy: string | null = null;
      let region = weighted(rand, REGION_WEIGHTS);
      if (s.agency.offices.length && rand() < 0.25) {
        const office = s.agency.offices.find((x) => x.region === region) ?? pickOf(rand, s.agency.offices);
        handledBy = office.code;
        region = office.region;
        stats.handledByOffice++;
      }
      // the deadline: the service's processing time, or one the file gives (sometimes extended)
      let due = addDays(day, s.processingDays);
      let dueOn: string | null = null;
      if (rand() < 0.05) {
        dueOn = due = rand() < 0.5 ? due : addDays(due, 1 + Math.floor(rand() * 10));
        stats.dueGiven++;
      }
      const deadlineDays = daysBetween(day, due);
      let status: string;
      let decided: number | null = null;
      const u = rand();
      if (u < 0.03) {
        status = 'withdrawn';
        // some withdrawals carry the time they were withdrawn
        if (rand() < 0.3) decided = submitted + Math.floor(rand() * 3 * DAY_MS);
      } else if (u < 0.045) {
        status = rand() < 0.3 ? 'received' : 'in_progress'; // stuck: open long after the deadline
      } else {
        status = rand() < 0.88 ? 'completed' : 'rejected';
        const days = decisionDays(rand, deadlineDays);
        const decidedDay = zone.startOf(addDays(day, days));
        decided = Math.max(decidedDay + (9 + Math.floor(rand() * 9)) * 3_600_000 + Math.floor(rand() * 3_600_000), submitted + 60_000 + Math.floor(rand() * 7_200_000));
        if (decided >= now) {
          // not decided yet: still open today
          status = now - submitted < 2 * DAY_MS ? 'received' : 'in_progress';
          decided = null;
        } else if (zone.localDate(decided) > due) stats.late++;
      }
      if (decided !== null && decided >= now) decided = null; // a withdrawal not yet happened
      if ((status === 'received' || status === 'in_progress') && due < today) stats.overdue++;
      stats.byStatus[status]!++;
      const rec = {
        id: `${CHANNEL_PREFIX[channel]}-${day.slice(0, 4)}${day.slice(5, 7)}-${String(written).padStart(8, '0')}`,
        service_code: s.code,
        handled_by: handledBy,
        audience,
        channel,
        region,
        submitted_at: submittedText,
        due_on: dueOn,
        status,
        decided_at: decided === null ? null : new Date(decided).toISOString(),
      };
      await csv.line(`${rec.id},${rec.service_code},${rec.handled_by ?? ''},${rec.audience},${rec.channel},${rec.region},${rec.submitted_at},${rec.due_on ?? ''},${rec.status},${rec.decided_at ?? ''}`);
      if (nd) await nd.line(JSON.stringify(rec));
    }
  }
  await csv.close();
  if (nd) await nd.close();
  stats.utcMonths = [...utcMonths].sort();
  return { agencies: files.agencies, services: files.services, applications: files.applications, ndjson: files.ndjson, stats };
}

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(args: string[]): Promise<void> {
  const outDir = argValue(args, '--out-dir');
  if (!outDir) {
    process.stderr.write('usage: gen-applications.js --out-dir <dir> [--count N] [--services N] [--agencies N] [--months N] [--start YYYY-MM] [--seed N] [--ndjson] [--now <ISO time>]\n');
    process.exitCode = 2;
    return;
  }
  const num = (name: string) => (argValue(args, name) === undefined ? undefined : Number(argValue(args, name)));
  const nowArg = argValue(args, '--now');
  const set = await generateApplicationSet({
    outDir, count: num('--count'), services: num('--services'), agencies: num('--agencies'), months: num('--months'),
    start: argValue(args, '--start'), seed: num('--seed'), ndjson: args.includes('--ndjson'),
    now: nowArg ? Date.parse(nowArg) : undefined,
  });
  process.stdout.write(JSON.stringify(set, null, 2) + '\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
