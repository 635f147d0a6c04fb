import { Writable } from 'node:stream';
import { resolveConfig, type ResolvedConfig, type Target } from '../src/config/resolve.js';
import { UsageError } from '../src/errors.js';
import { setDbTimeouts } from '../src/db/connect.js';
import { createLogger, type Logger, type Paint } from '../src/output/logger.js';
import { outputWidth } from '../src/output/table.js';
import { createPrompter, type Prompter } from '../src/prompts/prompter.js';

// What every command handler receives: the global options, where to write, how to ask,
// and the signal that an interrupt fires.

export interface GlobalOptions {
  db?: string;
  target?: string;
  allTargets?: boolean;
  config?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  color?: boolean;
  yes?: boolean;
  concurrency?: number;
  failFast?: boolean;
}

export interface Ctx {
  readonly opts: GlobalOptions;
  readonly logger: Logger;
  /** colours for standard output, decided from standard output (SPEC §5) */
  readonly paint: Paint;
  /** colours for standard error, decided from standard error */
  readonly errPaint: Paint;
  /** data: listings, exported records, the --json document */
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /**
   * human reports on standard output (import's report, migrate's line, validate's table):
   * with --quiet (and no --json) they go nowhere, so a successful cron run prints nothing
   */
  readonly report: NodeJS.WritableStream;
  /** the width a table may take: the terminal's columns, else $COLUMNS, else 80 */
  readonly width: number;
  /** standard output is not a terminal: list commands print tab-separated lines */
  readonly tsv: boolean;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream;
  readonly prompter: Prompter;
  readonly signal: AbortSignal;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** the command path ("migrate latest") and its arguments as typed, for the audit trail */
  command: string;
  args: string[];
  /** set once a command has printed its own JSON report, so a failure adds no second document */
  reported: boolean;
  config(): ResolvedConfig;
  /** the one target of a command that takes exactly one (exit 2 otherwise) */
  singleTarget(): Target;
}

export interface CtxInit {
  opts: GlobalOptions;
  paint: Paint;
  errPaint?: Paint;
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream;
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  cwd: string;
  prompter?: Prompter;
  /** colour in the prompts (--no-color, NO_COLOR and a non-terminal standard error say no) */
  promptColor?: boolean;
}

/** Takes everything and says nothing: where reports go under --quiet. */
function sink(): NodeJS.WritableStream {
  return new Writable({ write: (_c, _e, cb) => cb() });
}

export function createCtx(init: CtxInit): Ctx {
  const level = init.opts.quiet ? 'quiet' : init.opts.verbose ? 'verbose' : 'normal';
  let config: ResolvedConfig | undefined;
  const ctx: Ctx = {
    opts: init.opts,
    logger: createLogger(init.stderr, level, init.errPaint ?? init.paint),
    paint: init.paint,
    errPaint: init.errPaint ?? init.paint,
    stdout: init.stdout,
    report: init.opts.quiet && !init.opts.json ? sink() : init.stdout,
    width: outputWidth(init.stdout, init.env),
    tsv: !init.stdout.isTTY,
    stderr: init.stderr,
    stdin: init.stdin,
    prompter: init.prompter ?? createPrompter({ input: init.stdin, output: init.stderr, signal: init.signal, color: init.promptColor ?? false }),
    signal: init.signal,
    env: init.env,
    cwd: init.cwd,
    command: '',
    args: [],
    reported: false,
    config() {
      config ??= resolveConfig(
        { db: init.opts.db, target: init.opts.target, allTargets: init.opts.allTargets, config: init.opts.config },
        init.env,
        init.cwd,
      );
      // the config file's timeouts, where no flag set them (flags win)
      const t = config.file?.timeouts;
      if (t) {
        const o = init.opts as { lockTimeout?: number; statementTimeout?: number; idleTimeout?: number };
        setDbTimeouts({
          ...(o.lockTimeout === undefined ? { lock: t.lock } : {}),
          ...(o.statementTimeout === undefined ? { statement: t.statement } : {}),
          ...(o.idleTimeout === undefined ? { idle: t.idle } : {}),
        });
      }
      return config;
    },
    singleTarget() {
      const targets = ctx.config().targets;
      if (targets.length !== 1) {
        throw new UsageError(`egovctl ${ctx.command} works on exactly one target; ${targets.length} were chosen (${targets.map((t) => t.name).join(', ')})`, {
          details: ['- name one with --target <name> or --db <url>'],
        });
      }
      return targets[0]!;
    },
  };
  return ctx;
}
