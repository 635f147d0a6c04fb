import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runCli, scratch } from '../helpers/cli.js';

// Issue 13.13: `egovctl completion bash|zsh|fish`, built from the command tree, with the
// entity names and the config file's target names.

let s: ReturnType<typeof scratch>;
beforeAll(() => {
  s = scratch();
  fs.writeFileSync(path.join(s.dir, 'egovctl.config.json'), JSON.stringify({ targets: { tashkent: { url: 'sqlite:t.sqlite' }, samarqand: { url: 'sqlite:s.sqlite' } } }));
});
afterAll(() => s?.cleanup());

const has = (shell: string) => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;

/** What bash's completion function offers for the words typed (the last one being completed). */
function complete(script: string, words: string[]): string[] {
  const file = path.join(s.dir, 'egovctl.bash');
  fs.writeFileSync(file, script);
  const arr = words.map((w) => `'${w}'`).join(' ');
  const out = execFileSync('bash', ['-c', `source '${file}'; COMP_WORDS=(${arr}); COMP_CWORD=${words.length - 1}; _egovctl; printf '%s\\n' "\${COMPREPLY[@]}"`], { cwd: s.dir, encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
}

test('bash: commands, subcommands, options, entity names, option values and target names', async () => {
  const r = await runCli(['completion', 'bash'], { env: s.env, cwd: s.dir });
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  const script = r.stdout;
  expect(spawnSync('bash', ['-n'], { input: script }).status).toBe(0);
  expect(complete(script, ['egovctl', ''])).toEqual(['doctor', 'config', 'migrate', 'import', 'validate', 'export', 'registry', 'report', 'db', 'audit', 'completion', 'help']);
  expect(complete(script, ['egovctl', 'mi'])).toEqual(['migrate']);
  expect(complete(script, ['egovctl', 'migrate', ''])).toEqual(['status', 'latest', 'up', 'down', 'rollback', 'unlock']);
  expect(complete(script, ['egovctl', 'migrate', 'rollback', '--'])).toEqual(expect.arrayContaining(['--steps', '--all', '--dry-run', '--backup', '--no-backup', '--target', '--json']));
  expect(complete(script, ['egovctl', 'migrate', 'rollback', '--'])).not.toContain('--mode');
  expect(complete(script, ['egovctl', 'import', ''])).toEqual(['agencies', 'services', 'applications']);
  expect(complete(script, ['egovctl', '--target', 'tashkent', 'validate', 'file', 's'])).toEqual(['services']);
  expect(complete(script, ['egovctl', 'export', 'services', '--format', ''])).toEqual(['csv', 'json', 'ndjson', 'xlsx', 'cpsv-ap']);
  expect(complete(script, ['egovctl', '--target', ''])).toEqual(['tashkent', 'samarqand']);
  expect(complete(script, ['egovctl', 'registry', 'list', '-t', 's'])).toEqual(['samarqand']);
  expect(complete(script, ['egovctl', 'completion', ''])).toEqual(['bash', 'zsh', 'fish']);
  expect(complete(script, ['egovctl', 'help', 'reg'])).toEqual(['registry']);
  // a path argument completes to files
  expect(complete(script, ['egovctl', 'import', 'services', 'egovctl.con'])).toEqual(['egovctl.config.json']);
});

test('zsh and fish: scripts that name the commands (syntax-checked when the shell is here)', async () => {
  for (const shell of ['zsh', 'fish']) {
    const r = await runCli(['completion', shell], { env: s.env, cwd: s.dir });
    expect(r.code, shell).toBe(0);
    for (const word of ['migrate', 'rollback', 'registry', 'agencies', 'services', 'tashkent', 'all-targets']) expect(r.stdout, `${shell}: ${word}`).toContain(word);
    if (has(shell)) expect(spawnSync(shell, ['-n'], { input: r.stdout }).status, `${shell} -n`).toBe(0);
  }
  expect((await runCli(['completion', 'zsh'], { env: s.env, cwd: s.dir })).stdout).toMatch(/^#compdef egovctl/);
  expect((await runCli(['completion', 'fish'], { env: s.env, cwd: s.dir })).stdout).toContain("complete -c egovctl -f -n '__egovctl_at \\'migrate\\'' -a 'rollback'");
});

test('an unknown shell is a usage error', async () => {
  const r = await runCli(['completion', 'powershell'], { env: s.env, cwd: s.dir });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('bash, zsh, fish');
});
