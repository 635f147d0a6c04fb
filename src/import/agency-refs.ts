import type { Knex } from 'knex';
import { ENTITIES, references, type RecordValues } from '../records/fields.js';
import { issue, type Issue } from '../records/issues.js';
import { selectRows } from './stage.js';

// An import of services checks each service's agency in memory as it reads, against the
// stored agencies — a few thousand codes — instead of in SQL over the staged records
// afterwards (0.35 s at a million services). Services name agencies only in the database,
// never in their own file, so this is the whole check.

/** Code → status of every stored agency. */
export async function storedAgencies(trx: Knex.Transaction): Promise<Map<string, string>> {
  const rows = await selectRows<{ code: string; status: string }>(trx, `select ${AGENCY.key} as code, ${AGENCY.rules.statusField} as status from ${AGENCY.table}`);
  return new Map(rows.map((a) => [a.code, a.status]));
}

// What the check reads of the definitions: the services' reference to agencies, the
// agencies' inactive status and the status under which a service may not name one.
const SERVICES = ENTITIES.services;
const REF = references(SERVICES.name).find((r) => r.entity === 'agencies')!;
const AGENCY = ENTITIES[REF.entity];
const INACTIVE = AGENCY.rules.inactiveStatus;
const ACTIVE = SERVICES.rules.activeStatus;
const STATUS = SERVICES.rules.statusField;

/** unknown-reference (error) or inactive-authority (warning) of one service, or null. */
export function checkAgency(agencies: ReadonlyMap<string, string>, rec: { line: number; record?: number }, values: RecordValues): Issue | null {
  const code = values[REF.field] as string;
  const status = agencies.get(code);
  if (status === undefined) return issue('unknown-reference', at(rec, values), REF.field, code, `${AGENCY.noun} ${code} does not exist`);
  if (status === INACTIVE && values[STATUS] === ACTIVE) {
    return issue('inactive-authority', at(rec, values), REF.field, code, `${AGENCY.noun} ${code} is ${INACTIVE}, but this ${ACTIVE} ${SERVICES.noun} names it`);
  }
  return null;
}

function at(rec: { line: number; record?: number }, values: RecordValues) {
  return { line: rec.line, record: rec.record, key: values[SERVICES.key] as string };
}
