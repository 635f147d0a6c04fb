import type { DialectTarget as Target } from './dialect/types.js';

// What to check next when a PostgreSQL server cannot be reached (issue 13.10; the pg
// adapter's connectionHints): the host and port that were tried, whether a server is
// there, and where the URL came from — the password is never in it (Target.displayUrl is
// redacted).

interface DriverError {
  code?: string;
  address?: string;
  port?: number;
  hostname?: string;
  message?: string;
  errors?: DriverError[];
}

function hostPort(target: Target, e: DriverError): string {
  if (e.address && e.port) return `${e.address}:${e.port}`;
  try {
    const u = new URL(target.displayUrl);
    return `${u.hostname || 'localhost'}:${u.port || '5432'}`;
  } catch {
    return 'the server';
  }
}

/** Hint lines for a connection that failed; none when there is nothing useful to add. */
export function connectionHints(target: Target, err: unknown): string[] {
  const e = (err ?? {}) as DriverError;
  // node-postgres reports a host with several addresses as an AggregateError
  const first = e.code ? e : e.errors?.find((x) => x.code) ?? e;
  const where = hostPort(target, first);
  const from = `- the URL ${target.displayUrl} came from ${target.source}: is it the right one? (--db, --target, or the config file)`;
  switch (first.code) {
    case 'ECONNREFUSED':
      return [`- nothing accepts connections at ${where}: is the PostgreSQL server up, and listening there (pg_isready -h ${where.replace(/:(\d+)$/, ' -p $1')})?`, from];
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return [`- the host name ${first.hostname ?? where} was not found: check its spelling, and this machine's DNS`, from];
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return [`- no answer from ${where}: is the host up, and does a firewall let this machine reach that port?`, from];
    case '28P01':
    case '28000':
      return [`- the server at ${where} refused the login: check the user and its password${target.passwordEnv ? ` (environment variable ${target.passwordEnv})` : ''}`, from];
    case '3D000':
      return [`- the server at ${where} has no such database: create it, or fix the database name in the URL`, from];
    default:
      return /timeout/i.test(first.message ?? '') ? [`- no answer from ${where} in time: is the server up and reachable?`, from] : [];
  }
}
