import type { Db } from '../../src/db/connect.js';

/** Runs plain SQL on audit_log with its append-only trigger dropped (as a superuser could), then puts it back. */
export async function tamperAudit(db: Db, statements: Array<[string, unknown[]?]>): Promise<void> {
  await db.knex.transaction(async (trx) => {
    const pg = db.dialect === 'pg';
    const triggers = pg ? [] : ((await trx('sqlite_master').select('name', 'sql').where({ type: 'trigger', tbl_name: 'audit_log' })) as Array<{ name: string; sql: string }>);
    if (pg) await trx.raw('drop trigger audit_log_append_only on audit_log');
    else for (const t of triggers) await trx.raw(`drop trigger "${t.name}"`);
    for (const [sql, b] of statements) await trx.raw(sql, (b ?? []) as never);
    if (pg) await trx.raw('create trigger audit_log_append_only before update or delete on audit_log for each row execute function egovctl_audit_append_only()');
    else for (const t of triggers) await trx.raw(t.sql);
  });
}
