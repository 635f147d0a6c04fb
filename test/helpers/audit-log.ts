import type { Db } from '../../src/db/connect.js';

/**
 * Empties audit_log between tests. The table is append-only (migration
 * 20261128000002 refuses UPDATE and DELETE with triggers), so a test fixture switches
 * them off for one transaction: on PostgreSQL the owner may disable its user triggers;
 * SQLite has no such switch, so its triggers are dropped and created again as they were.
 */
export async function clearAuditLog(db: Db): Promise<void> {
  await db.knex.transaction(async (trx) => {
    if (db.dialect === 'pg') {
      await trx.raw('alter table audit_log disable trigger user');
      await trx('audit_log').del();
      await trx.raw('alter table audit_log enable trigger user');
      return;
    }
    const triggers = (await trx('sqlite_master').select('name', 'sql').where({ type: 'trigger', tbl_name: 'audit_log' })) as Array<{ name: string; sql: string }>;
    for (const t of triggers) await trx.raw(`drop trigger "${t.name}"`);
    await trx('audit_log').del();
    for (const t of triggers) await trx.raw(t.sql);
  });
}
