import { ENTITIES, field, references, type EntityName, type FieldDef } from '../../src/records/fields.js';
import { FORMULA_START } from '../../src/records/fields.js';
import { submittedBounds, type ExportFilters } from '../../src/export/filters.js';
import type { ExportFormat } from '../../src/export/formats.js';

// The SELECT that PostgreSQL runs inside `COPY (…) TO STDOUT`: the server formats every
// value (FIELD-NOTES: a row cursor formatted in Node is 4.6× slower than COPY).
//
// COPY takes no bound parameters, so the filter values are bound to transaction-local
// settings first (`select set_config($1, $2, true)`) and the query reads them with
// current_setting(): the SQL text below is the same whatever the user typed.
//
// CSV: one column per field and PostgreSQL's CSV writer does the quoting (csv-cell.ts
// follows the same rule). NDJSON/JSON: one column holding the record's JSON text, built to
// equal records/db-row.ts toJsonText byte for byte, copied with a delimiter and quote that
// JSON text can never contain, so each line comes out exactly as built.

export const SETTING_PREFIX = 'egovctl_export';

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
const lit = (text: string) => `'${text.replace(/'/g, "''")}'`;
// ascii() reads the first character without copying the text: half the cost of left()
const FORMULA_CODES = FORMULA_START.map((c) => c.charCodeAt(0)).join(', ');

function formula(expr: string): string {
  return `case when ascii(${expr}) in (${FORMULA_CODES}) then '''' || ${expr} else ${expr} end`;
}

/**
 * Lists are stored as JSON array text. The common form — as JSON.stringify writes it, no
 * backslash, no item holding `|` — is turned into `a|b` with plain string replacements;
 * anything else goes through the JSON parser (6× slower on a million rows). The candidate
 * `a|b` is computed once per row in the inner query (twoLevel below) and checked by
 * turning it back into the stored text.
 */
const itemsCol = (c: string) => q(`${c.replace(/"/g, '')}__items`);

function listItemsExpr(c: string): string {
  return `replace(replace(replace(${c}, '","', '|'), '["', ''), '"]', '')`;
}

function listIsCompact(c: string): string {
  const items = itemsCol(c);
  return `strpos(${c}, '\\') = 0 and '["' || replace(${items}, '|', '","') || '"]' = ${c}`;
}

const elements = (c: string) => `json_array_elements_text(${c}::json) with ordinality as e(x, o)`;

function csvColumn(f: FieldDef, raw: boolean): string {
  const c = q(f.name);
  const esc = (e: string) => (f.freeText && !raw ? formula(e) : e);
  switch (f.type) {
    case 'decimal':
      return `trim_scale(${c})::text`;
    case 'date':
      return `${c}::text`; // DateStyle ISO (set for the transaction): YYYY-MM-DD
    case 'timestamp':
      return `to_char(${c} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
    case 'list': {
      const slow = `(select ${esc('s')} from (select string_agg(x, '|' order by o) as s from ${elements(c)}) as agg)`;
      return `case when ${c} is null then null when ${listIsCompact(c)} then ${esc(itemsCol(c))} else ${slow} end`;
    }
    case 'integer':
      return `${c}::text`;
    default:
      return esc(c);
  }
}

function jsonValue(f: FieldDef): string {
  const c = q(f.name);
  switch (f.type) {
    case 'decimal':
      return `coalesce(trim_scale(${c})::text, 'null')`;
    case 'integer':
      return `coalesce(${c}::text, 'null')`;
    case 'date':
      return `coalesce('"' || ${c}::text || '"', 'null')`;
    case 'timestamp':
      return `coalesce('"' || to_char(${c} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"', 'null')`;
    case 'set':
      // the schema's check allows only the set's own words joined by |: nothing to escape
      return `coalesce('["' || replace(${c}, '|', '","') || '"]', 'null')`;
    case 'list': {
      const slow = `coalesce((select '[' || string_agg(to_json(x)::text, ',' order by o) || ']' from ${elements(c)}), 'null')`;
      return `case when ${c} is null then 'null' when ${listIsCompact(c)} then ${c} else ${slow} end`;
    }
    case 'identifier':
    case 'appid':
    case 'enum':
    case 'tin':
    case 'phone':
      // the schema's checks leave nothing in these that JSON would escape
      return `coalesce('"' || ${c} || '"', 'null')`;
    default:
      // to_json escapes exactly as JSON.stringify does (", \, control characters as \uXXXX)
      return `coalesce(to_json(${c}::text)::text, 'null')`;
  }
}

export interface PgExportQuery {
  /** the COPY statement */
  copy: string;
  /** `select count(*)` with the same filters (for the progress bar) */
  count: string;
  /** [setting, value] pairs to bind with set_config before either */
  settings: Array<[string, string]>;
}

function where(entity: EntityName, filters: ExportFilters): { sql: string; settings: Array<[string, string]> } {
  const settings: Array<[string, string]> = [];
  const conds: string[] = [];
  const setting = (key: string, value: string) => {
    const name = `${SETTING_PREFIX}.${key}`;
    if (!settings.some(([n]) => n === name)) settings.push([name, value]);
    return `current_setting(${lit(name)})`;
  };
  // array(select …) without outer references is computed once (an InitPlan), not per row
  const anyOf = (key: string, values: string[]) => `array(select json_array_elements_text(${setting(key, JSON.stringify(values))}::json))`;
  if (filters.status) conds.push(`status = any(${anyOf('status', filters.status)})`);
  const by = ENTITIES[entity].agencyFilter;
  if (filters.agency && by) {
    if (by.otherwise) {
      // applications: the handling agency, handled_by, or when empty the service's agency
      // (the services of those agencies are found once, then matched as a hashed set)
      const via = references(entity).find((r) => r.field === by.otherwise!.via)!;
      const agencies = anyOf('agency', filters.agency);
      conds.push(`(${q(by.field)} = any(${agencies}) or (${q(by.field)} is null and ${q(via.field)} in (select s.${q(via.key)} from ${q(ENTITIES[via.entity].table)} as s where s.${q(by.otherwise.field)} = any(${agencies}))))`);
    } else conds.push(`${q(by.field)} = any(${anyOf('agency', filters.agency)})`);
  }
  if (filters.audience) {
    conds.push(field(entity, 'audience')!.type === 'set'
      ? `string_to_array(audience, '|') && ${anyOf('audience', filters.audience)}`
      : `audience = any(${anyOf('audience', filters.audience)})`);
  }
  if (filters.changed_since) conds.push(`updated_at >= (select ${setting('changed_since', filters.changed_since)}::timestamptz)`);
  // current_setting() is stable: PostgreSQL prunes the monthly partitions when the
  // executor starts (a sub-select would hide the bound from it)
  const b = submittedBounds(filters);
  const period = ENTITIES[entity].periodFilter;
  if (period && b.from) conds.push(`${q(period)} >= ${setting('submitted_from', b.from)}::timestamptz`);
  if (period && b.before) conds.push(`${q(period)} < ${setting('submitted_before', b.before)}::timestamptz`);
  return { sql: conds.length ? ` where ${conds.join(' and ')}` : '', settings };
}

/**
 * Two levels, so that the work lands where it is cheapest. The inner query filters, sorts
 * and formats every value that needs no subquery: PostgreSQL runs that part in its
 * parallel workers. The outer one only finishes the lists (whose slow path is a subquery,
 * which workers cannot run) and hands the rows to COPY; `offset 0` keeps the planner from
 * merging the two. A list's candidate `a|b` is thereby computed once per row.
 */
function twoLevel(entity: EntityName, whereSql: string, inner: string[], outer: string[]): string {
  const table = q(ENTITIES[entity].table);
  // the key is a plain name (code, id): unquoted, as the SQL has always read
  const key = ENTITIES[entity].key;
  // COLLATE "C": byte order, the order SQLite's BINARY collation gives, so both agree
  return `select ${outer.join(', ')} from (select ${inner.join(', ')} from ${table} as t${whereSql} order by t.${key} collate "C" offset 0) as r order by r.${q('__key')} collate "C"`;
}

export function pgExportQuery(entity: EntityName, format: ExportFormat, filters: ExportFilters, raw: boolean): PgExportQuery {
  const table = q(ENTITIES[entity].table);
  const w = where(entity, filters);
  const fields = ENTITIES[entity].fields;
  const inner: string[] = [`t.${ENTITIES[entity].key} as ${q('__key')}`];
  const outer: string[] = [];
  for (const f of fields.filter((x) => x.type === 'list')) inner.push(`t.${q(f.name)}`, `${listItemsExpr(`t.${q(f.name)}`)} as ${itemsCol(q(f.name))}`);
  let copy: string;
  if (format === 'csv') {
    for (const f of fields) {
      if (f.type !== 'list') inner.push(`${csvColumn(f, raw)} as ${q(f.name)}`);
      outer.push(`${f.type === 'list' ? csvColumn(f, raw) : q(f.name)} as ${q(f.name)}`);
    }
    copy = `copy (${twoLevel(entity, w.sql, inner, outer)}) to stdout with (format csv)`;
  } else {
    // the line in pieces: the text between lists is built in the inner query
    const pieces: string[] = [];
    let run: string[] = [];
    const flush = () => {
      if (!run.length) return;
      const name = q(`__part${pieces.length}`);
      inner.push(`${run.join(' || ')} as ${name}`);
      pieces.push(name);
      run = [];
    };
    fields.forEach((f, i) => {
      run.push(lit(`${i ? ',' : '{'}${JSON.stringify(f.name)}:`));
      if (f.type === 'list') {
        flush();
        pieces.push(jsonValue(f));
      } else run.push(jsonValue(f));
    });
    run.push(`'}'`);
    flush();
    outer.push(pieces.join(' || '));
    copy = `copy (${twoLevel(entity, w.sql, inner, outer)}) to stdout with (format csv, delimiter E'\\x01', quote E'\\x02')`;
  }
  return { copy, count: `select count(*)::int as n from ${table}${w.sql}`, settings: w.settings };
}
