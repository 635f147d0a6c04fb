import { ENTITIES, ITEM_SEPARATOR, fieldNames, startsLikeFormula, type EntityName, type RecordValues } from '../records/fields.js';

// The CSV of an export, as JavaScript writes it (SQLite path). It must equal, byte for byte,
// what PostgreSQL's own COPY … (FORMAT csv) writes for the PostgreSQL path (pg-query.ts),
// so the rule is PostgreSQL's: a cell is quoted when it holds a comma, a double quote, CR
// or LF (quotes doubled); no value is an empty cell; an empty text is "" (never stored:
// import turns empty cells into no value). Leading and trailing spaces need no quotes —
// RFC 4180 keeps them as part of the field — and import trims every value anyway.

export function escapeFormula(text: string): string {
  return startsLikeFormula(text) ? `'${text}` : text;
}

export function csvCell(text: string | null): string {
  if (text === null) return '';
  if (text === '') return '""';
  return /[,"\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvHeader(entity: EntityName): string {
  return `${fieldNames(entity).join(',')}\n`;
}

/**
 * One record as a CSV line (with its `\n`). Sets and lists are joined with `|`; free-text
 * cells that start like a formula get a `'` prefix unless `raw` — a list is one cell, so
 * only its start counts. Codes, phone, tin, dates and numbers are never altered.
 */
export function csvLine(entity: EntityName, values: RecordValues, raw: boolean): string {
  const cells: string[] = [];
  for (const f of ENTITIES[entity].fields) {
    const v = values[f.name] ?? null;
    let text: string | null;
    if (v === null) text = null;
    else if (Array.isArray(v)) text = v.join(ITEM_SEPARATOR);
    else text = String(v);
    if (text !== null && f.freeText && !raw) text = escapeFormula(text);
    cells.push(csvCell(text));
  }
  return `${cells.join(',')}\n`;
}
