import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BIN, scratch } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/pg.js';
import { generateSql } from '../helpers/export-data.js';
import { runCli } from '../helpers/cli.js';
import pg from 'pg';

// --idle-timeout takes a link that carries no byte for its length for dead. A reader that
// stops reading (`egovctl export services | less`, left on its first page) is not a dead
// link: the server's bytes wait in our buffer. The export must carry on when the reader does.

describe('a slow reader of an export is not a dead link', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let home: ReturnType<typeof scratch>;
  beforeAll(async () => {
    db = await createTestDatabase('egovctl_slow');
    home = scratch();
    const m = await runCli(['--db', db.url, 'migrate', 'latest'], { env: home.env });
    expect(m.code, m.stderr).toBe(0);
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      await c.query(generateSql(20_000));
    } finally {
      await c.end();
    }
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
    home?.cleanup();
  });

  test('stdout not read for three idle timeouts, then read to the end: exit 0, every row', async () => {
    const child = spawn(process.execPath, [BIN, '--db', db.url, '--idle-timeout', '1', 'export', 'services', '--format', 'ndjson'], { env: home.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const chunks: Buffer[] = [];
    let got = 0;
    child.stdout.on('data', (d: Buffer) => {
      chunks.push(d);
      got += d.length;
      // after the first 64 KB, stop reading for 3.5 s: the pipe and the socket fill up
      if (got >= 65_536 && chunks.length && !(child.stdout as { stalled?: boolean }).stalled) {
        (child.stdout as { stalled?: boolean }).stalled = true;
        child.stdout.pause();
        setTimeout(() => child.stdout.resume(), 3_500);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).not.toContain('idle-timeout');
    expect(stderr).not.toContain('DeprecationWarning');
    expect(code, stderr).toBe(0);
    const lines = Buffer.concat(chunks).toString('utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(20_000);
    expect(JSON.parse(lines[19_999]!).code).toBe('SRV-0020000');
  }, 60_000);
});
