import type { Command } from 'commander';
import { redactUrl } from '../src/config/redact.js';
import { renderTable } from '../src/output/table.js';
import { writeJson } from '../src/output/json.js';
import type { Ctx } from './context.js';
import type { Bind } from './program.js';

export function registerConfig(program: Command, bind: Bind): void {
  const config = program
    .command('config')
    .description('show the resolved configuration')
    .addHelpText('after', '\nExamples:\n  egovctl config show\n  egovctl --target central config show --json');
  config
    .command('show')
    .description('the resolved configuration and where each value came from, secrets as ***')
    .addHelpText('after', '\nExamples:\n  egovctl config show\n  egovctl --config /etc/egovctl.json --all-targets config show --json')
    .action(bind(show));
}

async function show(ctx: Ctx): Promise<number> {
  const c = ctx.config();
  const doc = {
    config_file: c.file ? { path: c.file.path, source: c.file.source } : null,
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
    output: { json: !!ctx.opts.json, quiet: !!ctx.opts.quiet, verbose: !!ctx.opts.verbose, color: ctx.opts.color !== false },
  };
  if (ctx.opts.json) {
    writeJson(ctx.stdout, doc);
    return 0;
  }
  const rows: Array<[string, string, string]> = [
    ['config file', c.file?.path ?? '(none)', c.file?.source ?? 'no egovctl.config.json, no --config, no EGOVCTL_CONFIG'],
  ];
  for (const t of doc.targets) {
    rows.push([`target ${t.name}`, t.url, t.source]);
    if (t.password_env) rows.push(['  password', t.password_set ? '***' : '(not set)', `env ${t.password_env}`]);
  }
  if (doc.default_target) rows.push(['defaultTarget', doc.default_target, 'config file']);
  for (const t of doc.defined_targets) rows.push([`defined target ${t.name}`, t.url, 'config file']);
  rows.push(['data directory', c.dataDir, ctx.env.XDG_DATA_HOME ? 'env XDG_DATA_HOME' : '~/.local/share']);
  ctx.stdout.write(`${renderTable(['setting', 'value', 'from'], rows)}\n`);
  return 0;
}
