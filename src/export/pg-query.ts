import { ENTITIES, field, references, type EntityName, type FieldDef } from '../records/fields.js';
import { FORMULA_START } from '../records/fields.js';
import { submittedBounds, type ExportFilters } from './filters.js';
import type { ExportFormat } from './formats.js';

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
 * `a|b` and whether it is right (turned back into the stored text, it is the stored text)
 * are each computed once per row, under the sort (levels below), so that the check runs in
 * the parallel workers and the rest of the query reads a flag.
 */
const itemsCol = (c: string) => q(`${c.replace(/"/g, '')}__items`);
const compactCol = (c: string) => q(`${c.replace(/"/g, '')}__compact`);
const slowCol = (c: string) => q(`${c.replace(/"/g, '')}__slow`);

function listItemsExpr(c: string): string {
  return `replace(replace(replace(${c}, '","', '|'), '["', ''), '"]', '')`;
}

function listIsCompact(c: string, items: string): string {
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
    case 'list':
      // the compact form here; any other stored text is passed on, flagged, for csvListFinish
      return `case when ${compactCol(c)} then ${esc(itemsCol(c))} else ${c} end`;
    case 'integer':
      return `${c}::text`;
    default:
      return esc(c);
  }
}

/** The outer level's list cell: the stored JSON text of a row flagged slow goes through the JSON parser. */
function csvListFinish(f: FieldDef, raw: boolean): string {
  const c = q(f.name);
  const esc = (e: string) => (f.freeText && !raw ? formula(e) : e);
  const slow = `(select ${esc('s')} from (select string_agg(x, '|' order by o) as s from ${elements(c)}) as agg)`;
  return `case when ${slowCol(c)} then ${slow} else ${c} end`;
}

/** A list's JSON value from its stored text (the compact form is already what JSON.stringify writes). */
function jsonListSlow(c: string): string {
  return `coalesce((select '[' || string_agg(to_json(x)::text, ',' order by o) || ']' from ${elements(c)}), 'null')`;
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
    case 'list':
      // only for the compact form or no value (a row with another form is built in the outer level)
      return `coalesce(${c}, 'null')`;
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
 * Levels, so that the work lands where it is cheapest. With lists, the table is read by
 * two levels that compute, for each list, its candidate `a|b` and whether it is right, each
 * once per row (a level's column is computed once however often the levels above read it;
 * the volatile clock_timestamp() keeps the planner from merging the levels, which would
 * copy the expressions into every place that reads them, and unlike `offset 0` it leaves
 * them in the parallel workers). The sorted level filters, sorts and formats every value
 * that needs no subquery: PostgreSQL runs it and those below in its parallel workers. The
 * outer one only finishes the lists of the rows flagged slow (a subquery, which workers
 * cannot run) and hands the rows to COPY; `offset 0` keeps the planner from merging it with
 * the sorted one. An entity without lists has only the sorted level.
 */
function levels(entity: EntityName, whereSql: string, inner: string[], outer: string[] | null): string {
  const table = q(ENTITIES[entity].table);
  // the key is a plain name (code, id): unquoted, as the SQL has always read
  const key = ENTITIES[entity].key;
  const lists = ENTITIES[entity].fields.filter((f) => f.type === 'list').map((f) => q(f.name));
  let from = `${table} as t${whereSql}`;
  if (lists.length) {
    const items = lists.map((c) => `${listItemsExpr(`t.${c}`)} as ${itemsCol(c)}`);
    const compact = lists.map((c) => `${listIsCompact(`t.${c}`, `t.${itemsCol(c)}`)} as ${compactCol(c)}`);
    from = `(select t.*, ${compact.join(', ')}, clock_timestamp() as ${q('__fence2')} from (select t.*, ${items.join(', ')}, clock_timestamp() as ${q('__fence1')} from ${from}) as t) as t`;
  }
  // COLLATE "C": byte order, the order SQLite's BINARY collation gives, so both agree
  const sorted = `select ${inner.join(', ')} from ${from} order by t.${key} collate "C"`;
  if (!outer) return sorted;
  return `select ${outer.join(', ')} from (${sorted} offset 0) as r order by r.${q('__key')} collate "C"`;
}

export function pgExportQuery(entity: EntityName, format: ExportFormat, filters: ExportFilters, raw: boolean): PgExportQuery {
  const table = q(ENTITIES[entity].table);
  const w = where(entity, filters);
  const fields = ENTITIES[entity].fields;
  const lists = fields.filter((x) => x.type === 'list');
  const inner: string[] = lists.length ? [`t.${ENTITIES[entity].key} as ${q('__key')}`] : [];
  const outer: string[] = [];
  // a row is slow when one of its lists is stored in another form than the compact one
  const slowOf = (f: FieldDef) => `${compactCol(q(f.name))} is false`;
  let copy: string;
  if (format === 'csv') {
    for (const f of fields) {
      inner.push(`${csvColumn(f, raw)} as ${q(f.name)}`);
      if (f.type === 'list') inner.push(`${slowOf(f)} as ${slowCol(q(f.name))}`);
      outer.push(`${f.type === 'list' ? csvListFinish(f, raw) : q(f.name)} as ${q(f.name)}`);
    }
    copy = `copy (${levels(entity, w.sql, inner, lists.length ? outer : null)}) to stdout with (format csv)`;
  } else {
    // concat() builds the line once; a chain of || copies the line so far at every step
    const name = (i: number) => lit(`${i ? ',' : '{'}${JSON.stringify(fields[i]!.name)}:`);
    const value = fields.map((f, i) => `${name(i)}, ${jsonValue(f)}`);
    const line = `concat(${value.join(', ')}, '}')`;
    if (!lists.length) inner.push(line);
    else {
      // The line with each list in place when its stored text is compact (or there is none).
      // A row with another form gets a control character in the list's place, which no JSON
      // text holds raw (JSON escapes them; the other values are codes, numbers, dates and
      // checked words), and its stored text beside: the outer level puts the list there.
      const marks = lists.map((_, k) => `chr(${k + 1})`);
      const withMarks = fields.map((f, i) => (f.type === 'list' ? `${name(i)}, case when ${slowOf(f)} then ${marks[lists.indexOf(f)]} else ${jsonValue(f)} end` : value[i]));
      inner.push(`concat(${withMarks.join(', ')}, '}') as ${q('__line')}`);
      let finish = `r.${q('__line')}`;
      lists.forEach((f, k) => {
        const c = q(f.name);
        inner.push(`case when ${slowOf(f)} then t.${c} end as ${c}`);
        finish = `replace(${finish}, ${marks[k]}, ${jsonListSlow(`r.${c}`)})`;
      });
      outer.push(`case when ${lists.map((f) => `r.${q(f.name)} is null`).join(' and ')} then r.${q('__line')} else ${finish} end`);
    }
    copy = `copy (${levels(entity, w.sql, inner, lists.length ? outer : null)}) to stdout with (format csv, delimiter E'\\x01', quote E'\\x02')`;
  }
  return { copy, count: `select count(*)::int as n from ${table}${w.sql}`, settings: w.settings };
}
