// The config file's `baseIri` (SPEC §11): where the node IRIs of a CPSV-AP export start.

/** The IRIs of a CPSV-AP export start with this when the config file names none. */
export const DEFAULT_BASE_IRI = 'https://registry.invalid/';

/**
 * Why a baseIri cannot be used, or null. Node IRIs are the base followed by a path
 * (`service/BIZ-0001`), so it must be an absolute http(s) IRI ending in "/", without a
 * query, fragment or any character an IRI may not hold.
 */
export function baseIriProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string like "https://data.gov.uz/registry/"';
  if (!/^https?:\/\//i.test(value)) return `must be an http:// or https:// IRI, not "${value}"`;
  // RFC 3987 excludes these from every IRI; white space and controls too
  if (/[\s<>"{}|\\^`\u0000-\u001f\u007f]/.test(value)) return `"${value}" holds a character an IRI may not hold (space, <, >, ", {, }, |, \\, ^ or \`)`;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return `"${value}" is not a valid IRI`;
  }
  if (!u.hostname) return `"${value}" has no host`;
  if (u.search || u.hash || value.includes('?') || value.includes('#')) return `"${value}" must not hold a query (?) or a fragment (#): the export appends paths to it`;
  if (!value.endsWith('/')) return `must end with "/" (the export appends paths to it): "${value}/"`;
  return null;
}
