import type { Knex } from 'knex';
import { ENTRIES_TABLE, HEADS_TABLE, ITEMS_TABLE, appendEntries } from '../src/registry/log-store.js';

// SPEC §9: the registry log — entries (gapless numbers, their canonical bytes), items
// (content-addressed canonical bytes) and tree heads (size, root, the compact range the
// next head is computed from). Append-only for every client, as the audit trail is (a row
// trigger; TRUNCATE by a statement trigger on PostgreSQL). Then the genesis: one entry per
// record already stored, agencies then services, each in code order, actor `migration`,
// the migration's time; the items keep each record's updated_at. Through the same append
// as every later run, so the genesis cannot be built differently from what follows it.

const MESSAGE = 'the registry log is append-only: rows are never updated or deleted';
const TABLES = [ENTRIES_TABLE, ITEMS_TABLE, HEADS_TABLE];

export async function up(knex: Knex): Promise<void> {
  const pg = knex.client.config.client === 'pg';
  await knex.schema.createTable(ITEMS_TABLE, (t) => {
    t.text('hash').primary();
    t.text('bytes').notNullable();
  });
  await knex.schema.createTable(ENTRIES_TABLE, (t) => {
    t.bigInteger('number').primary();
    t.text('timestamp').notNullable();
    t.text('actor').notNullable();
    t.text('entity').notNullable();
    t.text('key').notNullable();
    t.text('op').notNullable();
    t.text('item');
    t.text('bytes').notNullable();
    t.index(['entity', 'key', 'number']);
    t.index(['timestamp']);
    t.check(`number >= 1`);
    t.check(`op in ('put', 'delete')`);
    t.check(`(op = 'put') = (item is not null)`);
  });
  await knex.schema.createTable(HEADS_TABLE, (t) => {
    t.bigInteger('size').primary();
    t.text('root').notNullable();
    t.text('state').notNullable();
    t.text('created_at').notNullable();
  });
  if (pg) {
    await knex.raw(`create function egovctl_registry_log_append_only() returns trigger language plpgsql as $$
      begin
        raise exception '${MESSAGE}' using errcode = 'insufficient_privilege';
      end $$`);
    for (const t of TABLES) {
      await knex.raw(`create trigger ${t}_append_only before update or delete on ${t} for each row execute function egovctl_registry_log_append_only()`);
      await knex.raw(`create trigger ${t}_no_truncate before truncate on ${t} for each statement execute function egovctl_registry_log_append_only()`);
    }
  } else {
    for (const t of TABLES) {
      await knex.raw(`create trigger ${t}_no_update before update on ${t} begin select raise(abort, '${MESSAGE}'); end`);
      await knex.raw(`create trigger ${t}_no_delete before delete on ${t} begin select raise(abort, '${MESSAGE}'); end`);
    }
  }
  await appendEntries(knex, [
    { entity: 'agencies', deletes: [], puts: { all: true } },
    { entity: 'services', deletes: [], puts: { all: true } },
  ], { timestamp: new Date().toISOString(), actor: 'migration' });
}

export async function down(knex: Knex): Promise<void> {
  // The history goes with the tables: `migrate rollback` says so and writes the log file first.
  const pg = knex.client.config.client === 'pg';
  for (const t of TABLES) await knex.schema.dropTableIfExists(t);
  if (pg) await knex.raw('drop function if exists egovctl_registry_log_append_only()');
}
