import type { Target } from '../src/config/resolve.js';
import type { Db } from '../src/db/connect.js';
import { EgovError, InterruptedError, toEgovError } from '../src/errors.js';
import { writeJson } from '../src/output/json.js';
import type { Ctx } from './context.js';

export interface DbRunOptions {
  /**
   * write an audit row with this command's outcome (SPEC §7); 'unless-ok' records only a
   * command that did not happen (db reset: on success the audit table is gone)
   */
  audit?: boolean | 'unless-ok';
  /** the schema must be at the latest migration (exit 6 otherwise) */
  schema?: boolean;
  readOnly?: boolean;
}

export interface Counted<R> {
  result: R;
  counts?: Record<string, unknown>;
  /** for the audit row of a command that ended well but not as usual (an export cut short by its reader) */
  message?: string;
}

/**
 * Connects to one target, runs fn, and — for commands that write, and exports — records
 * the outcome in the audit trail whatever it was (ok, failed, refused, interrupted).
 */
export async function runOnDb<R>(ctx: Ctx, target: Target, fn: (db: Db) => Promise<Counted<R>>, opts: DbRunOptions = {}): Promise<R> {
  // loaded here, not with the command files: `egovctl --help` needs none of them (issue 18)
  const [{ writeAudit, outcomeOf, exitCodeOf }, { classifyDbError, describeTarget, withDb }, { requireSchema }] = await Promise.all([
    import('../src/audit/audit.js'), import('../src/db/connect.js'), import('../src/db/migrator.js'),
  ]);
  return withDb(target, async (db) => {
    const started = new Date().toISOString();
    let counts: Record<string, unknown> = {};
    let note: string | null = null;
    let error: unknown;
    try {
      if (opts.schema) await requireSchema(db);
      const out = await fn(db);
      counts = out.counts ?? {};
      note = out.message ?? null;
      return out.result;
    } catch (err) {
      // classified here, so that the audit row records the exit code the user gets
      error = ctx.signal.aborted && !(err instanceof EgovError) ? ctx.signal.reason : await classifyDbError(db, err);
      if ((err as { counts?: Record<string, unknown> })?.counts) counts = (err as { counts: Record<string, unknown> }).counts;
      throw error;
    } finally {
      if (opts.audit === true || (opts.audit === 'unless-ok' && error !== undefined)) {
        const reason = await writeAudit(db, {
          command: ctx.command,
          args: ctx.args,
          target: describeTarget(target),
          started_at: started,
          finished_at: new Date().toISOString(),
          outcome: outcomeOf(error),
          exit_code: exitCodeOf(error),
          counts,
          message: error ? (error as Error).message : note,
        });
        if (reason) ctx.logger.warn(`no audit row was written on target ${target.name}: ${reason}`);
      }
    }
  }, { readOnly: opts.readOnly });
}

export interface TargetResult<R> {
  target: string;
  ok: boolean;
  exit_code: number;
  result?: R;
  error?: { exit_code: number; kind: string; message: string };
}

/**
 * Runs a command over the chosen targets. One target: its result is the document (or the
 * human report). Several: each is isolated, up to --concurrency at once, and the JSON is
 * {"targets": [...]} of SPEC §8; the exit code is the highest of the targets'.
 * `fn` returns the result and the exit code it implies (a doctor report of an unreachable
 * server is a result with exit 5).
 */
export async function runTargets<R>(
  ctx: Ctx,
  fn: (target: Target) => Promise<{ result: R; exitCode?: number }>,
  present: (result: R, target: Target) => void | Promise<void>,
  how: { list?: boolean } = {},
): Promise<number> {
  const targets = ctx.config().targets;
  if (targets.length === 1) {
    const out = await fn(targets[0]!);
    if (ctx.opts.json) {
      writeJson(ctx.stdout, out.result);
      ctx.reported = true;
    } else await present(out.result, targets[0]!);
    return out.exitCode ?? 0;
  }
  const limit = Math.max(1, ctx.opts.concurrency ?? 4);
  const results: TargetResult<R>[] = new Array(targets.length);
  let next = 0;
  let stop = false;
  const worker = async () => {
    while (!stop && next < targets.length && !ctx.signal.aborted) {
      const i = next++;
      const t = targets[i]!;
      try {
        const out = await fn(t);
        const code = out.exitCode ?? 0;
        results[i] = { target: t.name, ok: code === 0, exit_code: code, result: out.result };
      } catch (err) {
        if (err instanceof InterruptedError) throw err;
        const e = toEgovError(err);
        results[i] = { target: t.name, ok: false, exit_code: e.exitCode, error: { exit_code: e.exitCode, kind: e.kind, message: e.message } };
      }
      if (ctx.opts.failFast && !results[i]!.ok) stop = true;
      if (!ctx.opts.json) {
        const r = results[i]!;
        // tab-separated listings carry a target column instead of a heading between targets
        if (!(how.list && ctx.tsv)) ctx.report.write(`${ctx.paint.bold(`== target ${t.name} (${t.displayUrl}): ${r.ok ? ctx.paint.green('ok') : ctx.paint.red(`exit ${r.exit_code}`)}`)}\n`);
        if (r.result !== undefined) await present(r.result, t);
        if (r.error) ctx.logger.error(`target ${t.name}: ${r.error.message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, targets.length) }, worker));
  if (ctx.signal.aborted) throw ctx.signal.reason;
  const done = Array.from(results, (r, i) => r ?? { target: targets[i]!.name, ok: false, exit_code: 0, error: { exit_code: 0, kind: 'skipped', message: 'not run: --fail-fast stopped after an earlier failure' } });
  if (ctx.opts.json) {
    writeJson(ctx.stdout, { targets: done });
    ctx.reported = true;
  } else {
    const { renderTable } = await import('../src/output/table.js');
    const table = `${renderTable(['target', 'ok', 'exit', 'message'], done.map((r) => [r.target, r.ok ? 'yes' : 'no', r.exit_code, r.error?.message ?? '']), { width: ctx.width, wrapLast: true })}\n`;
    // under --quiet (ctx.report goes nowhere) and after a tab-separated listing, the summary
    // is not data: a listing keeps it on standard error
    if (how.list && ctx.tsv) {
      if (!ctx.opts.quiet) ctx.stderr.write(table);
    } else ctx.report.write(table);
  }
  return Math.max(0, ...done.map((r) => r.exit_code));
}
