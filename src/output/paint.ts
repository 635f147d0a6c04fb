import type { Paint } from './logger.js';
import { plain } from './logger.js';

/** Colour only on a terminal, never with NO_COLOR set or --no-color (SPEC §5). */
export function wantColor(stream: { isTTY?: boolean }, flag: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return flag && !!stream.isTTY && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}

export async function makePaint(color: boolean): Promise<Paint> {
  if (!color) return plain;
  const { Chalk } = await import('chalk');
  const c = new Chalk({ level: 1 });
  return { red: c.red, yellow: c.yellow, green: c.green, dim: c.dim, bold: c.bold };
}
