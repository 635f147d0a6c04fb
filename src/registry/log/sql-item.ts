import type { Knex } from 'knex';
import { ENTITIES, ITEM_SEPARATOR, type EntityName, type FieldDef } from '../../records/fields.js';

// The item bytes of SPEC §9 built by PostgreSQL itself, for the append of many records at
// once (a first load of 1,000,000 services): the same bytes itemBytes(itemOf(fromRow(row)))
// gives in JavaScript, without sending each row to Node and its item back.
//
// Why the bytes are the same: the members are written in the UTF-16 order of their names
// (all ASCII), with no white space; a field with no value is left out (concat_ws skips
// NULL); strings go through to_json(text), whose escaping is JSON.stringify's — and so RFC
// 8785's — exactly (\b \f \n \r \t \" \\, other controls as lowercase \u00xx, nothing else;
// PostgreSQL text holds no lone surrogate); sets are to_json of the split text array;
// decimals trim_scale's text, which is the shortest exact form; integers their digits;
// dates the text node-postgres reads (the session's DateStyle, as the JavaScript path
// gets it); timestamps toISOString's form. Where a value might not be (a list whose stored
// text is not already canonical, a timestamp outside the years 1000–9999, a NaN decimal)
// the row's bytes are NULL, and the caller builds that run's items in JavaScript instead.
// The columns must be of the types the schema gives them (checked in the catalog first).

const TEXT_TYPES = new Set(['text', 'character varying', 'character']);

/** A list's stored text when it is already the canonical array of strings: no escapes, no white space, no control character. */
// (no question mark in it: knex would take one for a binding)
const CANONICAL_LIST = String.raw`^\[("[^"\\\x01-\x1f]*"(,"[^"\\\x01-\x1f]*")*|)\]$`;

function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function lit(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

interface Column {
  data_type: string;
  datetime_precision: number | null;
}

/** What the column must be for the SQL form; null when it cannot be built in SQL. */
function member(f: FieldDef, col: Column | undefined, ref: string): { value: string; safe: string | null } | null {
  if (!col) return null;
  const t = col.data_type;
  switch (f.type) {
    case 'set':
      if (!TEXT_TYPES.has(t)) return null;
      return { value: `to_json(string_to_array(nullif(${ref}::text, ''), ${lit(ITEM_SEPARATOR)}))::text`, safe: null };
    case 'list':
      if (t !== 'text' && t !== 'character varying') return null;
      // Stored as the tool writes it (JSON.stringify of strings: already canonical when it
      // holds no escape), else re-serialised from its strings — unless an element is not a
      // string or the text has \u0000, which PostgreSQL's JSON functions cannot decode.
      return {
        value: `case when ${ref}::text ~ ${lit(CANONICAL_LIST)} then nullif(${ref}::text, '[]')
          else (select to_json(array_agg(x order by o))::text from json_array_elements_text(${ref}::json) with ordinality as a(x, o)) end`,
        safe: `(${ref} is null or ${ref}::text ~ ${lit(CANONICAL_LIST)} or (strpos(${ref}::text, ${lit('\\u0000')}) = 0 and json_typeof(${ref}::json) = 'array'
          and not exists (select from json_array_elements(${ref}::json) as a(v) where json_typeof(a.v) <> 'string')))`,
      };
    case 'decimal':
      if (t !== 'numeric') return null;
      return { value: `to_json(trim_scale(${ref})::text)::text`, safe: `(${ref} is null or ${ref} <> 'NaN'::numeric)` };
    case 'integer':
      if (t === 'integer' || t === 'smallint') return { value: `${ref}::text`, safe: null };
      if (t === 'bigint') return { value: `${ref}::text`, safe: `(${ref} is null or abs(${ref}) <= 9007199254740991)` };
      return null;
    case 'date':
      if (t !== 'date') return null;
      return { value: `to_json(${ref}::text)::text`, safe: null };
    case 'timestamp':
      if (t !== 'timestamp with time zone' || col.datetime_precision === null || col.datetime_precision > 3) return null;
      return {
        value: `'"' || to_char(${ref} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"'`,
        safe: `(${ref} is null or (isfinite(${ref}) and extract(year from ${ref} at time zone 'UTC') between 1000 and 9999))`,
      };
    default:
      if (!TEXT_TYPES.has(t)) return null;
      return { value: `to_json(${ref}::text)::text`, safe: null };
  }
}

/**
 * The SQL expression of a row's item bytes (text), NULL for a row whose bytes only the
 * JavaScript path builds exactly; `alias` names the table's row. Null when the table's
 * columns are not of the schema's types (or the server cannot: trim_scale is PostgreSQL 13).
 */
export async function sqlItemExpression(knex: Knex, entity: EntityName, alias: string): Promise<string | null> {
  const def = ENTITIES[entity];
  const r = (await knex.raw(
    `select column_name, data_type, datetime_precision, current_setting('server_version_num')::int as version, pg_encoding_to_char(encoding) as encoding
       from information_schema.columns, pg_database
      where table_schema = current_schema() and table_name = ? and datname = current_database()`,
    [def.table],
  )) as { rows: Array<{ column_name: string; data_type: string; datetime_precision: number | null; version: number; encoding: string }> };
  if (!r.rows.length || r.rows[0]!.version < 130000 || r.rows[0]!.encoding !== 'UTF8') return null;
  const cols = new Map(r.rows.map((c) => [c.column_name, c]));
  const members: string[] = [];
  const safe: string[] = [];
  // RFC 8785 §3.2.3: members in the UTF-16 order of their names (ASCII here: byte order)
  for (const f of [...def.fields].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const m = member(f, cols.get(f.name), `${alias}.${ident(f.name)}`);
    if (!m) return null;
    members.push(`${lit(`${JSON.stringify(f.name)}:`)} || ${m.value}`);
    if (m.safe) safe.push(m.safe);
  }
  const bytes = `'{' || concat_ws(',', ${members.join(', ')}) || '}'`;
  return safe.length ? `case when ${safe.join(' and ')} then ${bytes} end` : bytes;
}
