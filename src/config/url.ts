import path from 'node:path';

export type Dialect = 'pg' | 'sqlite';

export interface ParsedUrl {
  dialect: Dialect;
  /** sqlite: absolute file path */
  file?: string;
  /** pg: the connection string as given */
  url: string;
  /** pg: the database name (what `db reset` asks to type); sqlite: the file's base name */
  database: string;
}

/**
 * postgres://…, postgresql://…, sqlite:<path> (also sqlite://<path>). A relative SQLite
 * path is resolved against `base` (the config file's directory for config targets, the
 * working directory otherwise). Returns a message instead of throwing so that config
 * parsing can report every problem at once.
 */
export function parseDbUrl(url: string, base: string): ParsedUrl | string {
  const trimmed = url.trim();
  if (/^postgres(ql)?:\/\//i.test(trimmed)) {
    let u: URL;
    try {
      u = new URL(trimmed);
    } catch {
      return `not a valid PostgreSQL URL`;
    }
    if (!u.hostname && !u.searchParams.get('host')) return 'the PostgreSQL URL names no host';
    const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username) || 'postgres';
    return { dialect: 'pg', url: trimmed, database };
  }
  if (/^sqlite:/i.test(trimmed)) {
    let p = trimmed.replace(/^sqlite:/i, '');
    if (p.startsWith('//')) p = p.slice(2);
    if (!p) return 'the sqlite: URL names no file';
    if (p === ':memory:') return 'an in-memory SQLite database keeps nothing; name a file';
    const file = path.resolve(base, p);
    return { dialect: 'sqlite', url: `sqlite:${file}`, file, database: path.basename(file) };
  }
  return 'the URL must start with postgres://, postgresql:// or sqlite:';
}
