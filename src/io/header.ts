// The CSV header check of SPEC §2/§3. Columns may come in any order; a column for a field
// that is required (always or when active) must be there, optional ones may be left out
// (their values are then simply absent), managed ones (updated_at) are accepted and ignored.
import { ENTITIES, fieldNames, type EntityName } from '../records/fields.js';
import { issue, type Issue } from '../records/issues.js';
import { closest } from '../text/closest.js';

export interface HeaderCheck {
  /** field name of each column, in file order */
  columns: string[];
  issues: Issue[];
}

const SUGGEST_AT_MOST = 100;

export function checkHeader(entityName: EntityName, cells: readonly string[]): HeaderCheck {
  const known = fieldNames(entityName);
  const at = { line: 1 };
  const issues: Issue[] = [];
  const seen = new Set<string>();
  let unknown = 0;
  const columns = cells.map((c) => c.trim());
  for (const name of columns) {
    if (seen.has(name)) {
      issues.push(issue('header-duplicate-column', at, name, name, `column ${name} appears more than once in the header`));
      continue;
    }
    seen.add(name);
    if (!known.includes(name)) {
      // A suggestion for the first columns only: a header of 120,000 unknown names is no
      // header of this entity, and their edit distances took seconds.
      const near = unknown++ < SUGGEST_AT_MOST ? closest(name, known) : undefined;
      const shown = name === '' ? 'an empty column name' : `column ${name}`;
      issues.push(issue('header-unknown-column', at, name, name,
        `${shown} is not a field of ${entityName}${near ? `; the closest known name is ${near}` : ''}`));
    }
  }
  for (const f of ENTITIES[entityName].fields) {
    if (f.required !== false && !seen.has(f.name)) {
      issues.push(issue('header-missing-column', at, f.name, null, `the header has no ${f.name} column, which ${entityName} need`));
    }
  }
  return { columns, issues };
}
