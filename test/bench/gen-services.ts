// Deterministic generator of valid registry files for benchmarks (validate, import, export).
//
// Run (Node 20 has no type stripping, so compile first):
//   npx tsc -p . --outDir /tmp/egov-bench && \
//   node /tmp/egov-bench/test/bench/gen-services.js <services.csv> [count=100000] [--seed N] [--agencies <agencies.csv>] [--agency-count N]
// Or from code: generateServices(n, out, { seed }) / generateAgencies(n, out, { seed }).
//
// The rows look like the production registry of the field notes: Uzbek Latin and Cyrillic
// text, ~650 bytes a row, ~7% multi-line quoted descriptions, every record valid with no
// warnings, so that a benchmark measures the happy path.
import fs, { createWriteStream } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import {
  AGENCY_KINDS, AUDIENCES, CHANNELS, REGIONS, inputFields, type EntityName,
} from '../../src/records/fields.js';

export interface GenerateOptions {
  seed?: number;
  /** how many agencies the services refer to (AG-0001 …); default 200 */
  agencyCount?: number;
}

/** mulberry32: small, fast and good enough for test data; the same seed gives the same file. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const UZ_WORDS = [
  'davlat', 'xizmat', 'roʻyxatdan', 'oʻtkazish', 'guvohnoma', 'berish', 'tadbirkorlik', 'subyekti',
  'litsenziya', 'ruxsatnoma', 'fuqarolar', 'hujjat', 'soliq', 'maʼlumotnoma', 'yer', 'uchastkasi',
  'qurilish', 'nikoh', 'tugʻilganlik', 'pasport', 'haydovchilik', 'guvohnomasi', 'pensiya', 'nafaqa',
  'bojxona', 'eksport', 'sertifikat', 'ekologik', 'ekspertiza', 'sogʻliqni', 'saqlash', 'taʼlim',
];
const RU_WORDS = [
  'государственная', 'услуга', 'регистрация', 'выдача', 'свидетельства', 'предпринимательства',
  'лицензия', 'разрешение', 'граждан', 'документ', 'налоговой', 'справки', 'земельного', 'участка',
  'строительство', 'брака', 'рождения', 'паспорта', 'водительского', 'удостоверения', 'пенсии',
  'пособия', 'таможенного', 'экспорта', 'сертификата', 'экологической', 'экспертизы', 'образования',
];
const EN_WORDS = [
  'state', 'service', 'registration', 'issue', 'certificate', 'business', 'licence', 'permit',
  'citizens', 'document', 'tax', 'statement', 'land', 'plot', 'construction', 'marriage', 'birth',
];
const SECTORS = ['Soliq', 'Sogʻliqni saqlash', 'Taʼlim', 'Qurilish', 'Transport', 'Adliya', 'Ijtimoiy himoya', 'Bojxona'];
const DOCS = ['Pasport nusxasi', 'Ariza', 'Копия паспорта', 'Заявление', 'Toʻlov kvitansiyasi', 'Справка с места жительства'];

function words(rand: () => number, list: readonly string[], n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(list[Math.floor(rand() * list.length)]!);
  const s = out.join(' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

/** RFC 4180 quoting, only where needed. */
function cell(v: string | null): string {
  if (v === null) return '';
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function agencyCode(i: number): string {
  return `AG-${String(i).padStart(4, '0')}`;
}

export function serviceCode(i: number): string {
  return `SRV-${String(i).padStart(7, '0')}`;
}

async function writeRows(
  out: string, entityName: EntityName, n: number, row: (i: number) => Record<string, string | null>,
): Promise<void> {
  const columns = inputFields(entityName).map((f) => f.name);
  const ws = createWriteStream(out);
  const done = once(ws, 'close');
  let batch = columns.join(',') + '\n';
  for (let i = 1; i <= n; i++) {
    const r = row(i);
    batch += columns.map((c) => cell(r[c] ?? null)).join(',') + '\n';
    if (batch.length > 1 << 16 || i === n) {
      // Respect back-pressure so that generating 1M rows does not buffer the file in memory.
      if (!ws.write(batch)) await once(ws, 'drain');
      batch = '';
    }
  }
  if (batch) ws.write(batch);
  ws.end();
  await done;
}

export async function generateAgencies(n: number, out: string, opts: GenerateOptions = {}): Promise<void> {
  const rand = prng((opts.seed ?? 1) ^ 0x5eed);
  await writeRows(out, 'agencies', n, (i) => ({
    code: agencyCode(i),
    name_uz: words(rand, UZ_WORDS, 3) + ' agentligi',
    name_ru: 'Агентство ' + words(rand, RU_WORDS, 2).toLowerCase(),
    name_en: rand() < 0.5 ? words(rand, EN_WORDS, 2) + ' Agency' : null,
    kind: pick(rand, AGENCY_KINDS),
    // Parents always come earlier, so the hierarchy is a forest without cycles.
    parent_code: i > 10 ? agencyCode(1 + Math.floor(rand() * Math.min(i - 1, 10))) : null,
    tin: String(200000000 + i),
    region: pick(rand, REGIONS),
    website: `https://ag${i}.gov.uz`,
    email: `info@ag${i}.gov.uz`,
    phone: `+998 71 ${String(200 + (i % 800)).padStart(3, '0')}-${String(i % 100).padStart(2, '0')}-${String((i * 7) % 100).padStart(2, '0')}`,
    status: 'active',
  }));
}

export async function generateServices(n: number, out: string, opts: GenerateOptions = {}): Promise<void> {
  const rand = prng(opts.seed ?? 1);
  const agencies = opts.agencyCount ?? 200;
  await writeRows(out, 'services', n, (i) => {
    const active = rand() < 0.8;
    const feeKind = rand();
    let description = words(rand, UZ_WORDS, 12) + '. ' + words(rand, RU_WORDS, 10) + '.';
    if (rand() < 0.07) description += '\n' + words(rand, RU_WORDS, 8) + ', "' + words(rand, UZ_WORDS, 2) + '".';
    const audience = AUDIENCES.filter(() => rand() < 0.5);
    const channels = CHANNELS.filter(() => rand() < 0.5);
    const year = 2015 + Math.floor(rand() * 10);
    return {
      code: serviceCode(i),
      agency_code: agencyCode(1 + Math.floor(rand() * agencies)),
      name_uz: words(rand, UZ_WORDS, 6),
      name_ru: words(rand, RU_WORDS, 5),
      name_en: rand() < 0.6 ? words(rand, EN_WORDS, 5) : null,
      description,
      audience: (audience.length ? audience : ['G2C']).join('|'),
      sector: pick(rand, SECTORS),
      status: active ? 'active' : pick(rand, ['draft', 'suspended', 'retired']),
      fee_uzs: feeKind < 0.5 ? String(Math.floor(rand() * 1000000)) + (rand() < 0.3 ? '.50' : '') : null,
      fee_bhm_percent: feeKind >= 0.5 ? String(Math.floor(rand() * 500)) + '.' + String(Math.floor(rand() * 1000)).padStart(3, '0') + '' : null,
      processing_days: String(Math.floor(rand() * 60)),
      channels: (channels.length ? channels : ['portal']).join('|'),
      legal_basis: `Vazirlar Mahkamasining ${year}-yil ${1 + Math.floor(rand() * 28)}-sentabrdagi ${100 + Math.floor(rand() * 900)}-son qarori`,
      required_documents: [pick(rand, DOCS), pick(rand, DOCS)].join('|'),
      output: rand() < 0.7 ? words(rand, UZ_WORDS, 2) : null,
      effective_from: `${year}-${String(1 + Math.floor(rand() * 12)).padStart(2, '0')}-${String(1 + Math.floor(rand() * 28)).padStart(2, '0')}`,
      effective_to: rand() < 0.1 ? '2099-12-31' : null,
    };
  });
}

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(args: string[]): Promise<void> {
  const out = args[0];
  if (!out || out.startsWith('--')) {
    process.stderr.write('usage: gen-services.js <services.csv> [count] [--seed N] [--agencies <path>] [--agency-count N]\n');
    process.exitCode = 2;
    return;
  }
  const n = args[1] && !args[1].startsWith('--') ? Number(args[1]) : 100000;
  const seed = Number(argValue(args, '--seed') ?? 1);
  const agencyCount = Number(argValue(args, '--agency-count') ?? 200);
  const agenciesOut = argValue(args, '--agencies');
  await generateServices(n, out, { seed, agencyCount });
  if (agenciesOut) await generateAgencies(agencyCount, agenciesOut, { seed });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}

export interface BenchFiles {
  agencies: string;
  services: string;
  /** `small` services each, seeds 2 and 3: the same codes with other values */
  small: [string, string];
}

/**
 * The files the import benchmarks share, in `dir`: 200 agencies, `records` services (seed 1)
 * and two files of `small` services; generated when missing, else reused.
 */
export async function benchFiles(dir: string, records: number, small: number): Promise<BenchFiles> {
  fs.mkdirSync(dir, { recursive: true });
  const agencies = path.join(dir, 'agencies-200.csv');
  const services = path.join(dir, `services-${records}.csv`);
  const smalls = [2, 3].map((seed) => path.join(dir, `services-${small}-seed${seed}.csv`)) as [string, string];
  if (!fs.existsSync(agencies)) await generateAgencies(200, agencies, { seed: 1 });
  if (!fs.existsSync(services)) {
    console.log(`generating ${records} services into ${services} …`);
    await generateServices(records, services, { seed: 1 });
  }
  for (const [i, f] of smalls.entries()) if (!fs.existsSync(f)) await generateServices(small, f, { seed: i + 2 });
  return { agencies, services, small: smalls };
}
