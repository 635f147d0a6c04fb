// One JSON record: an object, or the reason it is not one (for a malformed-record or, for
// an escape that stands for no character, an encoding-error message).
import { hasLoneSurrogate } from '../text/decode.js';

/**
 * A record is an object of values and lists: deeper nesting is no record, and JSON.stringify
 * (which shows a value in an issue) recurses, so 5,000 levels overflowed the stack.
 */
export const MAX_DEPTH = 32;

export interface NotAnObject {
  ok: false;
  code: 'malformed-record' | 'encoding-error';
  /** completes "record 3 …" / "line 7 …" */
  message: string;
  /** what to show as the issue's value, when not the record's text */
  value?: string;
}

/** An escape of half a surrogate pair, or of a whole pair (checked on the parsed strings). */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/** Is any value or key of o nested deeper than `limit` levels below o? No recursion. */
function tooDeep(o: object, limit: number): boolean {
  const stack: Array<[object, number]> = [[o, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    for (const k in v) {
      const c = (v as Record<string, unknown>)[k];
      if (c !== null && typeof c === 'object') {
        if (d + 1 >= limit) return true;
        stack.push([c, d + 1]);
      }
    }
  }
  return false;
}

/** The first key or string of v holding an unpaired surrogate, and where. */
function loneSurrogateIn(v: unknown, path: string): [string, string] | null {
  if (typeof v === 'string') return hasLoneSurrogate(v) ? [path, v] : null;
  if (v === null || typeof v !== 'object') return null;
  for (const k in v) {
    if (hasLoneSurrogate(k)) return [path || k, k];
    const found = loneSurrogateIn((v as Record<string, unknown>)[k], path || k);
    if (found) return found;
  }
  return null;
}

const escaped = (s: string) => JSON.stringify(s).slice(1, -1).replace(/[\uD800-\uDFFF]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).toUpperCase());

export type Parsed = { ok: true; value: Record<string, unknown> } | NotAnObject;

export function parseObject(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, code: 'malformed-record', message: `is not valid JSON (${(err as Error).message})` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, code: 'malformed-record', message: `is not an object but ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}` };
  }
  if (tooDeep(value, MAX_DEPTH)) {
    return { ok: false, code: 'malformed-record', message: `is nested more than ${MAX_DEPTH} levels deep; a record holds values and lists of values` };
  }
  if (SURROGATE_ESCAPE.test(text)) {
    const found = loneSurrogateIn(value, '');
    if (found) {
      const shown = escaped(found[1]).slice(0, 200);
      return {
        ok: false, code: 'encoding-error', value: shown,
        message: `has an escape of half a surrogate pair (\\uD800–\\uDFFF without its other half) in ${found[0]}: it stands for no character`,
      };
    }
  }
  return { ok: true, value: value as Record<string, unknown> };
}
