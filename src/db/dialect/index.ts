import type { Knex } from 'knex';
import { InternalError } from '../../errors.js';
import { pgAdapter } from './pg.js';
import { sqliteAdapter } from './sqlite.js';
import type { Dialect, DialectAdapter } from './types.js';

// The dialects the tool runs on. A new one is an adapter module (types.ts's interfaces)
// registered here, and its URL scheme in config/url.ts.

export type * from './types.js';

const ADAPTERS: Readonly<Record<Dialect, DialectAdapter>> = { pg: pgAdapter, sqlite: sqliteAdapter };

/** Every registered adapter (for what is asked of an error before its database is known). */
export function adapters(): readonly DialectAdapter[] {
  return Object.values(ADAPTERS);
}

/** The adapter of a dialect (Target.dialect). */
export function dialectNamed(name: Dialect): DialectAdapter {
  return ADAPTERS[name];
}

/** The adapter of the database a knex instance or transaction is connected to. */
export function adapterOf(knex: Knex): DialectAdapter {
  const client = knex.client.config.client as string;
  const adapter = adapters().find((a) => a.knexClients.includes(client));
  if (!adapter) throw new InternalError(`internal error (this is a bug in egovctl): no dialect adapter for knex client ${client}`);
  return adapter;
}
