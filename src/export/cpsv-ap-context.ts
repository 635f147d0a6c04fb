// The JSON-LD @context of a CPSV-AP export, written inline into the document so that
// nobody needs the network to read it. Keys are the vocabularies' own compact IRIs
// (`dct:title`, `cv:hasCost`), so the document reads as the CPSV-AP specification does;
// the term definitions only say how values are to be read: names as language maps,
// references as IRIs, numbers and dates as typed literals written as exact text.

export const NS = {
  cpsv: 'http://purl.org/vocab/cpsv#',
  cv: 'http://data.europa.eu/m8g/',
  dct: 'http://purl.org/dc/terms/',
  dcat: 'http://www.w3.org/ns/dcat#',
  eli: 'http://data.europa.eu/eli/ontology#',
  adms: 'http://www.w3.org/ns/adms#',
  org: 'http://www.w3.org/ns/org#',
  foaf: 'http://xmlns.com/foaf/0.1/',
  skos: 'http://www.w3.org/2004/02/skos/core#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
} as const;

/** The class the official 3.2.0 shapes require of a Public Organisation's dct:spatial. */
export const ATU_CLASS = 'http://data.europa.eu/88u/dataset/atu-type';

const LANGUAGE_MAP = ['dct:title', 'dct:description', 'skos:prefLabel'];
const REFERENCES = [
  'cv:hasCompetentAuthority', 'dct:audience', 'adms:status', 'cv:hasChannel', 'cv:hasCost', 'cpsv:hasInput',
  'cpsv:produces', 'cv:hasLegalResource', 'dct:spatial', 'cv:thematicArea', 'cv:currency', 'dct:type', 'dct:temporal',
  'skos:inScheme', 'skos:exactMatch', 'org:subOrganizationOf', 'org:classification', 'foaf:homepage',
];
const TYPED: ReadonlyArray<[string, string]> = [
  ['cv:processingTime', 'xsd:duration'],
  ['cv:hasValue', 'xsd:double'],
  ['dcat:startDate', 'xsd:date'],
  ['dcat:endDate', 'xsd:date'],
  ['dct:modified', 'xsd:dateTime'],
];

/** The registry's own terms, for what CPSV-AP has no property for (README: CPSV-AP). */
export function registryVocabulary(baseIri: string): string {
  return `${baseIri}ns#`;
}

export function cpsvContext(baseIri: string): Record<string, unknown> {
  const ctx: Record<string, unknown> = { ...NS, egov: registryVocabulary(baseIri) };
  for (const k of LANGUAGE_MAP) ctx[k] = { '@container': '@language' };
  for (const k of REFERENCES) ctx[k] = { '@type': '@id' };
  for (const [k, t] of TYPED) ctx[k] = { '@type': t };
  ctx['egov:feeBhmPercent'] = { '@type': 'xsd:decimal' };
  return ctx;
}
