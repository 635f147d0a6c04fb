import type { Knex } from 'knex';
import { q } from './stage-columns.js';
import { selectRows } from './stage.js';

// The first load of an empty table on PostgreSQL. A foreign key is checked by a trigger
// per row: a COPY of 1M services spent 4.2 s of server time on it (11.7 s against 7.5 s
// without), while checking the whole table once afterwards, as ADD CONSTRAINT does, takes
// 0.3 s. So, when the table is empty and nobody else is using it, its foreign keys are
// dropped for the load and added again under the same names — inside the import's
// transaction, so that a failure, an interrupt or a kill leaves them as they were.
// The primary key and the indexes stay: the server maintains them while this process is
// still parsing (measured: dropping and rebuilding them too made the import slower, 16.3 s
// against 13.5 s, since their rebuild then came after the last record).
//
// The price: from the lock to the commit, the table is the import's alone (ACCESS
// EXCLUSIVE): readers wait for the load instead of seeing an empty table. Dropping the
// foreign key also takes ACCESS EXCLUSIVE on the table it references (agencies): its
// readers wait too (the README says so; test/e2e/faults.test.ts checks it). The lock is only asked for, never waited
// for (NOWAIT): when another session holds the table, the load keeps its foreign keys.

const SAVEPOINT = 'egovctl_direct_load';

export interface DirectTable {
  /** the table holds no row (so the direct load applies) */
  empty: boolean;
  /** adds back what was dropped for the load; null when nothing was (the table was busy) */
  restore: (() => Promise<void>) | null;
}

const isLockBusy = (err: unknown) => (err as { code?: string }).code === '55P03';

async function isEmpty(trx: Knex.Transaction, table: string): Promise<boolean> {
  return (await selectRows(trx, `select 1 from ${q(table)} limit 1`)).length === 0;
}

/**
 * Decides the direct load of `table` and prepares it: empty, with the table to ourselves
 * → its foreign keys dropped, `restore` adds them again (and checks every row against
 * them). Not empty → the lock is given back at once (rollback to the savepoint), so that
 * the staged import that follows blocks no reader.
 */
export async function prepareDirectTable(trx: Knex.Transaction, table: string): Promise<DirectTable> {
  const rel = q(table);
  const foreign = await selectRows<{ name: string; def: string; ref: string }>(trx,
    `select conname as name, pg_get_constraintdef(oid) as def, confrelid::regclass::text as ref
       from pg_constraint where conrelid = ?::regclass and contype = 'f' order by conname`, [rel]);
  if (!foreign.length) return { empty: await isEmpty(trx, table), restore: null };

  await trx.raw(`savepoint ${SAVEPOINT}`);
  try {
    await trx.raw(`lock table ${rel} in access exclusive mode nowait`);
    for (const ref of new Set(foreign.map((c) => c.ref))) {
      if (ref !== table) await trx.raw(`lock table ${ref} in share row exclusive mode nowait`);
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
  for (const c of foreign) await trx.raw(`alter table ${rel} drop constraint ${q(c.name)}`);
  return {
    empty: true,
    restore: async () => {
      for (const c of foreign) await trx.raw(`alter table ${rel} add constraint ${q(c.name)} ${c.def}`);
    },
  };
}
