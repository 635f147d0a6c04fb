import type { Knex } from 'knex';
import type { RecordValues } from '../records/fields.js';
import { issue, type Issue } from '../records/issues.js';
import { selectRows } from './stage.js';

// An import of services checks each service's agency in memory as it reads, against the
// stored agencies — a few thousand codes — instead of in SQL over the staged records
// afterwards (0.35 s at a million services). Services name agencies only in the database,
// never in their own file, so this is the whole check.

/** Code → status of every stored agency. */
export async function storedAgencies(trx: Knex.Transaction): Promise<Map<string, string>> {
  const rows = await selectRows<{ code: string; status: string }>(trx, 'select code, status from agencies');
  return new Map(rows.map((a) => [a.code, a.status]));
}

/** unknown-reference (error) or inactive-authority (warning) of one service, or null. */
export function checkAgency(agencies: ReadonlyMap<string, string>, rec: { line: number; record?: number }, values: RecordValues): Issue | null {
  const code = values.agency_code as string;
  const status = agencies.get(code);
  if (status === undefined) return issue('unknown-reference', at(rec, values), 'agency_code', code, `agency ${code} does not exist`);
  if (status === 'abolished' && values.status === 'active') {
    return issue('inactive-authority', at(rec, values), 'agency_code', code, `agency ${code} is abolished, but this active service names it`);
  }
  return null;
}

function at(rec: { line: number; record?: number }, values: RecordValues) {
  return { line: rec.line, record: rec.record, key: values.code as string };
}
