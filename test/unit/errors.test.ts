import { expect, test } from 'vitest';
import { ConflictError, DataError, DatabaseError, InterruptedError, NotConfirmedError, UsageError, toEgovError } from '../../src/errors.js';

// SPEC §5: stable exit codes; anything unexpected is exit 1 and says it is a bug.

test('each kind of failure has its exit code', () => {
  expect([new UsageError('x'), new DataError('x'), new NotConfirmedError('x'), new DatabaseError('x'), new ConflictError('x')].map((e) => [e.exitCode, e.kind]))
    .toEqual([[2, 'usage'], [3, 'data'], [4, 'not-confirmed'], [5, 'database'], [6, 'conflict']]);
  expect(new InterruptedError('SIGINT').exitCode).toBe(130);
  expect(new InterruptedError('SIGTERM').exitCode).toBe(143);
});

test('an unexpected error is exit 1 and says it is a bug, keeping the cause', () => {
  const cause = new TypeError("Cannot read properties of undefined (reading 'code')");
  const e = toEgovError(cause);
  expect(e.exitCode).toBe(1);
  expect(e.message).toBe("internal error (this is a bug in egovctl, please report it): Cannot read properties of undefined (reading 'code')");
  expect(e.cause).toBe(cause);
  const known = new ConflictError('locked');
  expect(toEgovError(known)).toBe(known);
});
