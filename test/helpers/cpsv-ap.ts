import fs from 'node:fs';
import path from 'node:path';
import jsonld from 'jsonld';
import { Parser, Store } from 'n3';
import SHACLValidator from 'rdf-validate-shacl';
import { ROOT } from './cli.js';

// Reading a CPSV-AP export as RDF, offline: jsonld with a document loader that refuses every
// fetch (the document's @context is inline, so nothing should ever be fetched), n3 for the
// quads and the Turtle shapes, rdf-validate-shacl for the shapes of test/fixtures/cpsv-ap.

export const SHAPE_FILES = ['cpsv-ap-3.2.0-shapes.ttl', 'registry-shapes.ttl'].map((f) => path.join(ROOT, 'test', 'fixtures', 'cpsv-ap', f));

/** Every URL the loader was asked for: a test can check that none was. */
export const fetchesRefused: string[] = [];

// jsonld's documentLoader signature: (url) => Promise<RemoteDocument>
export const offlineLoader = async (url: string): Promise<never> => {
  fetchesRefused.push(url);
  throw new Error(`network access refused in tests: ${url}`);
};

export const jsonldOptions = { documentLoader: offlineLoader as never, safe: true } as const;

function parse(text: string, format: 'N-Quads' | 'Turtle'): Store {
  const store = new Store();
  store.addQuads(new Parser({ format }).parse(text));
  return store;
}

export async function toQuads(doc: unknown): Promise<Store> {
  const nquads = (await jsonld.toRDF(doc as jsonld.JsonLdDocument, { ...jsonldOptions, format: 'application/n-quads' })) as unknown as string;
  return parse(nquads, 'N-Quads');
}

let shapes: Store | null = null;
function shapesStore(): Store {
  shapes ??= parse(SHAPE_FILES.map((f) => fs.readFileSync(f, 'utf8')).join('\n'), 'Turtle');
  return shapes;
}

export interface Violation {
  focus: string;
  path: string | null;
  component: string;
  message: string;
}

/** Validates a JSON-LD document against the committed shapes; every result is returned. */
export async function validateCpsvAp(doc: unknown): Promise<{ conforms: boolean; violations: Violation[]; quads: Store }> {
  const quads = await toQuads(doc);
  const report = await new SHACLValidator(shapesStore()).validate(quads);
  const violations = report.results.map((r) => ({
    focus: r.focusNode?.value ?? '',
    path: r.path?.value ?? null,
    component: r.sourceConstraintComponent?.value.replace('http://www.w3.org/ns/shacl#', 'sh:') ?? '',
    message: r.message.map((m) => m.value).join('; '),
  }));
  return { conforms: report.conforms, violations, quads };
}

export const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';

/** The subjects of a class, sorted. */
export function instances(store: Store, cls: string): string[] {
  return store.getSubjects(RDF_TYPE, cls, null).map((t) => t.value).sort();
}
