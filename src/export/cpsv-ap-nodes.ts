import type { RecordValues } from '../records/fields.js';
import {
  AGENCY_KIND_SCHEME, AGENCY_STATUS_SCHEME, AUDIENCE_SCHEME, CHANNEL_TYPE_SCHEME, CURRENCY_SCHEME, feeDescription,
  FIXED_SCHEMES, REGION_SCHEME, SECTOR_SCHEME_TITLE, SERVICE_STATUS_SCHEME, type Labels, type SchemeDef,
} from './cpsv-ap-concepts.js';
import { ATU_CLASS } from './cpsv-ap-context.js';

// One registry record → the JSON-LD nodes of CPSV-AP 3.2.0 that describe it (the mapping
// table is in the README, section CPSV-AP). Pure functions: a node is a plain object whose
// keys are set in a fixed order, so the same record always gives the same bytes.

export type Node = Record<string, unknown>;
type LangMap = Partial<Record<'uz' | 'ru' | 'en', string>>;

/**
 * The texts the registry keeps in one language only (description, legal basis, documents,
 * output, sector) are tagged `uz`, the register's language of record: its one required
 * name is name_uz.
 */
const RECORD_LANGUAGE = 'uz';

const str = (v: unknown): string | null => (v === null || v === undefined || v === '' ? null : String(v));

function names(r: RecordValues): LangMap {
  const m: LangMap = {};
  for (const lang of ['uz', 'ru', 'en'] as const) {
    const v = str(r[`name_${lang}`]);
    if (v !== null) m[lang] = v;
  }
  return m;
}

const labels = (l: Labels): LangMap => ({ uz: l.uz, ru: l.ru, en: l.en });
const recordText = (text: string): LangMap => ({ [RECORD_LANGUAGE]: text });

/** Characters an IRI may not hold, percent-encoded (a website is checked as a URL, not an IRI). */
function iriSafe(text: string): string {
  return text.replace(/[\s<>"{}|\\^`\u0000-\u001f\u007f]/gu, (c) => encodeURIComponent(c));
}

/** Node IRIs, all under the base. */
export class Iris {
  constructor(readonly base: string) {}
  service(code: string): string {
    return `${this.base}service/${code}`;
  }
  agency(code: string): string {
    return `${this.base}agency/${code}`;
  }
  channel(channel: string): string {
    return `${this.base}channel/${channel}`;
  }
  scheme(path: string): string {
    return `${this.base}concept/${path}`;
  }
  concept(s: SchemeDef | string, value: string): string {
    return `${this.scheme(typeof s === 'string' ? s : s.path)}/${value}`;
  }
  sector(text: string): string {
    return this.concept('sector', encodeURIComponent(text));
  }
}

function schemeNode(iris: Iris, path: string, title: Labels): Node {
  return { '@id': iris.scheme(path), '@type': 'skos:ConceptScheme', 'dct:title': labels(title) };
}

function conceptNode(iris: Iris, s: SchemeDef, value: string): Node {
  const types: string[] = ['skos:Concept'];
  // regions are the areas services and organisations cover: typed as the classes the
  // official shapes ask of dct:spatial (dct:Location for a service, ATU for an organisation)
  if (s === REGION_SCHEME) types.push('dct:Location', ATU_CLASS);
  const node: Node = {
    '@id': iris.concept(s, value),
    '@type': types.length === 1 ? types[0] : types,
    'skos:prefLabel': labels(s.labels[value]!),
    'skos:notation': value,
    'skos:inScheme': iris.scheme(s.path),
  };
  const match = s.exactMatch?.[value];
  if (match) node['skos:exactMatch'] = match;
  return node;
}

/** The fixed schemes with all their concepts, and the channels: the head of every document. */
export function fixedNodes(iris: Iris): Node[] {
  const out: Node[] = [];
  for (const s of FIXED_SCHEMES) {
    out.push(schemeNode(iris, s.path, s.title));
    for (const v of s.values) out.push(conceptNode(iris, s, v));
  }
  out.push(schemeNode(iris, 'sector', SECTOR_SCHEME_TITLE));
  // a channel is the medium (the portal, the centres …), the same for every service
  for (const ch of CHANNEL_TYPE_SCHEME.values) {
    out.push({
      '@id': iris.channel(ch),
      '@type': 'cv:Channel',
      'dct:identifier': ch,
      'dct:type': iris.concept(CHANNEL_TYPE_SCHEME, ch),
      'dct:description': labels(CHANNEL_TYPE_SCHEME.labels[ch]!),
    });
  }
  return out;
}

/** A sector met in the data, as a concept of the registry's sector scheme. */
export function sectorNode(iris: Iris, text: string): Node {
  return {
    '@id': iris.sector(text),
    '@type': 'skos:Concept',
    'skos:prefLabel': recordText(text),
    'skos:notation': text,
    'skos:inScheme': iris.scheme('sector'),
  };
}

/** An agency as the Public Organisation that is a service's competent authority. */
export function agencyNode(iris: Iris, a: RecordValues): Node {
  const code = String(a.code);
  const node: Node = {
    '@id': iris.agency(code),
    '@type': ['cv:PublicOrganisation', 'org:Organization'],
    'dct:identifier': code,
    'skos:prefLabel': names(a),
    'dct:spatial': iris.concept(REGION_SCHEME, String(a.region)),
    'org:classification': iris.concept(AGENCY_KIND_SCHEME, String(a.kind)),
    'adms:status': iris.concept(AGENCY_STATUS_SCHEME, String(a.status)),
  };
  const parent = str(a.parent_code);
  if (parent !== null) node['org:subOrganizationOf'] = iris.agency(parent);
  const website = str(a.website);
  if (website !== null) node['foaf:homepage'] = iriSafe(website);
  const modified = str(a.updated_at);
  if (modified !== null) node['dct:modified'] = modified;
  return node;
}

/**
 * The nodes of one service: the Public Service first, then its Cost, Evidence, Output,
 * Legal Resource and period, each under the service's IRI. `agencyRegion` is the region
 * of its competent authority (the area the service is available in), when known.
 */
export function serviceNodes(iris: Iris, s: RecordValues, agencyRegion: string | null): Node[] {
  const code = String(s.code);
  const id = iris.service(code);
  const title = names(s);
  const description = str(s.description);
  const service: Node = {
    '@id': id,
    '@type': 'cpsv:PublicService',
    'dct:identifier': code,
    'dct:title': title,
    // CPSV-AP requires a description; where the registry has none, the names stand in
    'dct:description': description !== null ? recordText(description) : title,
    'cv:hasCompetentAuthority': iris.agency(String(s.agency_code)),
    'dct:audience': (s.audience as string[] | null ?? []).map((a) => iris.concept(AUDIENCE_SCHEME, a)),
    'adms:status': iris.concept(SERVICE_STATUS_SCHEME, String(s.status)),
    'cv:processingTime': `P${Number(s.processing_days)}D`,
    'cv:hasChannel': (s.channels as string[] | null ?? []).map((c) => iris.channel(c)),
  };
  const extra: Node[] = [];
  const sector = str(s.sector);
  if (sector !== null) service['cv:thematicArea'] = iris.sector(sector);
  if (agencyRegion !== null) service['dct:spatial'] = iris.concept(REGION_SCHEME, agencyRegion);

  const fee = { uzs: str(s.fee_uzs), bhmPercent: str(s.fee_bhm_percent) };
  const feeText = feeDescription(fee);
  if (feeText) {
    const cost: Node = { '@id': `${id}/cost`, '@type': 'cv:Cost', 'dct:identifier': `${code}/cost` };
    // cv:hasValue is an amount of the currency: a share of the BHM has none, so it is
    // described in words and kept as a number in the registry's own term
    if (fee.uzs !== null) cost['cv:hasValue'] = fee.uzs;
    cost['cv:currency'] = iris.concept(CURRENCY_SCHEME, 'UZS');
    cost['dct:description'] = labels(feeText);
    if (fee.bhmPercent !== null) cost['egov:feeBhmPercent'] = fee.bhmPercent;
    service['cv:hasCost'] = `${id}/cost`;
    extra.push(cost);
  }

  const documents = (s.required_documents as string[] | null) ?? [];
  if (documents.length) {
    const ids = documents.map((_, i) => `${id}/evidence/${i + 1}`);
    service['cpsv:hasInput'] = ids;
    documents.forEach((d, i) => {
      extra.push({ '@id': ids[i], '@type': 'cv:Evidence', 'dct:identifier': `${code}/evidence/${i + 1}`, 'dct:title': recordText(d) });
    });
  }

  const output = str(s.output);
  if (output !== null) {
    service['cpsv:produces'] = `${id}/output`;
    extra.push({ '@id': `${id}/output`, '@type': 'cv:Output', 'dct:identifier': `${code}/output`, 'dct:title': recordText(output) });
  }

  const legal = str(s.legal_basis);
  if (legal !== null) {
    service['cv:hasLegalResource'] = `${id}/legal-resource`;
    extra.push({ '@id': `${id}/legal-resource`, '@type': 'eli:LegalResource', 'dct:title': recordText(legal) });
  }

  const from = str(s.effective_from);
  const to = str(s.effective_to);
  if (from !== null || to !== null) {
    service['dct:temporal'] = `${id}/period`;
    const period: Node = { '@id': `${id}/period`, '@type': 'dct:PeriodOfTime' };
    if (from !== null) period['dcat:startDate'] = from;
    if (to !== null) period['dcat:endDate'] = to;
    extra.push(period);
  }

  const modified = str(s.updated_at);
  if (modified !== null) service['dct:modified'] = modified;
  return [service, ...extra];
}
