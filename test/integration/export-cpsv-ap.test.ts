import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, type Writable } from 'node:stream';
import jsonld from 'jsonld';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import { closeKnex, connect, type Db } from '../../src/db/connect.js';
import { cpsvContext } from '../../src/export/cpsv-ap-context.js';
import { exportRecords, type ExportOptions } from '../../src/export/export.js';
import { NO_FILTERS, parseFilters, type RawFilters } from '../../src/export/filters.js';
import { withPgCopy } from '../../src/export/pg-source.js';
import { withSqliteRows } from '../../src/export/sqlite-source.js';
import type { RecordValues } from '../../src/records/fields.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { fetchesRefused, instances, jsonldOptions, toQuads, validateCpsvAp } from '../helpers/cpsv-ap.js';
import { AGENCIES, SERVICES, seed } from '../helpers/export-data.js';
import { createTestDatabase } from '../helpers/pg.js';

// The CPSV-AP export of real databases: the samples imported into PostgreSQL and SQLite by
// the built binary, plus the export tests' awkward records and one holding markup, validated
// offline against the committed CPSV-AP 3.2.0 shapes.

const BASE = 'https://registry.invalid/';
const CPSV = 'http://purl.org/vocab/cpsv#';
const CV = 'http://data.europa.eu/m8g/';
const DCT = 'http://purl.org/dc/terms/';
const XSD = 'http://www.w3.org/2001/XMLSchema#';

const MARKUP: RecordValues = {
  code: 'XSS-001', agency_code: 'MINJUST', name_uz: '<script>alert("uz")</script>', name_ru: 'Услуга «с кавычками» и \'апострофом\'', name_en: '"><img src=x onerror=alert(1)>',
  description: 'Birinchi qator\nВторая строка: "цитата"\r\n</script><!-- end', audience: ['G2C'], sector: 'Sud & huquq <b>', status: 'active',
  fee_uzs: '95000.5', fee_bhm_percent: null, processing_days: 3, channels: ['portal', 'office'], legal_basis: 'Qonun "Toʻgʻrisida", 5-modda',
  required_documents: ['Паспорт <копия>', 'Ariza\nikki nusxada'], output: 'Guvohnoma & maʼlumotnoma', effective_from: '2024-01-01', effective_to: '2026-12-31',
};

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'egovctl-cpsv-it-'));
let pgDb: Awaited<ReturnType<typeof createTestDatabase>>;
const dbs = {} as Record<'pg' | 'sqlite', Db>;
const SAMPLE_CODES = fs.readFileSync(path.join(ROOT, 'samples', 'services.csv'), 'utf8').split('\n').slice(1).map((l) => /^([A-Z][A-Z0-9-]+),/.exec(l)?.[1]).filter((c): c is string => !!c);
const ALL_CODES = [...SAMPLE_CODES, ...SERVICES.map((s) => String(s.code)), String(MARKUP.code)].sort();

async function open(url: string): Promise<Db> {
  const env = { PATH: process.env.PATH, HOME: tmp };
  for (const args of [['migrate', 'latest'], ['import', 'agencies', 'samples/agencies.csv'], ['import', 'services', 'samples/services.csv']]) {
    const r = await runCli(['--db', url, ...args], { env });
    expect(r.code, r.stderr).toBe(0);
  }
  const db = await connect(resolveConfig({ db: url }, {}, tmp).targets[0]!);
  await seed(db.knex, AGENCIES, [...SERVICES, MARKUP]);
  return db;
}

beforeAll(async () => {
  pgDb = await createTestDatabase('egovctl_cpsv');
  dbs.pg = await open(pgDb.url);
  dbs.sqlite = await open(`sqlite:${path.join(tmp, 'cpsv.sqlite')}`);
});

afterAll(async () => {
  for (const db of Object.values(dbs)) if (db) await closeKnex(db.knex);
  await pgDb?.drop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function exportText(db: Db, opts: Partial<ExportOptions> = {}, dest?: Writable): Promise<string> {
  const parts: Buffer[] = [];
  const sink = dest ?? new PassThrough();
  if (!dest) sink.on('data', (d: Buffer) => parts.push(d));
  await exportRecords(db, 'services', { format: 'cpsv-ap', ...opts }, sink);
  return Buffer.concat(parts).toString('utf8');
}

const withFilters = (raw: RawFilters) => ({ filters: parseFilters('services', raw) });

describe.each(['pg', 'sqlite'] as const)('CPSV-AP export from %s', (dialect) => {
  const db = () => dbs[dialect];

  test('the samples and the awkward records conform to the CPSV-AP 3.2.0 shapes, with no violation', async () => {
    const text = await exportText(db());
    const doc = JSON.parse(text);
    const { conforms, violations, quads } = await validateCpsvAp(doc);
    expect(violations).toEqual([]);
    expect(conforms).toBe(true);
    expect(instances(quads, `${CPSV}PublicService`)).toEqual(ALL_CODES.map((c) => `${BASE}service/${c}`));
    for (const code of SAMPLE_CODES) expect(text).toContain(`{"@id":"${BASE}service/${code}","@type":"cpsv:PublicService"`);
    // the competent authorities, and their parents, each once
    const orgs = instances(quads, `${CV}PublicOrganisation`);
    expect(orgs).toContain(`${BASE}agency/DXM-TK`);
    expect(orgs).toContain(`${BASE}agency/MJ`); // DXM-TK → DXM → MJ
    expect(orgs).not.toContain(`${BASE}agency/DXM-SA`); // no service of its own
    expect(orgs).not.toContain(`${BASE}agency/OLDREG`);
    // every node IRI under the base; nothing fetched
    const subjects = new Set(quads.getSubjects(null, null, null).map((t) => t.value));
    expect([...subjects].filter((s) => !s.startsWith(BASE))).toEqual([]);
    expect(fetchesRefused).toEqual([]);
  });

  test('a broken document is reported: no competent authority, an authority that is not typed, no description', async () => {
    const doc = JSON.parse(await exportText(db(), withFilters({ agency: 'SK' })));
    const graph = doc['@graph'] as Array<Record<string, unknown>>;
    const service = graph.find((n) => n['@id'] === `${BASE}service/TAX-0001`)!;
    delete service['cv:hasCompetentAuthority'];
    const noDescription = graph.find((n) => n['@id'] === `${BASE}service/TAX-0002`)!;
    delete noDescription['dct:description'];
    // TAX-0003 keeps its authority, but the organisation's node is gone: a class violation;
    // so is a concept left out (the audience G2B, the region of the organisations)
    doc['@graph'] = graph.filter((n) => ![`${BASE}agency/SK`, `${BASE}concept/audience/G2B`, `${BASE}concept/region/UZ`].includes(n['@id'] as string));
    const { conforms, violations } = await validateCpsvAp(doc);
    expect(conforms).toBe(false);
    const seen = violations.map((v) => `${v.focus} ${v.path} ${v.component}`);
    expect(seen).toContain(`${BASE}service/TAX-0001 ${CV}hasCompetentAuthority sh:MinCountConstraintComponent`);
    expect(seen).toContain(`${BASE}service/TAX-0002 ${DCT}description sh:MinCountConstraintComponent`);
    expect(seen).toContain(`${BASE}service/TAX-0003 ${CV}hasCompetentAuthority sh:ClassConstraintComponent`);
    expect(seen).toContain(`${BASE}service/TAX-0003 ${DCT}audience sh:ClassConstraintComponent`);
    expect(seen).toContain(`${BASE}service/TAX-0003 ${DCT}spatial sh:ClassConstraintComponent`);
    expect(seen).toContain(`${BASE}agency/MF ${DCT}spatial sh:ClassConstraintComponent`);
  });

  test('byte-identical across runs; ordered by code', async () => {
    const a = await exportText(db());
    const b = await exportText(db());
    expect(b).toBe(a);
    const order = [...a.matchAll(/"@id":"https:\/\/registry\.invalid\/service\/([A-Z0-9-]+)","@type":"cpsv:PublicService"/g)].map((m) => m[1]);
    expect(order).toEqual(ALL_CODES);
  });

  test('a JSON-LD round trip keeps every service: expand → compact gives the same graph, and so does fromRDF', async () => {
    const doc = JSON.parse(await exportText(db()));
    const before = await toQuads(doc);
    const expanded = await jsonld.expand(doc, jsonldOptions);
    const compacted = await jsonld.compact(expanded, { '@context': cpsvContext(BASE) } as never, jsonldOptions);
    const after = await toQuads(compacted);
    const nq = (s: typeof before) => s.getQuads(null, null, null, null).map((q) => `${q.subject.value} ${q.predicate.value} ${q.object.termType}:${q.object.value}:${'language' in q.object ? q.object.language : ''}:${'datatype' in q.object ? q.object.datatype.value : ''}`).sort();
    expect(nq(after)).toEqual(nq(before));
    expect(instances(after, `${CPSV}PublicService`)).toHaveLength(ALL_CODES.length);
    const nquads = await jsonld.toRDF(doc, { ...jsonldOptions, format: 'application/n-quads' });
    const back = await jsonld.fromRDF(nquads as never, { format: 'application/n-quads' });
    const services = (back as Array<Record<string, unknown>>).filter((n) => (n['@type'] as string[] | undefined)?.includes(`${CPSV}PublicService`));
    expect(services.map((n) => n['@id']).sort()).toEqual(ALL_CODES.map((c) => `${BASE}service/${c}`));
  });

  test('quotes, markup, Cyrillic and line breaks survive as the same literals; no raw "<" in the bytes', async () => {
    const text = await exportText(db(), withFilters({ agency: 'MINJUST' }));
    expect(text).not.toContain('<');
    const { conforms, quads } = await validateCpsvAp(JSON.parse(text));
    expect(conforms).toBe(true);
    const s = `${BASE}service/XSS-001`;
    const lit = (subject: string, p: string) => quads.getObjects(subject, p, null).map((o) => `${o.value}@${(o as { language?: string }).language ?? ''}`).sort();
    expect(lit(s, `${DCT}title`)).toEqual([`${MARKUP.name_en}@en`, `${MARKUP.name_ru}@ru`, `${MARKUP.name_uz}@uz`].sort());
    expect(lit(s, `${DCT}description`)).toEqual([`${MARKUP.description}@uz`]);
    expect(lit(`${s}/evidence/1`, `${DCT}title`)).toEqual(['Паспорт <копия>@uz']);
    expect(lit(`${s}/evidence/2`, `${DCT}title`)).toEqual(['Ariza\nikki nusxada@uz']);
    expect(lit(`${s}/legal-resource`, `${DCT}title`)).toEqual([`${MARKUP.legal_basis}@uz`]);
    expect(quads.getObjects(s, `${CV}thematicArea`, null).map((o) => o.value)).toEqual([`${BASE}concept/sector/${encodeURIComponent(String(MARKUP.sector))}`]);
  });

  test('fees: UZS as an exact xsd:double with currency UZS; a BHM share described and kept as xsd:decimal; free; no fee, no cost', async () => {
    const text = await exportText(db());
    const { quads } = await validateCpsvAp(JSON.parse(text));
    // jsonld writes an xsd:double in its canonical form (9.50005E4): compare the numbers,
    // and the document's own text, which carries the registry's exact decimal
    const value = (code: string) => quads.getObjects(`${BASE}service/${code}/cost`, `${CV}hasValue`, null).map((o) => `${Number(o.value)}^^${(o as { datatype: { value: string } }).datatype.value}`);
    expect(value('XSS-001')).toEqual([`95000.5^^${XSD}double`]);
    expect(value('HLTH-0001')).toEqual([`95000.5^^${XSD}double`]); // 95000.50 in the sample
    expect(value('SRV-005')).toEqual([`999999999999.99^^${XSD}double`]);
    expect(value('TAX-0001')).toEqual([`0^^${XSD}double`]);
    const costOf = (code: string) => JSON.parse(text.split('\n').find((l) => l.startsWith(`{"@id":"${BASE}service/${code}/cost"`))!.replace(/,$/, ''));
    expect(costOf('HLTH-0001')['cv:hasValue']).toBe('95000.5');
    expect(costOf('SRV-005')['cv:hasValue']).toBe('999999999999.99');
    expect(costOf('SRV-006')['egov:feeBhmPercent']).toBe('100000');
    expect(quads.getObjects(`${BASE}service/TAX-0001/cost`, `${DCT}description`, null).map((o) => o.value)).toContain('Free of charge');
    expect(value('BIZ-0001')).toEqual([]);
    expect(quads.getObjects(`${BASE}service/BIZ-0001/cost`, `${BASE}ns#feeBhmPercent`, null).map((o) => `${o.value}^^${(o as { datatype: { value: string } }).datatype.value}`)).toEqual([`0.5^^${XSD}decimal`]);
    expect(quads.getObjects(`${BASE}service/BIZ-0001/cost`, `${DCT}description`, null).map((o) => o.value)).toContain('0.5% of the base calculation amount (BHM)');
    expect(quads.getObjects(`${BASE}service/BIZ-0001/cost`, `${CV}currency`, null).map((o) => o.value)).toEqual([`${BASE}concept/currency/UZS`]);
    // CITY-0003 (draft) has no fee at all
    expect(quads.getObjects(`${BASE}service/CITY-0003`, `${CV}hasCost`, null)).toEqual([]);
    expect(quads.getObjects(`${BASE}service/CITY-0003`, `${CV}processingTime`, null).map((o) => o.value)).toEqual(['P30D']);
    expect(quads.getObjects(`${BASE}service/BIZ-0001`, `${CV}processingTime`, null).map((o) => o.value)).toEqual(['P0D']);
    // no description stored: the names stand in, in their languages
    expect(quads.getObjects(`${BASE}service/BIZ-0002`, `${DCT}description`, null).map((o) => `${o.value}@${(o as { language: string }).language}`).sort())
      .toEqual(['Closing a business@en', 'Tadbirkorlik faoliyatini tugatish@uz', 'Ликвидация предпринимательской деятельности@ru']);
  });

  test('filters apply: status, agency, audience, changed-since — the same services as the NDJSON export', async () => {
    for (const raw of [{ status: 'active' }, { agency: 'DXM,KH-TK' }, { audience: 'G2G' }, { audience: 'G2B', status: 'draft,suspended' }, { changedSince: '2026-01-31T08:01:00Z' }] as RawFilters[]) {
      const parts: Buffer[] = [];
      const sink = new PassThrough().on('data', (d: Buffer) => parts.push(d));
      await exportRecords(db(), 'services', { format: 'ndjson', ...withFilters(raw) }, sink);
      const expected = Buffer.concat(parts).toString('utf8').trimEnd().split('\n').filter(Boolean).map((l) => `${BASE}service/${JSON.parse(l).code}`);
      expect(expected.length, JSON.stringify(raw)).toBeGreaterThan(0);
      expect(expected.length, JSON.stringify(raw)).toBeLessThan(ALL_CODES.length);
      const { conforms, quads } = await validateCpsvAp(JSON.parse(await exportText(db(), withFilters(raw))));
      expect(conforms, JSON.stringify(raw)).toBe(true);
      expect(instances(quads, `${CPSV}PublicService`), JSON.stringify(raw)).toEqual(expected);
    }
    // nothing matches: still one valid document, holding the schemes and channels only
    const none = JSON.parse(await exportText(db(), withFilters({ agency: 'NOPE' })));
    expect((await validateCpsvAp(none)).conforms).toBe(true);
    expect(instances(await toQuads(none), `${CPSV}PublicService`)).toEqual([]);
  });

  test('baseIri: every node IRI starts with it', async () => {
    const base = 'https://data.gov.uz/registry/v1/';
    const { conforms, quads } = await validateCpsvAp(JSON.parse(await exportText(db(), { baseIri: base, ...withFilters({ agency: 'MH' }) })));
    expect(conforms).toBe(true);
    const subjects = [...new Set(quads.getSubjects(null, null, null).map((t) => t.value))];
    expect(subjects.length).toBeGreaterThan(40);
    expect(subjects.filter((s) => !s.startsWith(base))).toEqual([]);
    expect(instances(quads, `${CPSV}PublicService`)).toEqual([`${base}service/HLTH-0001`]);
  });
});

test('the agencies are read inside the export\'s one read-only, repeatable-read snapshot', async () => {
  const seen: Record<string, unknown> = {};
  const consume = async (lines: import('node:stream').Readable) => {
    for await (const _ of lines) void _;
  };
  await withPgCopy(dbs.pg, 'services', 'ndjson', NO_FILTERS, false, consume, undefined, async (select) => {
    seen.pg = (await select("select current_setting('transaction_isolation') as i, current_setting('transaction_read_only') as r", []))[0];
  });
  expect(seen.pg).toEqual({ i: 'repeatable read', r: 'on' });
  const client = dbs.sqlite.knex.client as { acquireConnection(): Promise<import('better-sqlite3').Database>; releaseConnection(c: unknown): Promise<void> };
  const conn = await client.acquireConnection();
  await client.releaseConnection(conn);
  await withSqliteRows(dbs.sqlite, 'services', 'ndjson', NO_FILTERS, false, consume, undefined, async (select) => {
    seen.sqlite = { inTransaction: conn.inTransaction, agencies: (await select('select count(*) as n from agencies', []))[0] };
  });
  // the connection the rows are read on (the pool holds one), inside their transaction
  expect(seen.sqlite).toEqual({ inTransaction: true, agencies: { n: AGENCIES.length + 12 } });
});
