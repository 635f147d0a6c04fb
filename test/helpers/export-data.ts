import type { Knex } from 'knex';
import { toRow } from '../../src/records/db-row.js';
import type { EntityName, RecordValues } from '../../src/records/fields.js';

// Records for the export tests: every type, and the text that trips exporters up —
// quotes, commas, line breaks, backslashes, control characters, Cyrillic, emoji, U+2028,
// formula-like starts, list items holding "|" or "," — in both databases alike.

export const AGENCIES: RecordValues[] = [
  { code: 'MINJUST', name_uz: 'Adliya vazirligi', name_ru: 'Министерство юстиции', name_en: 'Ministry of Justice', kind: 'ministry', parent_code: null, tin: '012345678', region: 'UZ', website: 'https://minjust.uz', email: 'info@minjust.uz', phone: '+998712000000', status: 'active' },
  { code: 'ADLIYA-TK', name_uz: '=Toshkent adliya boshqarmasi', name_ru: null, name_en: null, kind: 'agency', parent_code: 'MINJUST', tin: null, region: 'UZ-TK', website: null, email: null, phone: null, status: 'active' },
  { code: 'OLD-COMM', name_uz: 'Eski qoʻmita, "tugatilgan"', name_ru: 'Старый комитет', name_en: 'Old committee', kind: 'committee', parent_code: null, tin: '987654321', region: 'UZ-SA', website: null, email: null, phone: null, status: 'abolished' },
];

const base = { name_ru: null, name_en: null, description: null, sector: null, fee_uzs: null, fee_bhm_percent: null, legal_basis: null, required_documents: null, output: null, effective_from: null, effective_to: null };

export const SERVICES: RecordValues[] = [
  { ...base, code: 'SRV-001', agency_code: 'MINJUST', name_uz: 'Notarial harakat', name_ru: 'Нотариальное действие, «срочно»', name_en: 'Notarial act', description: 'Line one\nLine "two"\r\nback\\slash\ttab \u2028 end 🙂', audience: ['G2C', 'G2B'], sector: 'Adliya', status: 'active', fee_uzs: '187500', processing_days: 1, channels: ['portal', 'center'], legal_basis: 'VM qarori 123-son', required_documents: ['Pasport', 'Ariza, 2 nusxa', 'quote " and \\ back'], output: 'Guvohnoma', effective_from: '2024-01-01', effective_to: null },
  { ...base, code: 'SRV-002', agency_code: 'ADLIYA-TK', name_uz: '+Formula kabi', name_ru: '-минус', name_en: '@at', description: '=cmd|\' /C calc\'!A0', audience: ['G2B'], sector: '-sector', status: 'draft', fee_bhm_percent: '0.5', processing_days: 0, channels: ['api'], legal_basis: '=HYPERLINK("x")', required_documents: ['=SUM(A1)', 'b|c'], output: '+output' },
  { ...base, code: 'SRV-003', agency_code: 'MINJUST', name_uz: 'Bepul xizmat', audience: ['G2C', 'G2B', 'G2G'], status: 'suspended', fee_uzs: '0', processing_days: 365, channels: ['portal', 'mobile', 'center', 'office', 'api'], required_documents: ['Один'] },
  { ...base, code: 'SRV-004', agency_code: 'OLD-COMM', name_uz: 'Control \u0001 char', audience: ['G2G'], status: 'retired', fee_uzs: '13811.5', processing_days: 30, channels: ['office'], effective_from: '2020-02-29', effective_to: '2021-12-31' },
  { ...base, code: 'SRV-005', agency_code: 'ADLIYA-TK', name_uz: 'Katta toʻlov', audience: ['G2C'], status: 'active', fee_uzs: '999999999999.99', processing_days: 10, channels: ['mobile'], legal_basis: 'Qonun', effective_from: '2025-06-01' },
  { ...base, code: 'SRV-006', agency_code: 'MINJUST', name_uz: 'Foiz', audience: ['G2B', 'G2G'], status: 'active', fee_bhm_percent: '100000', processing_days: 5, channels: ['portal'], legal_basis: 'Qonun', effective_from: '2025-06-01', required_documents: ['x'] },
];

/** updated_at of the i-th record: fixed, so both databases hold the same instants. */
export function stamp(i: number): string {
  return new Date(Date.UTC(2026, 0, 31, 8, 0, 0, 0) + i * 61_001).toISOString();
}

export async function seed(knex: Knex, agencies = AGENCIES, services = SERVICES): Promise<void> {
  // parents first, so the foreign key is satisfied on both dialects without deferring
  const ordered = [...agencies].sort((a, b) => (a.parent_code ? 1 : 0) - (b.parent_code ? 1 : 0));
  for (const a of ordered) await knex('agencies').insert({ ...toRow('agencies', a), updated_at: stamp(agencies.indexOf(a)) });
  for (const [i, s] of services.entries()) await knex('services').insert({ ...toRow('services', s), updated_at: stamp(i) });
}

export function recordsOf(entity: EntityName): RecordValues[] {
  return entity === 'agencies' ? AGENCIES : SERVICES;
}
