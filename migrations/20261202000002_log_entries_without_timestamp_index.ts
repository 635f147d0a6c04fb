import type { Knex } from 'knex';
import { ENTRIES_TABLE } from '../src/registry/log-store.js';

// The registry log's entries lose their index on `timestamp`. It served one query — the size
// of the log at a moment (`export --as-of`) — which the tree heads answer as well: every run
// that appends stores a head of its own timestamp and last number, so the last entry at or
// before a moment is the largest head size at or before it (src/export/log-source.ts). The
// index cost every append: 0.7 s of server time in a first load of 200,000 services, about
// an eighth of the whole load. Nothing is lost; `migrate down` builds it again.

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable(ENTRIES_TABLE, (t) => t.dropIndex(['timestamp']));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable(ENTRIES_TABLE, (t) => t.index(['timestamp']));
}
