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

export interface ConfigCandidate {
  path: string;
  /** how `config show` and `doctor` name where it was found */
  source: string;
}

/**
 * Where a config file is looked for when neither --config nor EGOVCTL_CONFIG names one,
 * first found wins (as git, gh and most tools do): the working directory, the user's
 * ($XDG_CONFIG_HOME/egovctl/config.json, else ~/.config/egovctl/config.json), the system's
 * (/etc/egovctl/config.json). EGOVCTL_SYSCONFDIR replaces /etc, for tests and packagers.
 */
export function configCandidates(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ConfigCandidate[] {
  const xdg = env.XDG_CONFIG_HOME;
  const user = xdg && path.isAbsolute(xdg)
    ? { path: path.join(xdg, 'egovctl', 'config.json'), source: 'user config ($XDG_CONFIG_HOME/egovctl/config.json)' }
    : { path: path.join(env.HOME || os.homedir(), '.config', 'egovctl', 'config.json'), source: 'user config (~/.config/egovctl/config.json)' };
  const etc = env.EGOVCTL_SYSCONFDIR && path.isAbsolute(env.EGOVCTL_SYSCONFDIR) ? env.EGOVCTL_SYSCONFDIR : '/etc';
  return [
    { path: path.join(cwd, 'egovctl.config.json'), source: 'egovctl.config.json in the working directory' },
    user,
    { path: path.join(etc, 'egovctl', 'config.json'), source: `system config (${path.join(etc, 'egovctl', 'config.json')})` },
  ];
}
