import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { auditRows, openTestDb, seed, service, type Dialect, type TestDb } from '../helpers/registry-seed.js';

// SIGINT while a purge is running (backing up 50,000 services): the transaction rolls
// back, the partial backup goes, the audit row says interrupted, and the exit code is 130.

const N = 50_000;

describe.each<Dialect>(['pg', 'sqlite'])('an interrupted purge on %s', (dialect) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(dialect);
    await seed(t.db, Array.from({ length: N }, (_, i) => service(`P-${String(i).padStart(6, '0')}`, { status: 'retired', effective_to: '2024-01-01', description: 'x'.repeat(300) })));
  }, 120_000);
  afterAll(async () => t?.cleanup());

  test('leaves every service, no backup file, outcome interrupted, exit 130', async () => {
    const child = spawn(process.execPath, [BIN, '--db', t.url, 'registry', 'purge', '--status', 'retired', '--yes'], { env: t.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      // the plan is printed just before the backup starts
      if (/About to delete/.test(stderr) && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toContain('interrupted by SIGINT');
    expect(code).toBe(130);
    const [row] = await t.db.knex('services').count({ n: '*' });
    expect(Number((row as { n: number | string }).n)).toBe(N);
    const backups = path.join(t.dataDir, 'backups');
    expect(fs.existsSync(backups) ? fs.readdirSync(backups) : []).toEqual([]);
    expect((await auditRows(t))[0]).toMatchObject({ command: 'registry purge', outcome: 'interrupted' });
  });
});
