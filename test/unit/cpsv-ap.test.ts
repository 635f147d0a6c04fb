import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { baseIriProblem } from '../../src/config/base-iri.js';
import { loadConfigFile } from '../../src/config/resolve.js';
import { CpsvApStream } from '../../src/export/cpsv-ap-stream.js';
import { toJsonText } from '../../src/records/db-row.js';
import type { RecordValues } from '../../src/records/fields.js';
import { UsageError } from '../../src/errors.js';
import { fetchesRefused, toQuads } from '../helpers/cpsv-ap.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function configFile(content: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'egovctl-cpsv-cfg-'));
  dirs.push(dir);
  const f = path.join(dir, 'egovctl.config.json');
  fs.writeFileSync(f, JSON.stringify(content));
  return f;
}

describe('the config file\'s baseIri', () => {
  test('a known key: read when valid, absent when not given', () => {
    expect(loadConfigFile(configFile({ baseIri: 'https://data.gov.uz/registry/' }), 'test').baseIri).toBe('https://data.gov.uz/registry/');
    expect(loadConfigFile(configFile({}), 'test').baseIri).toBeUndefined();
  });

  test('a bad value is a usage error that lists it with the other problems', () => {
    let err: unknown;
    try {
      loadConfigFile(configFile({ baseIri: 'https://data.gov.uz/registry', bogus: 1 }), 'test');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    const details = (err as UsageError & { details?: string[] }).details ?? [];
    expect((err as Error).message).toMatch(/has 2 problems/);
    expect(details.join('\n')).toMatch(/"baseIri" must end with "\/".*"https:\/\/data\.gov\.uz\/registry\/"/);
    expect(details.join('\n')).toMatch(/unknown key "bogus"/);
  });

  test.each([
    [42, /must be a string/],
    ['ftp://x.uz/', /http:\/\/ or https:\/\//],
    ['registry/', /http:\/\/ or https:\/\//],
    ['https://x.uz/a b/', /may not hold/],
    ['https://x.uz/<a>/', /may not hold/],
    ['https://x.uz/?q=1/', /query/],
    ['https://x.uz/#/', /fragment/],
    ['https:///', /not a valid IRI|no host/],
  ])('%s is refused', (value, message) => {
    expect(baseIriProblem(value)).toMatch(message);
  });

  test.each(['https://registry.invalid/', 'http://localhost:8080/reg/', 'https://data.gov.uz/registry/v1/'])('%s is accepted', (value) => {
    expect(baseIriProblem(value)).toBeNull();
  });
});

describe('the CPSV-AP stream', () => {
  const agencies = new Map<string, RecordValues>([['AG', { code: 'AG', name_uz: 'Idora', name_ru: null, name_en: null, kind: 'agency', parent_code: null, tin: null, region: 'UZ-TK', website: null, email: null, phone: null, status: 'active', updated_at: null }]]);
  const service = (code: string, name: string): RecordValues => ({
    code, agency_code: 'AG', name_uz: name, name_ru: 'Имя', name_en: null, description: null, audience: ['G2C'], sector: null, status: 'active',
    fee_uzs: '1500.25', fee_bhm_percent: null, processing_days: 2, channels: ['portal'], legal_basis: null, required_documents: null, output: null,
    effective_from: null, effective_to: null, updated_at: null,
  });

  async function run(chunks: Buffer[]): Promise<string> {
    const s = new CpsvApStream({ baseIri: 'https://registry.invalid/', agencies });
    const out: Buffer[] = [];
    const done = new Promise<void>((resolve, reject) => s.on('end', resolve).on('error', reject));
    s.on('data', (d: Buffer) => out.push(d));
    for (const c of chunks) s.write(c);
    s.end();
    await done;
    return Buffer.concat(out).toString('utf8');
  }

  test('lines split anywhere (inside a record, inside a UTF-8 character) give the same document', async () => {
    const input = Buffer.from([service('A-1', 'Oʻzbekcha ✓ nom'), service('A-2', 'Ikkinchi')].map((r) => `${toJsonText('services', r)}\n`).join(''));
    const whole = await run([input]);
    for (const at of [1, 7, input.indexOf('ʻ') + 1, input.indexOf('\n'), input.indexOf('\n') + 1, input.length - 1]) {
      expect(await run([input.subarray(0, at), input.subarray(at)]), `split at ${at}`).toBe(whole);
    }
    // one byte at a time, too
    expect(await run([...input].map((b) => Buffer.from([b])))).toBe(whole);
    const doc = JSON.parse(whole);
    const graph = doc['@graph'] as Array<Record<string, unknown>>;
    expect(graph.filter((n) => n['@type'] === 'cpsv:PublicService').map((n) => n['dct:identifier'])).toEqual(['A-1', 'A-2']);
    expect(graph.filter((n) => n['@id'] === 'https://registry.invalid/agency/AG')).toHaveLength(1);
  });

  test('no records: still one document, without services or organisations', async () => {
    const doc = JSON.parse(await run([]));
    expect(doc['@context']).toBeTypeOf('object');
    const types = (doc['@graph'] as Array<Record<string, unknown>>).map((n) => JSON.stringify(n['@type']));
    expect(types).not.toContain('"cpsv:PublicService"');
    expect(types.some((t) => t.includes('cv:PublicOrganisation'))).toBe(false);
    expect(types).toContain('"cv:Channel"');
  });

  test('a malformed line is an error of the stream, not a wrong document', async () => {
    await expect(run([Buffer.from('{"code":\n')])).rejects.toThrow(SyntaxError);
  });

  test('a record without its last line feed is still written', async () => {
    const line = toJsonText('services', service('B-1', 'x'));
    expect(await run([Buffer.from(line)])).toBe(await run([Buffer.from(`${line}\n`)]));
  });
});


test('the tests\' JSON-LD reader refuses the network: a remote @context is an error, not a fetch', async () => {
  const remote = 'https://semiceu.github.io/CPSV-AP/releases/3.2.0/context/cpsv-ap.jsonld';
  // jsonld reports the loader's refusal as a failed dereference
  await expect(toQuads({ '@context': remote, '@id': 'urn:x', name: 'y' })).rejects.toThrow(/Dereferencing a URL/);
  expect(fetchesRefused).toContain(remote);
});
