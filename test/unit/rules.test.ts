// One fixture file per rule code of SPEC §3 (key-exists and unused-agency need a database
// and live elsewhere): each must give exactly the issues listed, with code, severity,
// line, field and key — nothing more, so a rule that fires too often fails too.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EntityName } from '../../src/records/fields.js';
import { RULES, type RuleCode } from '../../src/records/issues.js';
import { validateFile } from '../../src/validate/validate-file.js';
import { cases, type Case } from '../fixtures/rules/cases.js';

const dir = fileURLToPath(new URL('../fixtures/rules/', import.meta.url));
const TODAY = '2026-06-01';

async function run(c: Case) {
  return validateFile({
    entity: c.entity,
    path: dir + c.file,
    agenciesFile: c.entity === 'services' ? { entity: 'agencies', path: dir + 'agencies.csv' } : undefined,
    servicesFile: c.entity === 'applications' ? { entity: 'services', path: dir + 'applications-services.csv' } : undefined,
    today: TODAY,
  });
}

describe('a fixture per rule code', () => {
  it.each(cases)('$file', async (c) => {
    const report = await run(c);
    expect(report.issues.map((i) => [i.code, i.line, i.field, i.key])).toEqual(c.issues);
    for (const i of report.issues) {
      expect(i.severity).toBe(RULES[i.code]);
      expect(i.message.length).toBeGreaterThan(10);
    }
    expect(report.records).toBe(c.records);
    const errors = c.issues.filter(([code]) => RULES[code] === 'error').length;
    expect(report.errors).toBe(errors);
    expect(report.warnings).toBe(c.issues.length - errors);
    expect(report.valid).toBe(errors === 0);
  });

  it('covers every file rule of SPEC §3', () => {
    const covered = new Set(cases.flatMap((c) => c.issues.map(([code]) => code)));
    const databaseOnly: RuleCode[] = ['key-exists', 'unused-agency'];
    expect(Object.keys(RULES).filter((c) => !covered.has(c as RuleCode) && !databaseOnly.includes(c as RuleCode))).toEqual([]);
  });
});

describe('messages a clerk understands', () => {
  const one = async (file: string, entity: EntityName = 'services') => (await run({ file, entity, records: 0, issues: [] })).issues;

  it('names the missing agency', async () => {
    const [i] = await one('unknown-reference.csv');
    expect(i).toEqual({
      severity: 'error', code: 'unknown-reference', line: 2, key: 'SRV-001', field: 'agency_code', value: 'AG-99',
      message: 'agency AG-99 does not exist',
    });
  });

  it('lists the allowed values of an enum', async () => {
    const [status, audience] = await one('enum-mismatch.csv');
    expect(status!.message).toBe('status must be one of: draft, active, suspended, retired');
    expect(status!.value).toBe('Active');
    expect(audience!.message).toBe('audience has G2X, but each value must be one of: G2C, G2B, G2G');
    expect(audience!.value).toBe('G2C|G2X');
  });

  it('says which known column is closest to an unknown one', async () => {
    const [unknown] = await one('header-unknown-column.csv');
    expect(unknown!.message).toBe('column nmae_uz is not a field of services; the closest known name is name_uz');
  });

  it('reports every line of a duplicate', async () => {
    const issues = await one('duplicate-key.csv');
    expect(issues.map((i) => i.message)).toEqual(['code SRV-001 appears 2 times: lines 2, 4', 'code SRV-001 appears 2 times: lines 2, 4']);
  });

  it('draws the loop of a hierarchy cycle', async () => {
    const issues = await one('hierarchy-cycle.csv', 'agencies');
    expect(issues[0]!.message).toBe('the chain of parents loops: AG-A → AG-B → AG-C → AG-A');
    expect(issues[3]!.message).toBe('the chain of parents loops: AG-E → AG-E');
  });

  it('gives the physical line of a bad byte inside a multi-line record', async () => {
    const [i] = await one('encoding-error.csv');
    expect(i!.value).toBe('0xFF');
    expect(i!.message).toBe('line 4 has a byte (0xFF) not valid in UTF-8; if the file was saved as Windows Cyrillic, use --encoding cp1251');
  });

  it('explains malformed CSV', async () => {
    const issues = await one('malformed-record.csv');
    expect(issues.map((i) => i.message)).toEqual([
      'the record has 3 values but the header has 18 columns',
      'unexpected text after the closing quote of value 5',
    ]);
  });
});
