import fs from 'node:fs';
import { toJsonText } from '../../src/records/db-row.js';
import type { RecordValues } from '../../src/records/fields.js';
import { LogWriter } from '../../src/registry/log/log-writer.js';

// A small registry log written by the real writer, and the NDJSON export of its snapshot as
// `export --format ndjson` writes it: what a third party receives.

export const AGENCY: RecordValues = { code: 'ADL', name_uz: 'Adliya vazirligi', name_ru: null, name_en: null, kind: 'ministry', parent_code: null, tin: '012345678', region: 'UZ', website: null, email: null, phone: null, status: 'active', updated_at: '2026-11-01T08:00:00.000Z' };

export function service(code: string, over: Partial<RecordValues> = {}): RecordValues {
  return {
    code, agency_code: 'ADL', name_uz: `Xizmat ${code}`, name_ru: null, name_en: null, description: null, audience: ['G2C'], sector: null,
    status: 'active', fee_uzs: '1500', fee_bhm_percent: null, processing_days: 5, channels: ['portal', 'center'], legal_basis: 'PQ-1',
    required_documents: null, output: null, effective_from: '2026-01-01', effective_to: null, updated_at: '2026-11-01T08:00:00.000Z', ...over,
  };
}

/** Writes: the agency, services A…E, a fee change of B, a delete of C. Returns the snapshot. */
export async function writeSampleLog(file: string): Promise<{ size: number; root: Buffer; services: RecordValues[] }> {
  const w = new LogWriter(fs.createWriteStream(file));
  const t1 = { actor: 'migration', timestamp: '2026-11-01T08:00:00.000Z' };
  await w.put('agencies', AGENCY, t1);
  const services = ['SVC-A', 'SVC-B', 'SVC-C', 'SVC-D', 'SVC-E'].map((c) => service(c));
  for (const s of services) await w.put('services', s, t1);
  const t2 = { actor: 'root@db1', timestamp: '2026-11-20T09:30:00.000Z' };
  const b2 = service('SVC-B', { fee_uzs: '2500.5', updated_at: t2.timestamp });
  await w.put('services', b2, t2);
  await w.delete('services', 'SVC-C', t2);
  await w.end();
  return { size: w.size, root: w.root(), services: [services[0]!, b2, services[3]!, services[4]!] };
}

export function ndjson(records: readonly RecordValues[]): string {
  return records.map((r) => `${toJsonText('services', r)}\n`).join('');
}
