import type { Knex } from 'knex';
import { ENTITIES, ENTITY_NAMES, references, uniqueFields, type EntityDef, type EntityName, type FieldDef, type Reference } from '../records/fields.js';
import { issue, type Issue } from '../records/issues.js';
import { STAGE, q } from './stage-columns.js';
import { selectRows } from './stage.js';
import type { ImportMode } from './types.js';

// The checks that need more than one record: run as set-based SQL over the staging table
// and the stored records together, so that memory stays flat whatever the file's size and
// references resolve against the file and the database at once (SPEC §3, issue 4).
// In replace mode the stored records not in the file are about to be deleted, so only the
// file counts.

interface Row {
  line: number;
  code: string;
  [k: string]: unknown;
}

function at(r: Row) {
  return { line: Number(r.line), key: r.code };
}

function linesByValue(rows: Row[], col: string): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const r of rows) {
    const v = String(r[col]);
    const list = m.get(v) ?? [];
    list.push(Number(r.line));
    m.set(v, list);
  }
  return m;
}

/** As in `validate` (records/cross-checks.ts), so both say the same. */
const LINES_SHOWN = 10;

async function duplicates(trx: Knex.Transaction, col: string, key: string): Promise<Issue[]> {
  const rows = await selectRows<Row>(trx, `select line, ${q(key)} as code, ${q(col)} as v from ${STAGE} where ${q(col)} in (select ${q(col)} from ${STAGE} where ${q(col)} is not null group by ${q(col)} having count(*) > 1) order by line`);
  const by = linesByValue(rows, 'v');
  return rows.map((r) => {
    const lines = by.get(String(r.v))!;
    const shown = lines.slice(0, LINES_SHOWN).join(', ') + (lines.length > LINES_SHOWN ? ` and ${lines.length - LINES_SHOWN} more` : '');
    return issue('duplicate-key', at(r), col, String(r.v), `${col} ${String(r.v)} appears ${lines.length} times: lines ${shown}`);
  });
}

/** Values of a unique field already held by a stored record that the import keeps as it is. */
async function uniqueTaken(trx: Knex.Transaction, def: EntityDef, f: FieldDef): Promise<Issue[]> {
  const [table, key, col] = [q(def.table), q(def.key), q(f.name)];
  const rows = await selectRows<Row>(trx, `select s.line, s.${key} as code, s.${col} as v, t.${key} as holder from ${STAGE} s join ${table} t on t.${col} = s.${col} and t.${key} <> s.${key} where not exists (select 1 from ${STAGE} s2 where s2.${key} = t.${key}) order by s.line`);
  return rows.map((r) => issue('duplicate-key', at(r), f.name, String(r.v), `${f.label ?? f.name} ${String(r.v)} is already the ${f.name} of ${def.noun} ${String(r.holder)} in the database`));
}

async function keyExists(trx: Knex.Transaction, entity: EntityName): Promise<Issue[]> {
  const table = q(ENTITIES[entity].table);
  const key = q(ENTITIES[entity].key);
  const rows = await selectRows<Row>(trx, `select s.line, s.${key} as code from ${STAGE} s where exists (select 1 from ${table} t where t.${key} = s.${key}) order by s.line`);
  return rows.map((r) => issue('key-exists', at(r), ENTITIES[entity].key, r.code, `${ENTITIES[entity].noun} ${r.code} already exists in the database (--mode insert only adds new records)`));
}

/**
 * References that name nothing: a record of the same entity may be in the file or (unless
 * replacing) in the database; one of another entity must be stored.
 */
async function unknownReferences(trx: Knex.Transaction, def: EntityDef, ref: Reference, mode: ImportMode): Promise<Issue[]> {
  const [col, target] = [q(ref.field), ENTITIES[ref.entity]];
  const tkey = q(ref.key);
  const self = ref.entity === def.name;
  const inFile = self ? ` and not exists (select 1 from ${STAGE} p where p.${tkey} = s.${col})` : '';
  const stored = self && mode === 'replace' ? '' : ` and not exists (select 1 from ${q(target.table)} t where t.${tkey} = s.${col})`;
  const rows = await selectRows<Row>(trx, `select s.line, s.${q(def.key)} as code, s.${col} as ref from ${STAGE} s where s.${col} is not null${inFile}${stored} order by s.line`);
  return rows.map((r) => issue('unknown-reference', at(r), ref.field, String(r.ref), `${target.noun} ${String(r.ref)} does not exist`));
}

async function cycles(trx: Knex.Transaction, def: EntityDef, parentField: string, mode: ImportMode): Promise<Issue[]> {
  // The hierarchy as it would be after the import: the file's records, plus the stored
  // ones the file does not replace. A walk up from each file record that comes back to
  // it is a cycle; `union` and the depth bound keep the walk finite on any data.
  const [key, parent, table] = [q(def.key), q(parentField), q(def.table)];
  const stored = mode === 'replace' ? '' : ` union all select ${key}, ${parent} from ${table} a where not exists (select 1 from ${STAGE} s where s.${key} = a.${key})`;
  const sql = `with recursive eff (code, parent_code) as (select ${key}, ${parent} from ${STAGE}${stored}),
    bound (n) as (select count(*) + 1 from eff),
    walk (start, cur, depth) as (
      select ${key}, ${parent}, 1 from ${STAGE} where ${parent} is not null
      union
      select w.start, e.parent_code, w.depth + 1 from walk w join eff e on e.code = w.cur
      where w.cur <> w.start and e.parent_code is not null and w.depth < (select n from bound)
    )
    select s.line, s.${key} as code, s.${parent} as parent_code from ${STAGE} s where exists (select 1 from walk w where w.start = s.${key} and w.cur = s.${key}) order by s.line`;
  const rows = await selectRows<Row>(trx, sql);
  return rows.map((r) => issue('hierarchy-cycle', at(r), parentField, String(r.parent_code), `the parent chain of ${def.noun} ${r.code} loops back to it`));
}

/**
 * Every cross-record error of the staged records, in one pass, as the entity's definition
 * (records/fields.ts) asks: its key and unique fields, its references, its hierarchy.
 * References checked as records are read (agency-refs.ts) are left out.
 */
export async function crossErrors(trx: Knex.Transaction, entity: EntityName, mode: ImportMode): Promise<Issue[]> {
  // Appended one by one: push(...list) passes every issue as an argument, and a file of
  // 130,000 existing codes overflowed the stack.
  const out: Issue[] = [];
  const add = (list: readonly Issue[]) => {
    for (const i of list) out.push(i);
  };
  const def = ENTITIES[entity];
  add(await duplicates(trx, def.key, def.key));
  for (const f of uniqueFields(entity)) {
    add(await duplicates(trx, f.name, def.key));
    if (mode !== 'replace') add(await uniqueTaken(trx, def, f));
  }
  if (mode === 'insert') add(await keyExists(trx, entity));
  for (const ref of references(entity)) if (!ref.checkedOnRead) add(await unknownReferences(trx, def, ref, mode));
  if (def.hierarchy) add(await cycles(trx, def, def.hierarchy, mode));
  return out;
}

/**
 * Replacing deletes the stored records not in the file; a stored record of another entity
 * still naming one (by a reference the database holds to: services' agency_code) would be
 * left pointing at nothing. Reported as unknown-reference (the error it would become) on
 * the deleted record, with no line: the records naming it are not in the file.
 */
export async function referencedDeletions(trx: Knex.Transaction, entity: EntityName): Promise<Issue[]> {
  const def = ENTITIES[entity];
  const out: Issue[] = [];
  for (const other of ENTITY_NAMES) {
    if (other === entity) continue;
    for (const ref of references(other)) {
      if (ref.entity !== entity || ENTITIES[other].weakReferences?.includes(ref.field)) continue;
      for (const i of await stillNamed(trx, def, ENTITIES[other], ref)) out.push(i);
    }
  }
  return out;
}

async function stillNamed(trx: Knex.Transaction, def: EntityDef, other: EntityDef, ref: Reference): Promise<Issue[]> {
  const [key, okey, col] = [q(def.key), q(other.key), q(ref.field)];
  const rows = await selectRows<{ code: string; n: number | string; example: string }>(trx, `select a.${key} as code, count(*) as n, min(v.${okey}) as example from ${q(def.table)} a join ${q(other.table)} v on v.${col} = a.${key} where not exists (select 1 from ${STAGE} s where s.${key} = a.${key}) group by a.${key} order by a.${key}`);
  return rows.map((r) => {
    const n = Number(r.n);
    return issue('unknown-reference', { line: null, key: r.code }, ref.field, r.code,
      `replace would delete ${def.noun} ${r.code}, still the ${ref.field} of ${n} ${n === 1 ? other.noun : other.name} (${r.example}${n > 1 ? ', …' : ''}); import those ${other.name} elsewhere or keep the ${def.noun} in the file`);
  });
}
