import type { Knex } from 'knex';

// SPEC §7: the audit trail is never updated or deleted. The tool only inserts, but a
// trigger makes the promise hold for every other client too (psql, a reporting job).
// DROP TABLE is not stopped by row triggers: `db reset` still removes the table, after
// its own confirmation.

const MESSAGE = 'audit_log is append-only: rows are never updated or deleted';

export async function up(knex: Knex): Promise<void> {
  if (knex.client.config.client === 'pg') {
    await knex.raw(`create function egovctl_audit_append_only() returns trigger language plpgsql as $$
      begin
        raise exception '${MESSAGE}' using errcode = 'insufficient_privilege';
      end $$`);
    await knex.raw(`create trigger audit_log_append_only before update or delete on audit_log
      for each row execute function egovctl_audit_append_only()`);
    // TRUNCATE fires no row trigger; a statement trigger covers it.
    await knex.raw(`create trigger audit_log_no_truncate before truncate on audit_log
      for each statement execute function egovctl_audit_append_only()`);
    return;
  }
  await knex.raw(`create trigger audit_log_no_update before update on audit_log
    begin select raise(abort, '${MESSAGE}'); end`);
  await knex.raw(`create trigger audit_log_no_delete before delete on audit_log
    begin select raise(abort, '${MESSAGE}'); end`);
}

export async function down(knex: Knex): Promise<void> {
  if (knex.client.config.client === 'pg') {
    await knex.raw('drop trigger if exists audit_log_no_truncate on audit_log');
    await knex.raw('drop trigger if exists audit_log_append_only on audit_log');
    await knex.raw('drop function if exists egovctl_audit_append_only()');
    return;
  }
  await knex.raw('drop trigger if exists audit_log_no_delete');
  await knex.raw('drop trigger if exists audit_log_no_update');
}
