import { Writable } from 'node:stream';

// The only module that imports inquirer (STYLE 8). Everything that asks goes through a
// Prompter, so a test can hand in its own input stream, or drive a pseudo-terminal.

import { InterruptedError } from '../errors.js';

export interface Prompter {
  /** false when no one can answer: standard input is not a terminal */
  readonly canAsk: boolean;
  /** yes/no, defaulting to no */
  confirm(message: string): Promise<boolean>;
  /** the user must type `expected` exactly */
  typed(message: string, expected: string): Promise<boolean>;
}

export interface PromptStreams {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** answers may come from a non-terminal input (tests) */
  canAsk?: boolean;
  /** an interrupt ends a pending prompt: the command then ends as interrupted, not declined */
  signal?: AbortSignal;
  /** false: the prompts draw no colour (--no-color, NO_COLOR, TERM=dumb); default true */
  color?: boolean;
}

/** inquirer's theme with every colour taken out, its shapes kept. */
const PLAIN_THEME = {
  prefix: { idle: '?', done: '✔' },
  style: {
    answer: (s: string) => s,
    message: (s: string) => s,
    error: (s: string) => `> ${s}`,
    defaultAnswer: (s: string) => `(${s})`,
    help: (s: string) => s,
    highlight: (s: string) => s,
    key: (s: string) => `<${s}>`,
  },
};

/**
 * How a prompt that ended without an answer ends the command: an interrupt (a signal, or
 * Ctrl-C typed at the prompt, which a raw-mode terminal delivers as a key) is exit 130,
 * 'interrupted'; the input closing (Ctrl-D) is a no.
 */
function ended(err: unknown, signal: AbortSignal | undefined): false {
  if (signal?.aborted) throw signal.reason;
  const e = err as Error;
  if (e.name === 'ExitPromptError' && /SIGINT/.test(e.message)) throw new InterruptedError('SIGINT', 'interrupted by Ctrl-C at the prompt; nothing was changed');
  if (e.name === 'ExitPromptError' || e.name === 'AbortPromptError') return false;
  throw err;
}

export function createPrompter(streams: PromptStreams = { input: process.stdin, output: process.stderr }): Prompter {
  const canAsk = streams.canAsk ?? !!(streams.input as { isTTY?: boolean }).isTTY;
  // inquirer pipes into the output and ends it when the prompt closes; Node spares
  // process.stderr that, but not any other stream: hand it a door that does not close.
  const target = streams.output;
  const output = target === process.stderr || target === process.stdout
    ? target
    : Object.assign(new Writable({ write: (chunk, enc, cb) => { target.write(chunk, enc, cb); } }), { isTTY: (target as { isTTY?: boolean }).isTTY });
  const context = { input: streams.input as NodeJS.ReadableStream & { fd?: 0 }, output: output as NodeJS.WritableStream, clearPromptOnDone: false, ...(streams.signal ? { signal: streams.signal } : {}) };
  // inquirer colours by its own reading of the environment: without colour it gets a theme
  // that has none, so --no-color reaches the prompts as it reaches everything else
  const theme = streams.color === false ? { theme: PLAIN_THEME } : {};
  return {
    canAsk,
    async confirm(message) {
      const { confirm } = await import('@inquirer/prompts');
      try {
        return await confirm({ message, default: false, ...theme }, context as never);
      } catch (err) {
        return ended(err, streams.signal);
      }
    },
    async typed(message, expected) {
      const { input } = await import('@inquirer/prompts');
      try {
        const answer = await input({ message, ...theme }, context as never);
        return answer.trim() === expected;
      } catch (err) {
        return ended(err, streams.signal);
      }
    },
  };
}
