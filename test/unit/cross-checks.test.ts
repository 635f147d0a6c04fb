// CrossChecker on its own: what resolves where, and what is reported for each line.
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { DataError } from '../../src/errors.js';
import { agencyLookupFromMap, combineLookups } from '../../src/records/agency-lookup.js';
import { CrossChecker } from '../../src/records/cross-checks.js';
import { loadAgencyLookup } from '../../src/validate/lookup-files.js';
import type { EntityName } from '../../src/records/fields.js';
import { checkRecord } from '../../src/records/validate.js';

const dir = fileURLToPath(new URL('../fixtures/rules/', import.meta.url));

function checker(entity: EntityName, rows: Array<Record<string, unknown>>): CrossChecker {
  const c = new CrossChecker(entity);
  rows.forEach((fields, i) => c.add(checkRecord(entity, { line: i + 2, fields }), fields));
  return c;
}

const svc = (code: string, agency: string, status = 'active') => ({ code, agency_code: agency, status });
const agency = (code: string, parent: string | null = null, tin: string | null = null) => ({ code, parent_code: parent, tin, status: 'active' });

describe('CrossChecker', () => {
  it('does not check references to agencies it has nothing to check against', () => {
    expect(checker('services', [svc('S1', 'AG-X')]).finish()).toEqual([]);
  });

  it('resolves against a lookup, once per agency, with inactive-authority for abolished ones', () => {
    const asked: string[] = [];
    const map = agencyLookupFromMap(new Map([['AG-1', 'active'], ['AG-2', 'abolished']]));
    const lookup = { status: (code: string) => (asked.push(code), map.status(code)) };
    const c = checker('services', [svc('S1', 'AG-1'), svc('S2', 'AG-2'), svc('S3', 'AG-9'), svc('S4', 'AG-2', 'draft'), svc('S5', 'AG-9')]);
    const issues = c.finish(lookup);
    expect(issues.map((i) => [i.code, i.line, i.key, i.value])).toEqual([
      ['inactive-authority', 3, 'S2', 'AG-2'], ['unknown-reference', 4, 'S3', 'AG-9'], ['unknown-reference', 6, 'S5', 'AG-9'],
    ]);
    expect(asked.sort()).toEqual(['AG-1', 'AG-2', 'AG-9']);
  });

  it('does not repeat a malformed reference as unknown', () => {
    const c = checker('services', [svc('S1', 'not a code')]);
    expect(c.finish(agencyLookupFromMap(new Map()))).toEqual([]);
  });

  it('lets an agency name a parent that comes later, or one the lookup knows', () => {
    const c = checker('agencies', [agency('A', 'B'), agency('B', 'ROOT'), agency('C', 'GONE')]);
    expect(c.finish(agencyLookupFromMap(new Map([['ROOT', 'active']]))).map((i) => [i.code, i.key, i.value])).toEqual([
      ['unknown-reference', 'C', 'GONE'],
    ]);
  });

  it('finds duplicate codes and tax numbers on every line', () => {
    const c = checker('agencies', [agency('A', null, '111111111'), agency('B', null, '111111111'), agency('A'), agency('A')]);
    expect(c.finish().map((i) => [i.field, i.line, i.value])).toEqual([
      ['code', 2, 'A'], ['code', 4, 'A'], ['code', 5, 'A'], ['tin', 2, '111111111'], ['tin', 3, '111111111'],
    ]);
    expect([...c.codes()]).toEqual(['A', 'B']);
    expect(c.size).toBe(4);
  });

  it('can hand its issues over one by one', () => {
    const rows = [agency('AA', 'BB'), agency('BB', 'AA'), agency('AA', null, '111111111')];
    const got: unknown[] = [];
    checker('agencies', rows).finishInto((i) => got.push(i));
    expect(got).toEqual(checker('agencies', rows).finish());
    expect(got).toHaveLength(4);
  });

  it('handles 200,000 records and finds a late duplicate', () => {
    const c = new CrossChecker('services');
    for (let i = 0; i < 200_000; i++) {
      const fields = svc(`S-${i}`, `AG-${i % 50}`);
      c.add(checkRecord('services', { line: i + 2, fields }), fields);
    }
    const dup = svc('S-7', 'AG-1');
    c.add(checkRecord('services', { line: 999_999, fields: dup }), dup);
    expect(c.finish(agencyLookupFromMap(new Map(Array.from({ length: 50 }, (_, i) => [`AG-${i}`, 'active'])))).map((i) => i.line)).toEqual([9, 999_999]);
  });
});

describe('agency lookups', () => {
  it('from an agencies file', async () => {
    const lookup = await loadAgencyLookup({ entity: 'agencies', path: dir + 'agencies.csv' });
    expect([lookup.status('AG-01'), lookup.status('AG-02'), lookup.status('AG-03'), lookup.size]).toEqual(['active', 'abolished', undefined, 2]);
  });
  it('refuses an agencies file with a bad header', async () => {
    await expect(loadAgencyLookup({ entity: 'agencies', path: dir + 'missing-value.csv' })).rejects.toThrow(DataError);
  });
  it('combined: the first that knows answers', () => {
    const l = combineLookups(agencyLookupFromMap(new Map([['A', 'abolished']])), undefined, agencyLookupFromMap(new Map([['A', 'active'], ['B', 'active']])));
    expect([l.status('A'), l.status('B'), l.status('C')]).toEqual(['abolished', 'active', undefined]);
  });
});
