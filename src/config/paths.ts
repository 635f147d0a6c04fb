import os from 'node:os';
import path from 'node:path';

/** $XDG_DATA_HOME/egovctl, else ~/.local/share/egovctl (SPEC §5). */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_DATA_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(env.HOME || os.homedir(), '.local', 'share');
  return path.join(base, 'egovctl');
}

export function defaultSqlitePath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(dataDir(env), 'egovctl.sqlite');
}
