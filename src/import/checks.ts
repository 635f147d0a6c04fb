import type { Knex } from 'knex';
import { ENTITIES, type EntityName } from '../records/fields.js';
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

async function duplicates(trx: Knex.Transaction, col: 'code' | 'tin' | 'id', key: 'code' | 'id' = 'code'): Promise<Issue[]> {
  const rows = await selectRows<Row>(trx, `select line, ${q(key)} as code, ${q(col)} as v from ${STAGE} where ${q(col)} in (select ${q(col)} from ${STAGE} where ${q(col)} is not null group by ${q(col)} having count(*) > 1) order by line`);
  const by = linesByValue(rows, 'v');
  return rows.map((r) => {
    const lines = by.get(String(r.v))!;
    const shown = lines.slice(0, LINES_SHOWN).join(', ') + (lines.length > LINES_SHOWN ? ` and ${lines.length - LINES_SHOWN} more` : '');
    return issue('duplicate-key', at(r), col, String(r.v), `${col} ${String(r.v)} appears ${lines.length} times: lines ${shown}`);
  });
}

/** Tax numbers already held by a stored agency that the import keeps as it is. */
async function tinTaken(trx: Knex.Transaction): Promise<Issue[]> {
  const rows = await selectRows<Row>(trx, `select s.line, s.code, s.tin, a.code as holder from ${STAGE} s join agencies a on a.tin = s.tin and a.code <> s.code where not exists (select 1 from ${STAGE} s2 where s2.code = a.code) order by s.line`);
  return rows.map((r) => issue('duplicate-key', at(r), 'tin', String(r.tin), `tax number ${String(r.tin)} is already the tin of agency ${String(r.holder)} in the database`));
}

async function keyExists(trx: Knex.Transaction, entity: EntityName): Promise<Issue[]> {
  const table = q(ENTITIES[entity].table);
  const key = q(ENTITIES[entity].key);
  const rows = await selectRows<Row>(trx, `select s.line, s.${key} as code from ${STAGE} s where exists (select 1 from ${table} t where t.${key} = s.${key}) order by s.line`);
  return rows.map((r) => issue('key-exists', at(r), ENTITIES[entity].key, r.code, `${ENTITIES[entity].noun} ${r.code} already exists in the database (--mode insert only adds new records)`));
}

/** Agencies whose parent is neither in the file nor (unless replacing) in the database. */
async function unknownParents(trx: Knex.Transaction, mode: ImportMode): Promise<Issue[]> {
  const stored = mode === 'replace' ? '' : ' and not exists (select 1 from agencies a where a.code = s.parent_code)';
  const rows = await selectRows<Row>(trx, `select s.line, s.code, s.parent_code as ref from ${STAGE} s where s.parent_code is not null and not exists (select 1 from ${STAGE} p where p.code = s.parent_code)${stored} order by s.line`);
  return rows.map((r) => issue('unknown-reference', at(r), 'parent_code', String(r.ref), `agency ${String(r.ref)} does not exist`));
}

async function cycles(trx: Knex.Transaction, mode: ImportMode): Promise<Issue[]> {
  // The hierarchy as it would be after the import: the file's agencies, plus the stored
  // ones the file does not replace. A walk up from each file agency that comes back to
  // it is a cycle; `union` and the depth bound keep the walk finite on any data.
  const stored = mode === 'replace' ? '' : ` union all select code, parent_code from agencies a where not exists (select 1 from ${STAGE} s where s.code = a.code)`;
  const sql = `with recursive eff (code, parent_code) as (select code, parent_code from ${STAGE}${stored}),
    bound (n) as (select count(*) + 1 from eff),
    walk (start, cur, depth) as (
      select code, parent_code, 1 from ${STAGE} where parent_code is not null
      union
      select w.start, e.parent_code, w.depth + 1 from walk w join eff e on e.code = w.cur
      where w.cur <> w.start and e.parent_code is not null and w.depth < (select n from bound)
    )
    select s.line, s.code, s.parent_code from ${STAGE} s where exists (select 1 from walk w where w.start = s.code and w.cur = s.code) order by s.line`;
  const rows = await selectRows<Row>(trx, sql);
  return rows.map((r) => issue('hierarchy-cycle', at(r), 'parent_code', String(r.parent_code), `the parent chain of agency ${r.code} loops back to it`));
}

/**
 * Every cross-record error of the staged records, in one pass. (A service's agency is
 * checked as it is read: agency-refs.ts.)
 */
export async function crossErrors(trx: Knex.Transaction, entity: EntityName, mode: ImportMode): Promise<Issue[]> {
  // Appended one by one: push(...list) passes every issue as an argument, and a file of
  // 130,000 existing codes overflowed the stack.
  const out: Issue[] = [];
  const add = (list: readonly Issue[]) => {
    for (const i of list) out.push(i);
  };
  const key = ENTITIES[entity].key;
  add(await duplicates(trx, key, key));
  if (entity === 'agencies') {
    add(await duplicates(trx, 'tin'));
    if (mode !== 'replace') add(await tinTaken(trx));
  }
  if (mode === 'insert') add(await keyExists(trx, entity));
  if (entity === 'agencies') {
    add(await unknownParents(trx, mode));
    add(await cycles(trx, mode));
  }
  return out;
}

/**
 * Replacing agencies deletes those not in the file; a stored service still naming one
 * would be left pointing at nothing. Reported as unknown-reference (the error it would
 * become) on the agency, with no line: the services are not in the file.
 */
export async function referencedDeletions(trx: Knex.Transaction, entity: EntityName): Promise<Issue[]> {
  if (entity !== 'agencies') return [];
  const rows = await selectRows<{ code: string; n: number | string; example: string }>(trx, `select a.code, count(*) as n, min(v.code) as example from agencies a join services v on v.agency_code = a.code where not exists (select 1 from ${STAGE} s where s.code = a.code) group by a.code order by a.code`);
  return rows.map((r) => {
    const n = Number(r.n);
    return issue('unknown-reference', { line: null, key: r.code }, 'agency_code', r.code,
      `replace would delete agency ${r.code}, still the agency_code of ${n} service${n === 1 ? '' : 's'} (${r.example}${n > 1 ? ', …' : ''}); import those services elsewhere or keep the agency in the file`);
  });
}
