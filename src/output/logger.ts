import { redact } from '../config/redact.js';

// Logs, progress, warnings and prompts go to standard error (SPEC §5). --quiet leaves
// only errors; --verbose adds debug lines.

export interface Logger {
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
  readonly level: LogLevel;
}

export type LogLevel = 'quiet' | 'normal' | 'verbose';

export interface Paint {
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export const plain: Paint = { red: (s) => s, yellow: (s) => s, green: (s) => s, dim: (s) => s, bold: (s) => s };

export function createLogger(stream: NodeJS.WritableStream, level: LogLevel, paint: Paint = plain): Logger {
  const write = (s: string) => stream.write(`${redact(s)}\n`);
  return {
    level,
    error: (m) => write(`${paint.red('error:')} ${m}`),
    warn: (m) => level !== 'quiet' && write(`${paint.yellow('warning:')} ${m}`),
    info: (m) => level !== 'quiet' && write(m),
    debug: (m) => level === 'verbose' && write(paint.dim(m)),
  };
}

/** A logger that keeps lines, for tests and for core code run without a terminal. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    level: 'verbose',
    error: (m) => lines.push(`error: ${m}`),
    warn: (m) => lines.push(`warning: ${m}`),
    info: (m) => lines.push(m),
    debug: (m) => lines.push(`debug: ${m}`),
  };
}
