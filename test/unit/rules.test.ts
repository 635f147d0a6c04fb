// One fixture file per rule code of SPEC §3 (key-exists and unused-agency need a database
// and live elsewhere): each must give exactly the issues listed, with code, severity,
// line, field and key — nothing more, so a rule that fires too often fails too.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EntityName } from '../../src/records/fields.js';
import { RULES, type RuleCode } from '../../src/records/issues.js';
import { validateFile } from '../../src/records/validate-file.js';

const dir = fileURLToPath(new URL('../fixtures/rules/', import.meta.url));
const TODAY = '2026-06-01';

type Expected = [code: RuleCode, line: number, field: string | null, key: string | null];

interface Case {
  file: string;
  entity: EntityName;
  records: number;
  issues: Expected[];
}

const cases: Case[] = [
  { file: 'header-missing-column.csv', entity: 'services', records: 0, issues: [['header-missing-column', 1, 'agency_code', null]] },
  {
    file: 'header-unknown-column.csv', entity: 'services', records: 0,
    issues: [['header-unknown-column', 1, 'nmae_uz', null], ['header-missing-column', 1, 'name_uz', null]],
  },
  { file: 'header-duplicate-column.csv', entity: 'services', records: 0, issues: [['header-duplicate-column', 1, 'sector', null]] },
  {
    file: 'malformed-record.csv', entity: 'services', records: 5,
    issues: [['malformed-record', 3, null, 'SRV-002'], ['malformed-record', 6, null, null]],
  },
  { file: 'encoding-error.csv', entity: 'services', records: 3, issues: [['encoding-error', 3, null, 'SRV-002']] },
  { file: 'missing-value.csv', entity: 'services', records: 1, issues: [['missing-value', 2, 'name_uz', 'SRV-001']] },
  {
    file: 'type-error.csv', entity: 'services', records: 3,
    issues: [['type-error', 2, 'processing_days', 'SRV-001'], ['type-error', 3, 'effective_from', 'SRV-002'], ['type-error', 4, 'fee_uzs', 'SRV-003']],
  },
  { file: 'pattern-mismatch.csv', entity: 'services', records: 1, issues: [['pattern-mismatch', 2, 'code', 'srv-1']] },
  {
    file: 'pattern-mismatch-agencies.csv', entity: 'agencies', records: 4,
    issues: [['pattern-mismatch', 2, 'tin', 'AG-01'], ['pattern-mismatch', 3, 'website', 'AG-02'], ['pattern-mismatch', 4, 'email', 'AG-03'], ['pattern-mismatch', 5, 'phone', 'AG-04']],
  },
  {
    file: 'enum-mismatch.csv', entity: 'services', records: 2,
    issues: [['enum-mismatch', 2, 'status', 'SRV-001'], ['enum-mismatch', 3, 'audience', 'SRV-002']],
  },
  {
    file: 'out-of-range.csv', entity: 'services', records: 6,
    issues: [
      ['out-of-range', 2, 'processing_days', 'SRV-001'], ['out-of-range', 3, 'fee_uzs', 'SRV-002'],
      ['out-of-range', 4, 'fee_bhm_percent', 'SRV-003'], ['out-of-range', 5, 'name_uz', 'SRV-004'],
      ['out-of-range', 6, 'required_documents', 'SRV-005'], ['out-of-range', 7, 'fee_uzs', 'SRV-006'],
    ],
  },
  { file: 'date-order.csv', entity: 'services', records: 1, issues: [['date-order', 2, 'effective_to', 'SRV-001']] },
  { file: 'fee-conflict.csv', entity: 'services', records: 1, issues: [['fee-conflict', 2, 'fee_bhm_percent', 'SRV-001']] },
  {
    file: 'duplicate-key.csv', entity: 'services', records: 4,
    issues: [['duplicate-key', 2, 'code', 'SRV-001'], ['duplicate-key', 4, 'code', 'SRV-001']],
  },
  {
    file: 'duplicate-key-agencies.csv', entity: 'agencies', records: 3,
    issues: [['duplicate-key', 2, 'tin', 'AG-01'], ['duplicate-key', 3, 'tin', 'AG-02']],
  },
  { file: 'unknown-reference.csv', entity: 'services', records: 2, issues: [['unknown-reference', 2, 'agency_code', 'SRV-001']] },
  { file: 'unknown-reference-agencies.csv', entity: 'agencies', records: 1, issues: [['unknown-reference', 2, 'parent_code', 'AG-01']] },
  {
    file: 'hierarchy-cycle.csv', entity: 'agencies', records: 5,
    issues: [
      ['hierarchy-cycle', 2, 'parent_code', 'AG-A'], ['hierarchy-cycle', 4, 'parent_code', 'AG-B'],
      ['hierarchy-cycle', 5, 'parent_code', 'AG-C'], ['hierarchy-cycle', 6, 'parent_code', 'AG-E'],
    ],
  },
  {
    file: 'missing-legal-basis.csv', entity: 'services', records: 3,
    issues: [['missing-legal-basis', 2, 'legal_basis', 'SRV-001'], ['missing-legal-basis', 3, 'effective_from', 'SRV-002']],
  },
  { file: 'missing-translation.csv', entity: 'services', records: 1, issues: [['missing-translation', 2, 'name_ru', 'SRV-001']] },
  { file: 'missing-fee.csv', entity: 'services', records: 2, issues: [['missing-fee', 2, 'fee_uzs', 'SRV-001']] },
  { file: 'expired-but-active.csv', entity: 'services', records: 3, issues: [['expired-but-active', 2, 'effective_to', 'SRV-001']] },
  { file: 'inactive-authority.csv', entity: 'services', records: 2, issues: [['inactive-authority', 2, 'agency_code', 'SRV-001']] },
  {
    file: 'formula-like-value.csv', entity: 'services', records: 4,
    issues: [
      ['formula-like-value', 2, 'description', 'SRV-001'], ['formula-like-value', 3, 'name_en', 'SRV-002'],
      ['formula-like-value', 4, 'required_documents', 'SRV-003'], ['formula-like-value', 5, 'name_en', 'SRV-004'],
    ],
  },
];

async function run(c: Case) {
  return validateFile({
    entity: c.entity,
    path: dir + c.file,
    agenciesFile: c.entity === 'services' ? { entity: 'agencies', path: dir + 'agencies.csv' } : undefined,
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
