// checkRecord: canonical values and the per-record rules, value by value.
import { describe, expect, it } from 'vitest';
import { checkRecord } from '../../src/records/validate.js';

const TODAY = '2026-06-01';
const service = {
  code: 'SRV-001', agency_code: 'AG-01', name_uz: 'Pasport berish', name_ru: 'Выдача паспорта', audience: 'G2C', status: 'active',
  fee_uzs: '15000', processing_days: '10', channels: 'portal', legal_basis: 'Qaror 123', effective_from: '2024-01-01',
};
const check = (fields: Record<string, unknown>, line: number | null = 2) =>
  checkRecord('services', { line, fields: { ...service, ...fields } }, { today: TODAY });
const codes = (fields: Record<string, unknown>) => check(fields).issues.map((i) => [i.code, i.field]);
const value = (fields: Record<string, unknown>, name: string) => {
  const c = check(fields);
  expect(c.issues).toEqual([]);
  return c.values![name];
};

describe('decimals, exactly', () => {
  it.each([
    ['1500.00', '1500'], ['13811.50', '13811.5'], ['0.0', '0'], ['0', '0'], ['007.10', '7.1'], ['-0', '0'],
    ['999999999999.99', '999999999999.99'], [1500, '1500'], [13811.5, '13811.5'], [0.1, '0.1'], ['  42  ', '42'],
  ])('%j → %j', (given, canonical) => {
    expect(value({ fee_uzs: given }, 'fee_uzs')).toBe(canonical);
  });
  it('keeps digits a float would lose', () => {
    expect(value({ fee_uzs: '999999999999.99' }, 'fee_uzs')).toBe('999999999999.99');
    expect(value({ fee_uzs: null, fee_bhm_percent: '99999.999' }, 'fee_bhm_percent')).toBe('99999.999');
  });
  it.each([['1,5', 'type-error'], ['1e3', 'type-error'], ['.5', 'type-error'], ['abc', 'type-error'], [true, 'type-error'],
    ['-1', 'out-of-range'], ['1000000000000', 'out-of-range'], ['1.555', 'out-of-range'], [1e21, 'out-of-range']])('%j is %s', (given, code) => {
    expect(codes({ fee_uzs: given })).toEqual([[code, 'fee_uzs']]);
  });
  it('bounds fee_bhm_percent above 0 and at most 100000', () => {
    expect(codes({ fee_uzs: null, fee_bhm_percent: '100000' })).toEqual([]);
    expect(codes({ fee_uzs: null, fee_bhm_percent: '100000.001' })).toEqual([['out-of-range', 'fee_bhm_percent']]);
    expect(codes({ fee_uzs: null, fee_bhm_percent: '0.001' })).toEqual([]);
    expect(check({ fee_uzs: null, fee_bhm_percent: '0' }).issues[0]!.message).toBe('fee_bhm_percent must be more than 0 and at most 100000');
    expect(check({ fee_uzs: '1.555' }).issues[0]!.message).toBe('fee_uzs has 3 decimals; at most 2 are allowed');
    expect(check({ fee_uzs: '1,5' }).issues[0]!.message).toBe('fee_uzs must be a number like 1500 or 13811.5, not "1,5" (use . as the decimal separator)');
  });
});

describe('integers', () => {
  it.each([['5', 5], [5, 5], ['5.0', 5], [5.0, 5], ['0', 0], ['365', 365], ['007', 7]])('%j → %j', (given, n) => {
    expect(value({ processing_days: given }, 'processing_days')).toBe(n);
  });
  it.each([['5.5', 'type-error'], [5.5, 'type-error'], ['five', 'type-error'], ['-1', 'out-of-range'], ['366', 'out-of-range'],
    ['99999999999999999999', 'out-of-range']])('%j is %s', (given, code) => {
    expect(codes({ processing_days: given })).toEqual([[code, 'processing_days']]);
  });
});

describe('dates', () => {
  it('must be real calendar dates', () => {
    expect(codes({ effective_from: '2024-02-29' })).toEqual([]);
    expect(codes({ effective_from: '2023-02-29' })).toEqual([['type-error', 'effective_from']]);
    expect(codes({ effective_from: '2026-02-30' })).toEqual([['type-error', 'effective_from']]);
    expect(codes({ effective_from: '2026-13-01' })).toEqual([['type-error', 'effective_from']]);
    expect(codes({ effective_from: '01.02.2026' })).toEqual([['type-error', 'effective_from']]);
  });
  it('are in order, and not past while active', () => {
    expect(codes({ effective_from: '2026-01-01', effective_to: '2026-01-01' })).toEqual([['expired-but-active', 'effective_to']]);
    expect(codes({ effective_from: '2026-01-02', effective_to: '2026-01-01' })).toEqual([['date-order', 'effective_to'], ['expired-but-active', 'effective_to']]);
    expect(codes({ effective_to: TODAY })).toEqual([]);
  });
});

describe('sets and lists', () => {
  it('store a set once each, in the order of its values', () => {
    expect(value({ audience: 'G2G|G2C|G2G' }, 'audience')).toEqual(['G2C', 'G2G']);
    expect(value({ audience: ['G2B', ' G2C '] }, 'audience')).toEqual(['G2C', 'G2B']);
    expect(value({ channels: 'api| portal |' }, 'channels')).toEqual(['portal', 'api']);
  });
  it('take a set already in canonical form as it is (shared and frozen), and only that', () => {
    const a = value({ channels: 'portal|center|api' }, 'channels');
    expect(a).toEqual(['portal', 'center', 'api']);
    expect(value({ channels: 'portal|center|api' }, 'channels')).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(value({ channels: 'api|center|portal' }, 'channels')).toEqual(['portal', 'center', 'api']);
    expect(value({ channels: 'portal|portal' }, 'channels')).toEqual(['portal']);
    expect(value({ audience: 'G2C|G2B|G2G' }, 'audience')).toEqual(['G2C', 'G2B', 'G2G']);
  });
  it('keep a list in its order', () => {
    expect(value({ required_documents: 'Pasport| Ariza |Foto' }, 'required_documents')).toEqual(['Pasport', 'Ariza', 'Foto']);
    expect(value({ required_documents: ['B', 'A'] }, 'required_documents')).toEqual(['B', 'A']);
  });
  it('reject unknown items, and a set left empty is missing', () => {
    expect(codes({ channels: 'portal|fax' })).toEqual([['enum-mismatch', 'channels']]);
    expect(codes({ channels: [] })).toEqual([['missing-value', 'channels']]);
    expect(codes({ channels: [{ a: 1 }] })).toEqual([['type-error', 'channels']]);
  });
});

describe('text and patterns', () => {
  it('store a phone without spaces and dashes', () => {
    const c = checkRecord('agencies', {
      line: 2, fields: { code: 'AG-01', name_uz: 'X', name_ru: 'Х', kind: 'agency', region: 'UZ-TO', status: 'active', phone: '+998 71 207-00-00', tin: '012345678', website: 'https://gov.uz/a?b=1', email: 'a.b@gov.uz' },
    });
    expect(c.issues).toEqual([]);
    expect(c.values).toMatchObject({ phone: '+998712070000', tin: '012345678', website: 'https://gov.uz/a?b=1', parent_code: null });
  });
  it.each([['A'], ['1AB'], ['AB--C'], ['AB-'], ['ab'], ['A'.repeat(33)]])('code %j is a pattern-mismatch', (code) => {
    expect(codes({ code })).toEqual([['pattern-mismatch', 'code']]);
  });
  it('accepts codes of 2 and 32 characters', () => {
    expect(codes({ code: 'AB' })).toEqual([]);
    expect(codes({ code: 'A'.repeat(32) })).toEqual([]);
  });
  it('counts characters, not UTF-16 units', () => {
    expect(codes({ name_uz: '😀'.repeat(500) })).toEqual([]);
    expect(codes({ name_uz: '😀'.repeat(501) })).toEqual([['out-of-range', 'name_uz']]);
  });
  it('rejects an object where text belongs', () => {
    expect(codes({ name_uz: { uz: 'x' } })).toEqual([['type-error', 'name_uz']]);
  });
});

describe('the record as a whole', () => {
  it('trims values, takes empty for none, and gives null values when there is an error', () => {
    const ok = check({ name_en: '   ', sector: '  Adliya ' });
    expect(ok.values).toMatchObject({ name_en: null, sector: 'Adliya' });
    const bad = check({ name_uz: '' });
    expect(bad.values).toBeNull();
    expect(bad.key).toBe('SRV-001');
  });
  it('keeps the key of a record whose code is malformed, and its JSON record number', () => {
    const c = checkRecord('services', { line: 7, record: 3, fields: { ...service, code: ' bad code ' } }, { today: TODAY });
    expect(c.key).toBe('bad code');
    expect(c.record).toBe(3);
    expect(c.issues[0]).toMatchObject({ line: 7, record: 3, key: 'bad code', value: 'bad code' });
  });
  it('ignores updated_at, and names unknown JSON keys with the closest field', () => {
    expect(codes({ updated_at: 'whenever' })).toEqual([]);
    const c = check({ nmae_en: 'x' });
    expect(c.issues.map((i) => [i.code, i.field, i.message])).toEqual([
      ['header-unknown-column', 'nmae_en', 'nmae_en is not a field of services; the closest known name is name_en'],
    ]);
  });
  it('requires legal basis only of active services, with its own code', () => {
    expect(codes({ legal_basis: null, effective_from: null })).toEqual([['missing-legal-basis', 'legal_basis'], ['missing-legal-basis', 'effective_from']]);
    expect(codes({ status: 'draft', legal_basis: null, effective_from: null })).toEqual([]);
  });
  it('warns of a missing fee only for active services', () => {
    expect(codes({ fee_uzs: null })).toEqual([['missing-fee', 'fee_uzs']]);
    expect(codes({ fee_uzs: '0' })).toEqual([]);
    expect(codes({ fee_uzs: null, status: 'retired' })).toEqual([]);
  });
  it('flags formula-like free text but not pattern fields', () => {
    expect(codes({ sector: '-Soliq', output: '@x', legal_basis: '=1+1' })).toEqual([
      ['formula-like-value', 'sector'], ['formula-like-value', 'legal_basis'], ['formula-like-value', 'output'],
    ]);
  });
  it('reports both fees set as a fee-conflict', () => {
    const c = check({ fee_bhm_percent: '1' });
    expect(c.issues.map((i) => [i.code, i.field, i.message])).toEqual([
      ['fee-conflict', 'fee_bhm_percent', 'fee_uzs and fee_bhm_percent are both set; a service has only one of them'],
    ]);
  });
});

describe('timestamps name a real moment', () => {
  const app = {
    id: 'A-1', service_code: 'SRV-001', audience: 'G2C', channel: 'portal', region: 'UZ', status: 'received',
  };
  const at = (submitted_at: string) => checkRecord('applications', { line: 2, fields: { ...app, submitted_at } }, { today: TODAY });
  it.each(['2026-02-30T10:00:00.000Z', '2026-02-29T10:00:00Z', '2026-04-31T00:00:00Z', '2026-02-28T24:00:00Z', '2026-13-01T00:00:00Z'])(
    '%s is a type-error, not another day', (v) => {
      expect(at(v).issues.map((i) => [i.code, i.field])).toEqual([['type-error', 'submitted_at']]);
    });
  it.each([
    ['2024-02-29T10:00:00Z', '2024-02-29T10:00:00.000Z'],
    ['2026-02-28T23:59:59.999Z', '2026-02-28T23:59:59.999Z'],
    ['2026-03-01T04:30:00+05:00', '2026-02-28T23:30:00.000Z'],
  ])('%s → %s', (v, canonical) => {
    const c = at(v);
    expect(c.issues).toEqual([]);
    expect(c.values!.submitted_at).toBe(canonical);
  });
});
