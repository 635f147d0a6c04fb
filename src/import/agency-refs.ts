import type { RecordValues } from '../records/fields.js';
import { issue, type Issue } from '../records/issues.js';

// The direct load (an empty services table on PostgreSQL) checks each service's agency in
// memory as it reads, against the stored agencies — a few thousand codes — instead of in
// SQL after staging. The messages are those of the set-based checks (checks.ts).

/** The reference checks of the direct load, with the messages of the staged ones. */
export function checkAgency(agencies: ReadonlyMap<string, string>, rec: { line: number; record?: number }, values: RecordValues): Issue | null {
  const code = values.agency_code as string;
  const at = { line: rec.line, record: rec.record, key: values.code as string };
  const status = agencies.get(code);
  if (status === undefined) return issue('unknown-reference', at, 'agency_code', code, `agency ${code} does not exist`);
  if (status === 'abolished' && values.status === 'active') {
    return issue('inactive-authority', at, 'agency_code', code, `agency ${code} is abolished, but this active service names it`);
  }
  return null;
}
