// One small hierarchy, mapped to the exit codes of SPEC.md §5 in one place
// (commands/program.ts). Messages are written for the person at the terminal.

export type ErrorKind =
  | 'internal'
  | 'usage'
  | 'data'
  | 'not-confirmed'
  | 'database'
  | 'conflict'
  | 'interrupted';

export abstract class EgovError extends Error {
  abstract readonly exitCode: number;
  abstract readonly kind: ErrorKind;
  /** extra lines shown under the message (hints, every problem of a config file) */
  readonly details: readonly string[];

  constructor(message: string, options?: { cause?: unknown; details?: readonly string[] }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options?.details ?? [];
  }
}

/** 2: unknown option, bad argument, bad configuration. */
export class UsageError extends EgovError {
  readonly exitCode = 2;
  readonly kind = 'usage';
}

/** 3: invalid data; an import wrote nothing. */
export class DataError extends EgovError {
  readonly exitCode = 3;
  readonly kind = 'data';
}

/** 4: a destructive operation was declined, or had no --yes where no one can answer. */
export class NotConfirmedError extends EgovError {
  readonly exitCode = 4;
  readonly kind = 'not-confirmed';
}

/** 5: database unreachable, or a database error. */
export class DatabaseError extends EgovError {
  readonly exitCode = 5;
  readonly kind = 'database';
}

/** 6: a lock is held, an applied migration was modified, migrations are pending. */
export class ConflictError extends EgovError {
  readonly exitCode = 6;
  readonly kind = 'conflict';
}

/** 130 (SIGINT) or 143 (SIGTERM). */
export class InterruptedError extends EgovError {
  readonly kind = 'interrupted';
  readonly exitCode: number;
  constructor(readonly signal: 'SIGINT' | 'SIGTERM' = 'SIGINT', message?: string) {
    super(message ?? `interrupted by ${signal}`);
    this.exitCode = signal === 'SIGTERM' ? 143 : 130;
  }
}

/** 1: a bug. The top level says so. */
export class InternalError extends EgovError {
  readonly exitCode = 1;
  readonly kind = 'internal';
}

const LOST_CODES = /^(ECONNRESET|ECONNREFUSED|ECONNABORTED|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENETDOWN|EHOSTDOWN|ENOTFOUND|EAI_AGAIN|57P0[1-3]|08\d\d\d)$/;
const LOST_MESSAGES = /Connection terminated|connection error and is not queryable|Query read timeout|timeout exceeded when trying to connect|Connection ended|terminating connection|server closed the connection|Client was closed and is not queryable|Timeout acquiring a connection/i;

/**
 * A lost or unusable connection to the database (node-postgres, its socket, the server
 * shutting down): exit 5, never "a bug" (SPEC §5).
 */
export function isConnectionLoss(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; name?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string' && LOST_CODES.test(e.code)) return true;
  if (e.name === 'KnexTimeoutError') return true;
  return typeof e.message === 'string' && LOST_MESSAGES.test(e.message);
}

export function toEgovError(err: unknown): EgovError {
  if (err instanceof EgovError) return err;
  if (isConnectionLoss(err)) {
    return new DatabaseError(`the connection to the database was lost: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new InternalError(`internal error (this is a bug in egovctl, please report it): ${message}`, { cause: err });
}
