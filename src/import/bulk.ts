import type { Knex } from 'knex';
import { q } from './stage-columns.js';
import { selectRows } from './stage.js';

// The first load of an empty table on PostgreSQL. Maintaining the primary key, three
// indexes and a foreign key row by row doubled the server's work: a COPY of 1M services
// into the bare table with its checks took 10.7 s, with its indexes and foreign key 19.2 s.
// Built once after the load they take 2.7 s (a sort per index, one anti-join for the key).
// So, when the table is empty and nobody else is using it: drop them, load, build them
// again under the same names — all inside the import's transaction, so that a failure, an
// interrupt or a kill leaves the table as it was, indexes included.
//
// The price: from the lock to the commit, the table is the import's alone (ACCESS
// EXCLUSIVE): readers wait for the load instead of seeing an empty table, and writers of
// the tables it references (agencies) wait too. The lock is only asked for, never waited
// for (NOWAIT): when another session holds the table, the load keeps the indexes.

const SAVEPOINT = 'egovctl_direct_load';

export interface DirectTable {
  /** the table holds no row (so the direct load applies) */
  empty: boolean;
  /** rebuilds what was dropped for the load; null when nothing was (the table was busy) */
  restore: (() => Promise<void>) | null;
}

const isLockBusy = (err: unknown) => (err as { code?: string }).code === '55P03';

async function isEmpty(trx: Knex.Transaction, table: string): Promise<boolean> {
  return (await selectRows(trx, `select 1 from ${q(table)} limit 1`)).length === 0;
}

/**
 * Decides the direct load of `table` and prepares it: empty, with the table to ourselves
 * → its keys and indexes dropped, `restore` builds them again. Not empty → the lock is
 * given back at once (rollback to the savepoint), so that the staged import that follows
 * blocks no reader.
 */
export async function prepareDirectTable(trx: Knex.Transaction, table: string): Promise<DirectTable> {
  const rel = q(table);
  const constraints = await selectRows<{ name: string; type: string; def: string; ref: string | null }>(trx,
    `select conname as name, contype as type, pg_get_constraintdef(oid) as def, confrelid::regclass::text as ref
       from pg_constraint where conrelid = ?::regclass and contype in ('p', 'u', 'f') order by contype desc, conname`, [rel]);
  const referenced = await selectRows(trx, `select 1 from pg_constraint where confrelid = ?::regclass and contype = 'f' limit 1`, [rel]);
  const indexes = await selectRows<{ name: string; def: string }>(trx,
    `select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def from pg_index i
      where i.indrelid = ?::regclass
        and not exists (select 1 from pg_constraint c where c.conrelid = i.indrelid and c.conindid = i.indexrelid)
      order by 1`, [rel]);

  await trx.raw(`savepoint ${SAVEPOINT}`);
  try {
    await trx.raw(`lock table ${rel} in access exclusive mode nowait`);
    for (const ref of new Set(constraints.filter((c) => c.type === 'f' && c.ref !== table).map((c) => c.ref!))) {
      await trx.raw(`lock table ${ref} in share row exclusive mode nowait`);
    }
  } catch (err) {
    if (!isLockBusy(err)) throw err;
    await trx.raw(`rollback to savepoint ${SAVEPOINT}`);
    return { empty: await isEmpty(trx, table), restore: null };
  }
  if (!(await isEmpty(trx, table))) {
    await trx.raw(`rollback to savepoint ${SAVEPOINT}`); // gives the lock back
    return { empty: false, restore: null };
  }
  await trx.raw(`release savepoint ${SAVEPOINT}`);

  // A key another table's foreign key points at cannot be dropped: it stays.
  const unique = referenced.length ? [] : constraints.filter((c) => c.type !== 'f');
  const foreign = constraints.filter((c) => c.type === 'f');
  for (const c of [...foreign, ...unique]) await trx.raw(`alter table ${rel} drop constraint ${q(c.name)}`);
  for (const i of indexes) await trx.raw(`drop index ${i.name}`);
  // Built again in this order: unique keys first (a duplicate shows at once), foreign keys last.
  const rebuild = [
    ...unique.map((c) => `alter table ${rel} add constraint ${q(c.name)} ${c.def}`),
    ...indexes.map((i) => i.def),
    ...foreign.map((c) => `alter table ${rel} add constraint ${q(c.name)} ${c.def}`),
  ];
  return {
    empty: true,
    restore: async () => {
      // Sorting a million keys: the default 64 MB spills to disk. Only for this transaction.
      await trx.raw(`set local maintenance_work_mem = '256MB'`);
      for (const sql of rebuild) await trx.raw(sql);
    },
  };
}
