import { Argument, type Command, type Option } from 'commander';
import { APPLICATION_STATUSES, AUDIENCES, ENTITY_NAMES, SERVICE_STATUSES, AGENCY_STATUSES } from '../src/records/fields.js';
import type { CompletionNode, CompletionOption, Values } from '../src/output/completion.js';
import type { Ctx } from './context.js';
import type { Bind } from './bind.js';

// `egovctl completion bash|zsh|fish`: a completion script built from the command tree as
// commander holds it, with the entity names and the config file's target names.

const SHELLS = ['bash', 'zsh', 'fish'] as const;

/** Options whose value is a path. */
const FILE_OPTIONS = new Set(['--out', '--config', '--backup', '--reject-file', '--agencies', '--services', '--sign-key', '--key']);

export function registerCompletion(program: Command, bind: Bind): void {
  program
    .command('completion')
    .description('print a shell completion script: commands, options, entity and target names')
    .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
    .addHelpText('after', [
      '',
      'Target names are those of the config file found now: generate the script again after',
      'adding targets.',
      '',
      'Examples:',
      '  egovctl completion bash > ~/.local/share/bash-completion/completions/egovctl',
      '  source <(egovctl completion bash)            # or this, in ~/.bashrc',
      '  egovctl completion zsh > "${fpath[1]}/_egovctl"',
      '  egovctl completion fish > ~/.config/fish/completions/egovctl.fish',
    ].join('\n'))
    .action(bind(async (ctx: Ctx, shell: (typeof SHELLS)[number]) => {
      const root = tree(program, targetNames(ctx));
      const { bashScript, fishScript, zshScript } = await import('../src/output/completion.js');
      ctx.stdout.write(shell === 'bash' ? bashScript(root) : shell === 'zsh' ? zshScript(root) : fishScript(root));
      return 0;
    }));
}

/** The config file's targets; none when there is no file or it does not parse (a script is still useful). */
function targetNames(ctx: Ctx): string[] {
  try {
    return Object.keys(ctx.config().file?.targets ?? {});
  } catch {
    return [];
  }
}

function optionValues(o: Option, targets: string[]): Values {
  if (o.argChoices) return o.argChoices;
  const long = o.long ?? '';
  if (long === '--target') return targets;
  if (FILE_OPTIONS.has(long)) return 'files';
  // every entity's statuses: the shell does not know which entity the line names
  if (long === '--status') return [...new Set([...SERVICE_STATUSES, ...AGENCY_STATUSES, ...APPLICATION_STATUSES])];
  if (long === '--audience') return AUDIENCES;
  return null;
}

function argValues(name: string, choices: readonly string[] | undefined): Values {
  if (choices) return choices;
  if (name === 'entity') return ENTITY_NAMES;
  if (name === 'path' || name === 'file') return 'files';
  return null;
}

export function tree(program: Command, targets: string[]): CompletionNode {
  const node = (cmd: Command, path: string): CompletionNode => {
    const options: CompletionOption[] = (cmd.options as Option[]).filter((o) => !o.hidden).map((o) => ({
      flags: [o.long, o.short].filter((f): f is string => !!f),
      takesValue: o.required || o.optional,
      values: optionValues(o, targets),
      description: o.description,
    }));
    if (!path) options.push({ flags: ['--help', '-h'], takesValue: false, values: null, description: 'show help' });
    const subs = cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden).map((c) => node(c, path ? `${path} ${c.name()}` : c.name()));
    return {
      path,
      name: cmd.name(),
      description: cmd.description(),
      subcommands: subs,
      options,
      args: cmd.registeredArguments.map((a) => argValues(a.name(), a.argChoices)),
    };
  };
  const root = node(program, '');
  // commander's own `help [command]`
  root.subcommands.push({ path: 'help', name: 'help', description: 'show help for a command', subcommands: [], options: [], args: [root.subcommands.map((c) => c.name)] });
  return root;
}
