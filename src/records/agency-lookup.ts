// Where references to agencies resolve when the agencies are not in the file being
// checked: another file (--agencies), a plain map (tests), and later the database.
import { DataError } from '../errors.js';
import { openRecordSource, type ReadOptions } from '../io/read-records.js';
import { ENTITIES, RECORD_RULES } from './fields.js';
import { normalize } from './field-values.js';

export type AgencyStatus = 'active' | 'abolished';

export interface AgencyLookup {
  /** undefined = unknown agency */
  status(code: string): AgencyStatus | undefined;
}

const INACTIVE = RECORD_RULES.agencies.inactiveStatus;

export function agencyLookupFromMap(map: ReadonlyMap<string, string>): AgencyLookup & { readonly size: number } {
  return {
    size: map.size,
    status(code) {
      const s = map.get(code);
      if (s === undefined) return undefined;
      return s === INACTIVE ? 'abolished' : 'active';
    },
  };
}

/** The first lookup that knows the agency answers: a file given on the command line wins over the database. */
export function combineLookups(...lookups: Array<AgencyLookup | undefined>): AgencyLookup {
  const present = lookups.filter((l): l is AgencyLookup => l !== undefined);
  return {
    status(code) {
      for (const l of present) {
        const s = l.status(code);
        if (s !== undefined) return s;
      }
      return undefined;
    },
  };
}

/**
 * Reads an agencies file with the same readers as any other file and keeps only code →
 * status. Records with problems of their own still count as existing agencies (their
 * problems are for the validation of that file); a file whose header is unusable is an
 * error, as every reference would otherwise look unknown.
 */
export async function loadAgencyLookup(opts: ReadOptions): Promise<AgencyLookup & { readonly size: number }> {
  const source = await openRecordSource({ ...opts, entity: 'agencies' });
  const map = new Map<string, string>();
  const statusField = RECORD_RULES.agencies.statusField;
  for await (const rec of source) {
    const code = normalize(rec.fields[ENTITIES.agencies.key]);
    const status = normalize(rec.fields[statusField]);
    if (typeof code === 'string' && !map.has(code)) map.set(code, typeof status === 'string' ? status : '');
  }
  const fatal = source.issues.filter((i) => i.code.startsWith('header-'));
  if (fatal.length) {
    throw new DataError(`the agencies file ${source.sourceName} cannot be used to resolve references`, {
      details: fatal.map((i) => `line ${i.line}: ${i.message}`),
    });
  }
  return agencyLookupFromMap(map);
}
