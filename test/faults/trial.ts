import { spawn } from 'node:child_process';
import { BIN } from '../helpers/cli.js';

// One run of the built binary that a fault-injection test interrupts: standard error is
// watched for a line, a signal is sent, and the end is awaited within a bound (then the
// process is killed and the trial counts as hung).

export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** ms from the signal sent to the process's end (null: no signal was sent) */
  afterSignalMs: number | null;
  hung: boolean;
}

export interface Running {
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<boolean>;
  send(signal: NodeJS.Signals): boolean;
  ended(boundMs?: number): Promise<Ended>;
  readonly exited: boolean;
  readonly pid: number;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv, opts: { stdin?: 'ignore' | 'pipe' } = {}): Running {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let exited = false;
  let sentAt: number | null = null;
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const w of waiters) w();
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.on('close', (code, signal) => {
      exited = true;
      for (const w of waiters) w();
      resolve({ code, signal, at: Date.now() });
    });
  });
  return {
    get exited() {
      return exited;
    },
    pid: child.pid!,
    waitFor(text, timeoutMs = 30_000) {
      const has = () => (typeof text === 'string' ? stderr.includes(text) : text.test(stderr));
      return new Promise((resolve) => {
        if (has()) return resolve(true);
        const timer = setTimeout(() => {
          waiters.delete(check);
          resolve(false);
        }, timeoutMs);
        const check = () => {
          if (has() || exited) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(has());
          }
        };
        waiters.add(check);
      });
    },
    send(signal) {
      if (exited) return false;
      sentAt = Date.now();
      return child.kill(signal);
    },
    async ended(boundMs = 20_000) {
      let hung = false;
      const timer = setTimeout(() => {
        hung = true;
        child.kill('SIGKILL');
      }, boundMs);
      const r = await done;
      clearTimeout(timer);
      return { code: r.code, signal: r.signal, stdout, stderr, afterSignalMs: sentAt === null ? null : r.at - sentAt, hung };
    },
  };
}

/** Figures of a fault run: printed by the tests, quoted in the report. */
export class Tally {
  trials = 0;
  held = 0;
  failed: string[] = [];
  constructor(readonly name: string) {}
  record(ok: boolean, why: string): void {
    this.trials++;
    if (ok) this.held++;
    else this.failed.push(why);
  }
  print(): void {
    process.stdout.write(`fault figures: ${this.name}: trials ${this.trials}, held ${this.held}, failed ${this.failed.length}${this.failed.length ? ` (${this.failed.slice(0, 5).join('; ')})` : ''}\n`);
  }
}

/** Trials per case: a few in CI, many with FAULT_TRIALS (npm run test:faults). */
export function trials(ci: number): number {
  const n = Number(process.env.FAULT_TRIALS);
  return Number.isInteger(n) && n > 0 ? n : ci;
}
