import type { Dialect } from '../../config/url.js';
import type { ImportDialect } from '../dialect.js';
import { pgImport } from './pg.js';
import { sqliteImport } from './sqlite.js';

// The import's adapter of each dialect (dialect.ts), chosen once per import.

const ADAPTERS: Readonly<Record<Dialect, ImportDialect>> = { pg: pgImport, sqlite: sqliteImport };

export function importDialect(name: Dialect): ImportDialect {
  return ADAPTERS[name];
}
