import { ENTITIES, FORMULA_START, ITEM_SEPARATOR, type EntityName, type FieldDef } from '../records/fields.js';

// The CSV line of a stored row built by SQLite itself, for the SQLite export (sqlite-source.ts):
// a row's nineteen values no longer each become a JavaScript string (better-sqlite3 made
// them so, and that alone took 8.6 s of a 22 s export of 1,000,000 services) — the line
// comes back as one blob, its bytes as they go to the file. It must be, byte for byte, what
// csvLine(entity, fromRow(entity, row), raw) writes (csv-cell.ts, db-row.ts): where SQL
// cannot be sure of that — a value not of the type and form the import stores (a decimal
// not in its shortest form, a list that is not plain JSON strings, a number where text is
// kept) — the whole row goes to a function of the connection instead, and JavaScript writes
// it as before (test/integration/export-sqlite-csv.test.ts compares the two over such rows).

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
const col = (f: FieldDef) => `"${f.name}"`;

/** A decimal already in canonicalDecimal's form (non-negative: "0", "1500", "0.5", "13811.25"). */
function canonicalDecimal(c: string): string {
  return `(typeof(${c}) = 'text' and ${c} not glob '*[^0-9.]*' and (${c} = '0' or ${c} glob '[1-9]*' or ${c} glob '0.[0-9]*')`
    + ` and (instr(${c}, '.') = 0 or (${c} not glob '*.*.*' and ${c} not glob '*0' and ${c} not glob '*.')))`;
}

/** A list as JSON.stringify wrote it, of strings with nothing escaped: its items are what lies between `","`. */
function plainList(c: string): string {
  return `(typeof(${c}) = 'text' and instr(${c}, '\\') = 0 and json_valid(${c}) and json_type(${c}) = 'array' and json(${c}) = ${c}`
    + ` and json_array_length(${c}) = (select count(*) from json_each(${c}) where type = 'text'))`;
}

/** When the SQL form of the field's cell holds (null always does), and the cell's text (null for no value). */
function field(f: FieldDef): { ok: string; text: string } {
  const c = col(f);
  const isNull = `${c} is null`;
  switch (f.type) {
    case 'set':
      return { ok: `(${isNull} or typeof(${c}) = 'text')`, text: `nullif(${c}, '')` };
    case 'list':
      return { ok: `(${isNull} or ${plainList(c)})`, text: `(case when ${c} = '[]' then null else replace(substr(${c}, 3, length(${c}) - 4), '","', ${quote(ITEM_SEPARATOR)}) end)` };
    case 'decimal':
      return { ok: `(${isNull} or ${canonicalDecimal(c)})`, text: c };
    case 'integer':
      return { ok: `(${isNull} or (typeof(${c}) = 'integer' and ${c} between -9007199254740991 and 9007199254740991))`, text: `cast(${c} as text)` };
    default:
      return { ok: `(${isNull} or typeof(${c}) = 'text')`, text: c };
  }
}

const FORMULA = FORMULA_START.map((ch) => ch.codePointAt(0)).join(', ');

/** csvCell (with escapeFormula for free text unless `raw`) of a text expression. */
function cell(text: string, formula: boolean): string {
  const t = formula ? `(case when unicode(${text}) in (${FORMULA}) then '''' || ${text} else ${text} end)` : text;
  return `(case when ${text} is null then '' when ${text} = '' then '""'`
    + ` when instr(${text}, ',') > 0 or instr(${text}, '"') > 0 or instr(${text}, char(13)) > 0 or instr(${text}, char(10)) > 0`
    + ` then '"' || replace(${t}, '"', '""') || '"' else ${t} end)`;
}

/**
 * An SQL expression over one row of `table`, the entity's: its CSV line (with its `\n`) as a
 * blob of UTF-8; where SQL cannot vouch for the line, `fallback`(every field's value, in
 * field order) — a function of the connection that writes it in JavaScript.
 */
export function sqliteCsvLine(entity: EntityName, raw: boolean, fallback: string, table: string): string {
  const fields = ENTITIES[entity].fields;
  const parts = fields.map(field);
  const ok = parts.map((p) => p.ok).join(' and ');
  // concat_ws, not ||: one string made per line, rather than one per cell and comma
  const line = `concat_ws(',', ${parts.map((p, i) => cell(p.text, !!fields[i]!.freeText && !raw)).join(', ')})`;
  return `(case when ${ok} then cast(${line} || char(10) as blob) else ${fallback}(${fields.map((f) => `"${table}".${col(f)}`).join(', ')}) end)`;
}
