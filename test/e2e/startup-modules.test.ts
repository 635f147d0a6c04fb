import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildProgram } from '../../commands/program.js';
import { BIN, ROOT, scratch } from '../helpers/cli.js';

// Start-up (issue 18): a command loads what it uses. `--help` of every command, `--version`
// and the completion scripts load commander and the command descriptions, never a database
// driver, knex, chalk or the modules that read files or talk to a database. What a process
// loaded is recorded by a preload (CJS requires, through Module._load) and module hooks (ES
// modules), both writing to a file; the last test shows that they do see knex and the
// driver when a command does connect. (Timings are for the benchmark, test/bench/startup.ts.)

let home: ReturnType<typeof scratch>;
let preload: string;

beforeAll(() => {
  home = scratch('egovctl-startup-');
  const hooks = path.join(home.dir, 'hooks.mjs');
  fs.writeFileSync(hooks, [
    "import fs from 'node:fs';",
    'export async function load(url, context, next) {',
    '  fs.appendFileSync(process.env.EGOVCTL_TEST_MODULE_LOG, `${url}\\n`);',
    '  return next(url, context);',
    '}',
  ].join('\n'));
  preload = path.join(home.dir, 'preload.cjs');
  fs.writeFileSync(preload, [
    "const fs = require('node:fs');",
    "const Module = require('node:module');",
    `Module.register(${JSON.stringify(pathToFileURL(hooks).href)});`,
    'const load = Module._load;',
    'Module._load = function (request, parent, isMain) {',
    '  try { fs.appendFileSync(process.env.EGOVCTL_TEST_MODULE_LOG, `${Module._resolveFilename(request, parent, isMain)}\\n`); } catch {}',
    '  return load.apply(this, arguments);',
    '};',
  ].join('\n'));
});
afterAll(() => home.cleanup());

/** The modules a run of the binary loaded: packages by name, the tool's own by path from the root. */
function loaded(args: string[]): { code: number | null; packages: string[]; own: string[] } {
  const log = path.join(home.dir, `modules-${Math.random().toString(36).slice(2)}.log`);
  const r = spawnSync(process.execPath, ['--require', preload, BIN, ...args], {
    cwd: home.dir,
    env: { ...home.env, EGOVCTL_TEST_MODULE_LOG: log },
    encoding: 'utf8',
  });
  const files = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map((u) => (u.startsWith('file:') ? new URL(u).pathname : u)) : [];
  const packages = new Set<string>();
  const own = new Set<string>();
  for (const f of files) {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f);
    if (m) packages.add(m[1]!);
    else if (f.startsWith(`${ROOT}/`)) own.add(path.relative(ROOT, f));
  }
  return { code: r.status, packages: [...packages].sort(), own: [...own].sort() };
}

/** What --help, --version and completion have no use for. */
const NOT_AT_START = /^dist\/src\/(db\/(connect|dialect|migrator|doctor|drop-plan)|import|export|registry|audit|validate|io|applications|report\/discipline\.|records\/validate)/;

function paths(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.flatMap((c) => [[...prefix, c.name()], ...paths(c, [...prefix, c.name()])]);
}

describe('what start-up loads', () => {
  test('--help of the program and of every command: commander and the command files only', () => {
    const all = paths(buildProgram(() => async () => {}));
    expect(all.length).toBeGreaterThan(20);
    for (const args of [['--help'], ['--version'], ...all.map((p) => [...p, '--help']), ['help', 'migrate', 'rollback']]) {
      const r = loaded(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.packages, args.join(' ')).toEqual(['commander']);
      expect(r.own.filter((f) => NOT_AT_START.test(f)), args.join(' ')).toEqual([]);
    }
  });

  test('completion scripts and config show load no database driver, knex or chalk', () => {
    for (const args of [['completion', 'bash'], ['completion', 'zsh'], ['completion', 'fish'], ['config', 'show']]) {
      const r = loaded(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.packages, args.join(' ')).toEqual(['commander']);
    }
  });

  test('a command that connects is seen loading knex and its driver (the recording works)', () => {
    const r = loaded(['--db', `sqlite:${path.join(home.dir, 'x.sqlite')}`, 'doctor']);
    expect(r.code).toBe(0);
    expect(r.packages).toEqual(expect.arrayContaining(['commander', 'knex', 'better-sqlite3']));
    expect(r.own).toEqual(expect.arrayContaining(['dist/src/db/connect.js', 'dist/src/db/doctor.js']));
  });
});
