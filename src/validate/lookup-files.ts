// The lookups of validate file that come from a file of their own: --agencies and
// --services, read with the same readers as the file being checked (io/read-records.ts)
// into the in-memory lookups of records/agency-lookup.ts and records/service-lookup.ts.
import { DataError } from '../errors.js';
import { openRecordSource, type ReadOptions } from '../io/read-records.js';
import { agencyLookupFromMap, type AgencyLookup } from '../records/agency-lookup.js';
import { AUDIENCES, CHANNELS, ENTITIES, RECORD_RULES } from '../records/fields.js';
import { normalize } from '../records/field-values.js';
import { serviceLookupFromMap, setBits, type ServiceInfo, type ServiceLookup } from '../records/service-lookup.js';

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

/**
 * Reads a services file (--services) with the same readers as any other file and keeps
 * code → audience and channels. Records with problems of their own still count as
 * existing services; an unusable header is an error, as with --agencies.
 */
export async function loadServiceLookup(opts: ReadOptions): Promise<ServiceLookup & { readonly size: number }> {
  const source = await openRecordSource({ ...opts, entity: 'services', utf8Bytes: false });
  const map = new Map<string, ServiceInfo>();
  for await (const rec of source) {
    const code = normalize(rec.fields[ENTITIES.services.key]);
    if (typeof code === 'string' && !map.has(code)) {
      map.set(code, { audience: setBits(AUDIENCES, rec.fields.audience), channels: setBits(CHANNELS, rec.fields.channels) });
    }
  }
  const fatal = source.issues.filter((i) => i.code.startsWith('header-'));
  if (fatal.length) {
    throw new DataError(`the services file ${source.sourceName} cannot be used to resolve references`, {
      details: fatal.map((i) => `line ${i.line}: ${i.message}`),
    });
  }
  return serviceLookupFromMap(map);
}
