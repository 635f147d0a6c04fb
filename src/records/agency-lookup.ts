// Where references to agencies resolve when the agencies are not in the file being
// checked: another file (--agencies), a plain map (tests), and later the database. The
// file is read in validate/lookup-files.ts: records/ does not import the readers of io/.
import { RECORD_RULES } from './fields.js';

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
