import fs from 'node:fs';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { main } from '../../commands/program.js';
import { createPrompter } from '../../src/prompts/prompter.js';
import { tempSqlite } from '../helpers/targets.js';

// The confirmation of SPEC §6 answered through an injected input: the same inquirer
// prompt a terminal user sees, fed by a stream.

function sink(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({ write(c, _e, cb) { chunks.push(String(c)); cb(); } }) as Writable & { text: () => string };
  w.text = () => chunks.join('');
  return w;
}

async function run(args: string[], answer?: string) {
  const input = new PassThrough();
  const stdout = sink();
  const stderr = sink();
  const prompter = createPrompter({ input, output: stderr, canAsk: answer !== undefined });
  if (answer !== undefined) setTimeout(() => input.write(answer), 150);
  const code = await main(['node', 'egovctl', ...args], { stdout, stderr, stdin: input, env: { HOME: '/nonexistent' }, prompter });
  input.destroy();
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

let db: ReturnType<typeof tempSqlite>;
beforeAll(async () => {
  db = tempSqlite();
  expect((await run(['--db', db.url, 'migrate', 'latest'])).code).toBe(0);
});
afterAll(() => db.cleanup());

async function pending(): Promise<number> {
  const r = await run(['--db', db.url, 'migrate', 'status', '--json']);
  return JSON.parse(r.stdout).pending as number;
}

describe('migrate down asks before undoing', () => {
  test('answered "n": exit 4, nothing undone', async () => {
    const r = await run(['--db', db.url, 'migrate', 'down'], 'n\n');
    expect(r.stderr).toContain('Undo 1 migration?');
    expect(r.code).toBe(4);
    expect(await pending()).toBe(0);
  });
  test('answered with just Enter: the default is no', async () => {
    const r = await run(['--db', db.url, 'migrate', 'down'], '\n');
    expect(r.code).toBe(4);
    expect(await pending()).toBe(0);
  });
  test('answered "y": undone', async () => {
    const r = await run(['--db', db.url, 'migrate', 'down'], 'y\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('undid 1 migration(s)');
    expect(await pending()).toBe(1);
    expect(fs.existsSync(db.file)).toBe(true);
  });
});
