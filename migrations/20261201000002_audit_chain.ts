import type { Knex } from 'knex';
import { auditHash, auditRowFromDb } from '../src/audit/audit-row.js';

// SPEC §9: the audit trail becomes a hash chain. Each row gets `prev` (the hash of the
// row before it in id order, null for the first) and `hash` (sha-256 of the row's RFC 8785
// object: the README's "Audit trail"). The rows already stored are chained here, in id
// order, with the tool's own hash (src/audit/audit-row.ts: its object is SPEC's contract, so
// it cannot drift from what this migration wrote); the tests check that rows it chained
// verify with the tool's verifier and re-hash with the `canonicalize` package.
//
// Writing prev and hash into existing rows is an UPDATE, which the append-only triggers of
// 20261128000002 refuse. They are lifted for this migration only and inside its
// transaction (the migrator runs each batch in one): on PostgreSQL DISABLE/ENABLE TRIGGER
// is transactional and ALTER TABLE holds an ACCESS EXCLUSIVE lock on audit_log until the
// commit, so no other session can write, update or delete a row — or see the table
// without its trigger — in between; on SQLite (which has no switch) the trigger is dropped
// and created again from its own stored SQL, in the same write transaction, which no other
// connection can interleave with. A failure anywhere rolls all of it back, triggers included.
//
// A unique index on prev makes a fork — two rows following the same row, which the
// serialised append never writes — impossible for any client.

const PAGE = 1000;

export async function up(knex: Knex): Promise<void> {
  const pg = knex.client.config.client === 'pg';
  await knex.schema.alterTable('audit_log', (t) => {
    t.text('prev');
    t.text('hash');
  });
  let sqliteUpdateTriggers: Array<{ name: string; sql: string }> = [];
  if (pg) await knex.raw('alter table audit_log disable trigger audit_log_append_only');
  else {
    sqliteUpdateTriggers = (await knex('sqlite_master').select('name', 'sql').where({ type: 'trigger', tbl_name: 'audit_log' }).andWhere('sql', 'like', '%before update%')) as Array<{ name: string; sql: string }>;
    for (const t of sqliteUpdateTriggers) await knex.raw(`drop trigger "${t.name.replace(/"/g, '""')}"`);
  }
  let prev: string | null = null;
  let after: number | null = null;
  for (;;) {
    let q = knex('audit_log').select('*').orderBy('id', 'asc').limit(PAGE);
    if (after !== null) q = q.where('id', '>', after);
    const page = (await q) as Array<Record<string, unknown>>;
    for (const r of page) {
      const hash = auditHash({ ...auditRowFromDb(r), prev });
      await knex('audit_log').where({ id: r.id }).update({ prev, hash });
      prev = hash;
    }
    if (page.length < PAGE) break;
    after = Number(page[page.length - 1]!.id);
  }
  if (pg) await knex.raw('alter table audit_log enable trigger audit_log_append_only');
  else for (const t of sqliteUpdateTriggers) await knex.raw(t.sql);
  await knex.raw('create unique index audit_log_prev_unique on audit_log (prev)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists audit_log_prev_unique');
  // Plain ALTER TABLE … DROP COLUMN on both (SQLite ≥ 3.35 has it natively). knex's
  // dropColumn on SQLite would rebuild the table by copy, drop and rename, which silently
  // loses the append-only triggers; the native statement keeps them.
  await knex.raw('alter table audit_log drop column hash');
  await knex.raw('alter table audit_log drop column prev');
}
