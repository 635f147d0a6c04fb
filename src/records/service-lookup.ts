// Where an application's service resolves (SPEC §1, §3): a services file (--services), the
// database, or a map (tests). What the checks need of a service is small — that it exists,
// its audience and its channels as bits — so up to a million services fit in a few tens
// of MB, and the applications themselves (millions) are never held. A services file is
// read in validate/lookup-files.ts: records/ does not import the readers of io/.
import { AUDIENCES, CHANNELS, ITEM_SEPARATOR } from './fields.js';
import { issue, type Issue } from './issues.js';

export interface ServiceInfo {
  /** bit k: AUDIENCES[k] */
  audience: number;
  /** bit k: CHANNELS[k] */
  channels: number;
}

export interface ServiceLookup {
  /** undefined = unknown service */
  service(code: string): ServiceInfo | undefined;
}

/** Bits of a set's values (a stored "G2C|G2B", a CSV cell, a JSON array, or canonical items). */
export function setBits(allowed: readonly string[], v: unknown): number {
  const items = Array.isArray(v) ? v : typeof v === 'string' ? v.split(ITEM_SEPARATOR) : [];
  let bits = 0;
  for (const x of items) {
    const k = allowed.indexOf(typeof x === 'string' ? x.trim() : String(x));
    if (k >= 0) bits |= 1 << k;
  }
  return bits;
}

/** The bit of one enum value, 0 when it is none of them. */
export function valueBit(allowed: readonly string[], v: unknown): number {
  const k = typeof v === 'string' ? allowed.indexOf(v) : -1;
  return k < 0 ? 0 : 1 << k;
}

const names = (allowed: readonly string[], bits: number) => allowed.filter((_, k) => bits & (1 << k)).join(', ');

/**
 * audience-mismatch and channel-mismatch (warnings) of one application against its
 * service; `audienceBit` / `channelBit` 0 skips the check (the value has an error of its own).
 */
export function mismatches(
  at: { line: number | null; record?: number; key: string | null }, serviceCode: string, info: ServiceInfo, audienceBit: number, channelBit: number,
): Issue[] {
  const out: Issue[] = [];
  if (audienceBit && !(info.audience & audienceBit)) {
    const a = AUDIENCES[31 - Math.clz32(audienceBit)]!;
    out.push(issue('audience-mismatch', at, 'audience', a, `audience ${a} is not in the audience of service ${serviceCode} (${names(AUDIENCES, info.audience)})`));
  }
  if (channelBit && !(info.channels & channelBit)) {
    const c = CHANNELS[31 - Math.clz32(channelBit)]!;
    out.push(issue('channel-mismatch', at, 'channel', c, `channel ${c} is not one of the channels of service ${serviceCode} (${names(CHANNELS, info.channels)})`));
  }
  return out;
}

export function serviceLookupFromMap(map: ReadonlyMap<string, ServiceInfo>): ServiceLookup & { readonly size: number } {
  return { size: map.size, service: (code) => map.get(code) };
}

/** The first lookup that knows the service answers: a file given on the command line wins over the database. */
export function combineServiceLookups(...lookups: Array<ServiceLookup | undefined>): ServiceLookup {
  const present = lookups.filter((l): l is ServiceLookup => l !== undefined);
  return {
    service(code) {
      for (const l of present) {
        const s = l.service(code);
        if (s !== undefined) return s;
      }
      return undefined;
    },
  };
}
