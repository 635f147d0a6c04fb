import { ENTITIES, type EntityName, type RecordValues } from '../../records/fields.js';

// The item of SPEC §9 built straight from a record's checked values as the import holds
// them, for the first load into an empty table (log-tap.ts): the same text as
// canonicalJson(itemOf(entity, values)) (item.ts), without the object, the sort of its
// members and the per-value switch: one generated function per entity with the members
// already in RFC 8785 order.
//
// Why the text is the same: checked values are canonical (fields.ts): decimals already in
// their shortest exact form, integers numbers, dates YYYY-MM-DD, sets and lists arrays of
// strings with an empty one as null; `updated_at` is the run's timestamp, which the load
// writes. JSON.stringify of a string is JCS's string form; a record read from a file has no
// lone surrogate (the decoder replaces invalid bytes). And for a byte string (text read as
// latin1, one character a byte: text/utf8-bytes.ts) JSON.stringify escapes exactly what it
// escapes in the text — ", \ and the characters below U+0020, all ASCII — and leaves every
// byte from 0x80 as it is: the result is the byte string of the item's UTF-8.

export type ItemTextBuilder = (values: RecordValues, updatedAt: string) => string;

/** What JSON.stringify escapes in a string: ", \\, the characters below U+0020, and surrogates (it escapes the lone ones). */
const ESCAPED = /["\\\x00-\x1f\ud800-\udfff]/;

/** JSON.stringify of a string, without its per-character pass when there is nothing to escape (most text: 25 % of the item's time). */
function quoted(s: string): string {
  return ESCAPED.test(s) ? JSON.stringify(s) : `"${s}"`;
}

const builders = new Map<EntityName, ItemTextBuilder>();

export function itemTextBuilder(entity: EntityName): ItemTextBuilder {
  let b = builders.get(entity);
  if (b) return b;
  const fields = [...ENTITIES[entity].fields].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  const lines: string[] = ['let out = "{"; let x;'];
  for (const f of fields) {
    const name = JSON.stringify(f.name);
    const member = JSON.stringify(`${JSON.stringify(f.name)}:`);
    const sep = `(out.length > 1 ? "," : "")`;
    if (f.managed) {
      lines.push(`out += ${sep} + ${member} + JSON.stringify(updatedAt);`);
      continue;
    }
    switch (f.type) {
      case 'integer':
        lines.push(`x = v[${name}]; if (x !== null && x !== undefined) out += ${sep} + ${member} + String(x);`);
        break;
      case 'set':
      case 'list':
        lines.push(`x = v[${name}]; if (x !== null && x !== undefined && x.length) out += ${sep} + ${member} + JSON.stringify(x);`);
        break;
      default:
        lines.push(`x = v[${name}]; if (x !== null && x !== undefined) out += ${sep} + ${member} + quoted(x);`);
    }
  }
  lines.push('return out + "}";');
  b = new Function('quoted', `return function item(v, updatedAt) {\n${lines.join('\n')}\n}`)(quoted) as ItemTextBuilder;
  builders.set(entity, b);
  return b;
}
