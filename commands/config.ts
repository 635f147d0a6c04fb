import type { Command } from 'commander';
import { dbTimeouts } from '../src/db/timeouts.js';
import { writeList } from './list-output.js';
import { redactUrl } from '../src/config/redact.js';
import { writeJson } from '../src/output/json.js';
import type { Ctx } from './context.js';
import type { Bind } from './bind.js';

export function registerConfig(program: Command, bind: Bind): void {
  const config = program
    .command('config')
    .description('show the resolved configuration')
    .addHelpText('after', '\nExamples:\n  egovctl config show\n  egovctl --target central config show --json');
  config
    .command('show')
    .description('the resolved configuration and where each value came from, secrets as ***')
    .addHelpText('after', '\nThe config file: --config, else EGOVCTL_CONFIG, else the first that exists of\n./egovctl.config.json, $XDG_CONFIG_HOME/egovctl/config.json (~/.config/egovctl/config.json),\n/etc/egovctl/config.json.\n\nExamples:\n  egovctl config show\n  egovctl --config /srv/egovctl.json --all-targets config show --json')
    .action(bind(show));
}

async function show(ctx: Ctx): Promise<number> {
  const c = ctx.config();
  // loaded here, not for --help (issue 18)
  const [{ DEFAULT_BASE_IRI }, { DEFAULT_TIME_ZONE }, { configCandidates }] = await Promise.all([
    import('../src/config/base-iri.js'), import('../src/time/zone.js'), import('../src/config/paths.js'),
  ]);
  const doc = {
    config_file: c.file ? { path: c.file.path, source: c.file.source } : null,
    /** where a config file is looked for, in order, when --config and EGOVCTL_CONFIG name none */
    config_search: configCandidates(ctx.env, ctx.cwd).map((x) => x.path),
    selection: c.selection,
    targets: c.targets.map((t) => ({
      name: t.name,
      url: t.displayUrl,
      dialect: t.dialect,
      source: t.source,
      ...(t.passwordEnv ? { password_env: t.passwordEnv, password_set: !!ctx.env[t.passwordEnv] } : {}),
    })),
    default_target: c.file?.defaultTarget ?? null,
    defined_targets: c.file ? Object.entries(c.file.targets).map(([name, t]) => ({ name, url: redactUrl(t.url) })) : [],
    data_dir: c.dataDir,
    base_iri: c.file?.baseIri ?? DEFAULT_BASE_IRI,
    time_zone: c.file?.timeZone ?? DEFAULT_TIME_ZONE,
    timeouts: dbTimeouts(),
    output: { json: !!ctx.opts.json, quiet: !!ctx.opts.quiet, verbose: !!ctx.opts.verbose, color: ctx.opts.color !== false },
  };
  if (ctx.opts.json) {
    writeJson(ctx.stdout, doc);
    return 0;
  }
  const rows: Array<[string, string, string]> = [
    ['config file', c.file?.path ?? '(none)', c.file?.source ?? `no --config, no EGOVCTL_CONFIG, none of ${configCandidates(ctx.env, ctx.cwd).map((x) => x.path).join(', ')}`],
  ];
  for (const t of doc.targets) {
    rows.push([`target ${t.name}`, t.url, t.source]);
    if (t.password_env) rows.push(['  password', t.password_set ? '***' : '(not set)', `env ${t.password_env}`]);
  }
  if (doc.default_target) rows.push(['defaultTarget', doc.default_target, 'config file']);
  for (const t of doc.defined_targets) rows.push([`defined target ${t.name}`, t.url, 'config file']);
  rows.push(['baseIri', doc.base_iri, c.file?.baseIri ? 'config file' : 'default (CPSV-AP export IRIs)']);
  rows.push(['timeZone', doc.time_zone, c.file?.timeZone ? 'config file' : 'default (deadlines and the discipline report)']);
  const flagged = ctx.opts as { lockTimeout?: number; statementTimeout?: number; idleTimeout?: number };
  for (const [key, flag, given] of [['lock', '--lock-timeout', flagged.lockTimeout], ['statement', '--statement-timeout', flagged.statementTimeout], ['idle', '--idle-timeout', flagged.idleTimeout]] as const) {
    const from = given !== undefined ? `flag ${flag}` : c.file?.timeouts?.[key] !== undefined ? 'config file' : 'default';
    rows.push([`timeouts.${key}`, `${doc.timeouts[key]} s${doc.timeouts[key] === 0 ? ' (no limit)' : ''}`, from]);
  }
  rows.push(['data directory', c.dataDir, ctx.env.XDG_DATA_HOME ? 'env XDG_DATA_HOME' : '~/.local/share']);
  await writeList(ctx, ['setting', 'value', 'from'], rows);
  return 0;
}
