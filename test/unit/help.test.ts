import type { Command } from 'commander';
import { expect, test } from 'vitest';
import { buildProgram } from '../../commands/program.js';

// SPEC §4: every command has --help with at least one example.

function helpOf(cmd: Command): string {
  const out: string[] = [];
  cmd.configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => out.push(s) });
  cmd.outputHelp();
  return out.join('');
}

function all(cmd: Command, path: string[] = []): Array<[string, Command]> {
  return cmd.commands.flatMap((c) => [[[...path, c.name()].join(' '), c] as [string, Command], ...all(c, [...path, c.name()])]);
}

test('every command and subcommand shows at least one example', () => {
  const program = buildProgram(() => async () => {});
  const commands = all(program);
  expect(commands.map(([n]) => n)).toEqual(expect.arrayContaining([
    'doctor', 'config show', 'migrate status', 'migrate latest', 'migrate up', 'migrate down', 'migrate rollback', 'migrate unlock',
    'import', 'validate file', 'validate db', 'export', 'registry list', 'registry show', 'registry retire', 'registry purge', 'db reset', 'audit list',
  ]));
  for (const [name, cmd] of commands) expect(helpOf(cmd), name).toMatch(/Examples:\n {2}(egovctl|gunzip|\S+ \|) /);
});
