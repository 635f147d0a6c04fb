import { spawn } from 'node:child_process';
import { BIN, ROOT } from './cli.js';

// Drives the built binary through a real pseudo-terminal (no node-pty here): python3's
// pty module forks the binary with standard input and standard error on the terminal —
// so prompts are really asked — and standard output on a pipe, kept apart as in runCli.
// The bridge forwards SIGINT/SIGTERM it receives to the binary, exits with its code
// (128+n when a signal killed it), and gives the terminal 120 columns.

const BRIDGE = String.raw`
import os, pty, sys, select, signal, fcntl, termios, struct
argv = sys.argv[1:]
out_r, out_w = os.pipe()
pid, master = pty.fork()
if pid == 0:
    os.dup2(out_w, 1)
    os.close(out_r); os.close(out_w)
    os.execvp(argv[0], argv)
os.close(out_w)
fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 120, 0, 0))
def forward(sig, _frame):
    try: os.kill(pid, sig)
    except ProcessLookupError: pass
signal.signal(signal.SIGINT, forward)
signal.signal(signal.SIGTERM, forward)
fds = {master: 2, out_r: 1, 0: None}
status = None
while True:
    if status is None:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done: status = st
    try:
        ready, _, _ = select.select(list(fds), [], [], 0.05)
    except InterruptedError:
        continue
    for fd in ready:
        try: data = os.read(fd, 65536)
        except OSError: data = b''
        if not data:
            del fds[fd]
            continue
        if fd == 0: os.write(master, data)
        else: os.write(fds[fd], data)
    if status is not None and not ready:
        break
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
`;

export interface PtyStep {
  /** wait until the terminal shows this (ANSI codes stripped) */
  expect: RegExp;
  /** then type this (use \r for Enter) */
  send?: string;
  /** or send this signal to the binary */
  signal?: 'SIGINT' | 'SIGTERM';
}

export interface PtyResult {
  code: number | null;
  /** what the terminal showed: standard error, prompts and the echo of what was typed */
  terminal: string;
  /** the same with its escape codes, to check colour */
  raw: string;
  stdout: string;
}

export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]|\x1b[=>]/g, '');
}

export function runPty(args: string[], steps: PtyStep[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<PtyResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', BRIDGE, process.execPath, BIN, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { TERM: 'xterm-256color', ...(opts.env ?? { PATH: process.env.PATH }) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let terminal = '';
    let stdout = '';
    let step = 0;
    let seen = 0;
    const advance = () => {
      while (step < steps.length) {
        const s = steps[step]!;
        const shown = stripAnsi(terminal);
        const m = s.expect.exec(shown.slice(seen));
        if (!m) return;
        seen += m.index + m[0].length;
        step++;
        if (s.send !== undefined) child.stdin.write(s.send);
        if (s.signal) child.kill(s.signal);
      }
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      terminal += d;
      advance();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pty: timed out at step ${step} waiting for ${steps[step]?.expect}; the terminal showed:\n${stripAnsi(terminal)}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (step < steps.length) {
        reject(new Error(`pty: the binary ended (exit ${code}) at step ${step}, before ${steps[step]!.expect}; the terminal showed:\n${stripAnsi(terminal)}`));
        return;
      }
      resolve({ code, terminal: stripAnsi(terminal), raw: terminal, stdout });
    });
  });
}
