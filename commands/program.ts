import { idleTimeoutOption, lockTimeoutOption, positiveInt, statementTimeoutOption } from './options.js';
import { Command, CommanderError, Option } from 'commander';
import { redact } from '../src/config/redact.js';
import { setDbTimeouts } from '../src/db/timeouts.js';
import { commitPhase } from '../src/db/guarded-tx.js';
import { EgovError, InterruptedError, toEgovError } from '../src/errors.js';
import { writeJson } from '../src/output/json.js';
import type { Prompter } from '../src/prompts/prompter.js';
import { toolVersion } from '../src/version.js';
import type { Bind } from './bind.js';
import type { Ctx, GlobalOptions } from './context.js';
import { registerAudit } from './audit.js';
import { registerCompletion } from './completion.js';
import { registerConfig } from './config.js';
import { registerDb } from './db.js';
import { registerDoctor } from './doctor.js';
import { registerExport } from './export.js';
import { registerImport } from './import.js';
import { registerMigrate } from './migrate.js';
import { registerRegistry } from './registry.js';
import { registerReport } from './report.js';
import { registerValidate } from './validate.js';


export const EXIT_CODES: ReadonlyArray<[number, string]> = [
  [0, 'success'],
  [1, 'unexpected internal error (a bug: the message says so)'],
  [2, 'usage error: unknown option, bad argument, bad configuration'],
  [3, 'invalid data: validation errors; an import wrote nothing'],
  [4, 'not confirmed: a destructive operation was declined, or had no --yes where no one can answer'],
  [5, 'database unreachable, or a database error'],
  [6, 'conflict: a lock is held, an applied migration was modified, migrations are pending'],
  [130, 'interrupted (SIGINT); 143 for SIGTERM'],
];


export interface MainOptions {
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  stdin?: NodeJS.ReadableStream;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  prompter?: Prompter;
  /** install SIGINT/SIGTERM handlers (the real binary does) */
  signals?: boolean;
}

export function buildProgram(bind: Bind, out?: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Command {
  const program = new Command();
  if (out) {
    // before any subcommand exists: commander copies these settings into each new one
    program.configureOutput({
      writeOut: (s) => out.stdout.write(s),
      writeErr: (s) => out.stderr.write(redact(s)),
      outputError: (s, write) => write(s),
    });
  }
  program
    .name('egovctl')
    .description('Administer e-government agency databases: migrate the schema, import, validate and export agencies and the Unified Register of Electronic Public Services.')
    .version(toolVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .option('--db <url>', 'database URL: postgres://…, postgresql://… or sqlite:<path>')
    .option('-t, --target <names>', 'target(s) from the config file, comma-separated')
    .option('--all-targets', 'every target of the config file')
    .option('--config <path>', 'config file (default: the first of ./egovctl.config.json, ~/.config/egovctl/config.json, /etc/egovctl/config.json)')
    .option('--json', 'machine-readable JSON on standard output')
    .option('-q, --quiet', 'nothing on success: no logs, no progress, no human report (data and --json stay); errors still on standard error')
    .option('-v, --verbose', 'more detail on standard error (stack traces, SQL)')
    .option('--no-color', 'no colour, even on a terminal (prompts included)')
    .option('-y, --yes', 'go ahead with destructive operations without asking')
    .addOption(new Option('--concurrency <n>', 'targets worked on at once (several targets)').argParser(positiveInt('--concurrency')).default(4))
    .option('--fail-fast', 'stop at the first failing target (several targets)')
    .addOption(lockTimeoutOption('wait at most this long for another session\'s lock, then exit 6 naming the holder (0: no limit)'))
    .addOption(statementTimeoutOption())
    .addOption(idleTimeoutOption())
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true })
    .addHelpText('after', () => [
      '',
      'Configuration (highest first): flags; EGOVCTL_DATABASE_URL, DATABASE_URL, EGOVCTL_TARGET,',
      'EGOVCTL_CONFIG; the config file (--config, else EGOVCTL_CONFIG, else the first found of',
      './egovctl.config.json, $XDG_CONFIG_HOME/egovctl/config.json (~/.config/egovctl/config.json),',
      '/etc/egovctl/config.json); the embedded SQLite file in',
      '$XDG_DATA_HOME/egovctl/egovctl.sqlite (else ~/.local/share/egovctl/egovctl.sqlite).',
      '',
      'Output: colour only on a terminal, decided for standard output and standard error each;',
      'tables fit the terminal. Into a pipe, the list commands (registry list, audit list,',
      'migrate status, config show) print tab-separated lines under a header line.',
      '',
      'Exit codes:',
      ...EXIT_CODES.map(([c, m]) => `  ${String(c).padStart(3)}  ${m}`),
      '',
      'Examples:',
      '  egovctl migrate latest && egovctl doctor',
      '  egovctl --db postgres://egov@db1/registry import services reg.csv',
      '  egovctl export services --format csv --out /srv/open-data/services.csv --manifest',
    ].join('\n'));

  registerDoctor(program, bind);
  registerConfig(program, bind);
  registerMigrate(program, bind);
  registerImport(program, bind);
  registerValidate(program, bind);
  registerExport(program, bind);
  registerRegistry(program, bind);
  registerReport(program, bind);
  registerDb(program, bind);
  registerAudit(program, bind);
  registerCompletion(program, bind);
  return program;
}

/**
 * `egovctl help migrate rollback` is `egovctl migrate rollback --help`: commander's help
 * command looks at one word only.
 */
export function helpWords(argv: string[]): string[] {
  const i = argv.findIndex((a, k) => k >= 2 && !a.startsWith('-'));
  if (i < 0 || argv[i] !== 'help' || argv.length - i < 3) return argv;
  return [...argv.slice(0, i), ...argv.slice(i + 1), '--help'];
}

/** The command path ("migrate latest") and the words typed after it, for the audit trail. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c && c.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

export async function main(argv: string[], mo: MainOptions = {}): Promise<number> {
  const stdout = mo.stdout ?? process.stdout;
  const stderr = mo.stderr ?? process.stderr;
  const env = mo.env ?? process.env;
  const controller = new AbortController();
  let exitCode = 0;
  let ctx: Ctx | undefined;
  let stdoutError: NodeJS.ErrnoException | null = null;
  const wantsJson = argv.includes('--json');

  // process.exit() waits for the thread pool, and a thread blocked in open() on a FIFO
  // with no writer never comes back: the process would hang. Ending by the signal's own
  // default action always works, and the shell sees 130 (SIGINT) or 143 (SIGTERM).
  const dieBy = (signal: 'SIGINT' | 'SIGTERM') => {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  };
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    if (controller.signal.aborted) {
      // A second interrupt always ends the process, whatever it is waiting for.
      if (commitPhase(controller.signal) === 'committing') {
        stderr.write(`error: interrupted again by ${signal} while COMMIT was in progress: whether it was committed is not known; check with egovctl audit list / registry list\n`);
      } else if (commitPhase(controller.signal) === 'open') {
        stderr.write(`error: interrupted again by ${signal}: stopped at once; nothing was committed (the server rolls back an unfinished transaction when its connection closes)\n`);
      }
      dieBy(signal);
      return;
    }
    // Before COMMIT this rolls back (the running statement is cancelled: db/guarded-tx.ts);
    // after it, the command finishes and says the interrupt came too late.
    controller.abort(new InterruptedError(signal, `interrupted by ${signal}; what was in progress was rolled back`));
    // The last resort, should the unwind not end (a server that does not answer): close
    // every connection — which rolls back whatever is still open — and leave. Never while
    // COMMIT is on its way, nor after it.
    const lastResort = () => {
      if (commitPhase(controller.signal) !== 'open') return;
      stderr.write(`error: interrupted by ${signal}; the rollback did not finish in time, the connections were closed (the server rolls back what was open)\n`);
      // connect.js is loaded by then: a connection is open only once it was
      const closing = import('../src/db/connect.js').then(({ openDatabases }) => Promise.allSettled([...openDatabases()].map((k) => k.destroy())));
      void Promise.race([closing, new Promise((r) => setTimeout(r, 3000))]).then(() => dieBy(signal));
    };
    setTimeout(lastResort, 15_000).unref();
  };
  if (mo.signals) {
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    // `egovctl … | head`: the reader went away. Nothing more can be said on standard output,
    // but the command still ends as it should — an export records its audit row, saying that
    // the reader closed the pipe — rather than the process leaving at once. Any other write
    // error (a full disk) makes the command fail with exit 2.
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') stdoutError ??= err;
    });
  }

  const bind: Bind = (handler) => async (...args: any[]) => {
    const cmd = args[args.length - 1] as Command;
    const opts = cmd.optsWithGlobals() as GlobalOptions & { lockTimeout?: number; statementTimeout?: number; idleTimeout?: number };
    setDbTimeouts({ lock: opts.lockTimeout, statement: opts.statementTimeout, idle: opts.idleTimeout });
    // each stream's colour from that stream: `egovctl doctor > f` on a terminal writes no
    // escape codes into f, and still colours its warnings on the terminal
    // what a command needs is loaded when it runs, not for --help (issue 18, start-up)
    const [{ createCtx }, { makePaint, wantColor }] = await Promise.all([import('./context.js'), import('../src/output/paint.js')]);
    const errColor = wantColor(stderr, opts.color !== false, env);
    ctx = createCtx({
      opts,
      paint: await makePaint(wantColor(stdout as { isTTY?: boolean }, opts.color !== false, env)),
      errPaint: await makePaint(errColor),
      promptColor: errColor,
      stdout,
      stderr,
      stdin: mo.stdin ?? process.stdin,
      signal: controller.signal,
      env,
      cwd: mo.cwd ?? process.cwd(),
      ...(mo.prompter ? { prompter: mo.prompter } : {}),
    });
    ctx.command = commandPath(cmd);
    const words = ctx.command.split(' ');
    // what followed the command's own words on the command line (options included)
    let i = 0;
    const tail: string[] = [];
    for (const a of argv.slice(2)) {
      if (i < words.length && a === words[i]) {
        i++;
        continue;
      }
      if (i >= words.length) tail.push(a);
    }
    ctx.args = tail.map((a) => redact(a));
    const code = await handler(ctx, ...args.slice(0, -1));
    exitCode = typeof code === 'number' ? code : 0;
  };

  const program = buildProgram(bind, { stdout, stderr });
  try {
    if (argv.length <= 2) {
      program.outputHelp({ error: true });
      return 2;
    }
    await program.parseAsync(helpWords(argv));
    if (controller.signal.aborted) {
      if (commitPhase(controller.signal) !== 'committed') throw controller.signal.reason;
      const sig = (controller.signal.reason as InterruptedError).signal;
      stderr.write(`warning: the interrupt (${sig}) came after COMMIT was sent: it was not acted on; what is reported above was committed\n`);
    }
    // a failed write to a file or device is reported on the next tick: let it arrive
    if (mo.signals) await new Promise((r) => setImmediate(r));
    if (stdoutError && exitCode < 2) throw (await import('../src/io/atomic-file.js')).outputError('standard output', stdoutError);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // a group command without its subcommand (`egovctl migrate`) shows its help on
      // standard error as a usage error; `--help` and `egovctl help …` are success
      if (err.code === 'commander.help') return err.exitCode === 0 ? 0 : 2;
      if (['commander.helpDisplayed', 'commander.version'].includes(err.code)) return 0;
      if (err.code.startsWith('egovctl.') ) stderr.write(`error: ${err.message}\n`);
      if (wantsJson) writeJson(stdout, { error: { exit_code: 2, kind: 'usage', message: err.message.replace(/^error: /, '') } });
      return 2;
    }
    const e = controller.signal.aborted && !(err instanceof EgovError) ? (controller.signal.reason as EgovError) : toEgovError(err);
    const verbose = ctx?.opts.verbose ?? argv.includes('--verbose') ?? argv.includes('-v');
    const paint = ctx?.errPaint;
    stderr.write(redact(`${paint ? paint.red('error:') : 'error:'} ${e.message}\n`));
    for (const d of e.details) stderr.write(redact(`  ${d}\n`));
    if (verbose || e.exitCode === 1) {
      const stack = (e.cause as Error | undefined)?.stack ?? e.stack;
      if (stack && verbose) stderr.write(redact(`${stack}\n`));
    }
    if ((wantsJson || ctx?.opts.json) && !ctx?.reported) {
      // every problem, not only the headline ("has 7 problems:"): as a list, and in the
      // message as standard error shows it
      const problems = e.details.map((d) => redact(d.replace(/^\s*- /, '')));
      const message = [e.message, ...e.details.map((d) => `  ${d}`)].join('\n');
      writeJson(stdout, { error: { exit_code: e.exitCode, kind: e.kind, message, ...(problems.length ? { problems } : {}) } });
    }
    return e.exitCode;
  }
}
