import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, expect, test } from 'vitest';
import { speedBench } from '../bench/speed.js';
import { pgAdminUrl } from '../helpers/pg.js';

// `npm run bench:speed` (issue 18) is the one command that measures every target: this runs
// it on a tiny registry (its figures mean nothing at this size) to show that every row of
// its table is measured with the built binary, each beside its floor, and that it leaves no
// database behind. Timings are the benchmark's business, never asserted here.

const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'egovctl-bench-speed-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test.skipIf(!onPath('psql'))('bench:speed measures every target beside its floor and cleans up (psql on the PATH)', async () => {
  process.env.BENCH_DATABASE_URL = pgAdminUrl();
  const lines: string[] = [];
  const rows = await speedBench(['300', '--small', '100', '--rounds', '1', '--dir', dir], (l) => lines.push(l));

  const sqlite = onPath('sqlite3');
  const labels = rows.map((r) => r.label);
  expect(labels).toHaveLength(19);
  for (const want of [/^`psql \\copy` into a bare table/, /registry-log rows/, /^egovctl import, empty table, log on$/, /^egovctl import, every record unchanged$/, /export floor/, /^egovctl export --out, CSV$/, /^egovctl export --out, NDJSON$/, /^egovctl import of 100 into the registry of 300$/, /^egovctl doctor, migrated empty database$/, /^egovctl doctor, the registry of 300/, /^egovctl --help$/, /sqlite3 \.import/, /^egovctl import on SQLite/, /^egovctl export --out on SQLite, CSV$/]) {
    expect(labels.some((l) => want.test(l)), String(want)).toBe(true);
  }
  const commands = rows.filter((r) => r.target !== null);
  expect(commands.map((r) => r.target)).toEqual([1.35, 1.5, 1.2, 1.3, 5, 4, 4, 1.5, 3.0, 1.5]);
  for (const r of rows) {
    const measured = sqlite || !/sqlite/i.test(r.label);
    if (!measured) {
      expect(r.seconds, r.label).toBeNull();
      continue;
    }
    expect(r.seconds, r.label).toBeGreaterThan(0);
    if (r.target !== null || /registry-log rows/.test(r.label)) expect(r.ratio, r.label).toBeGreaterThan(0);
    if (r.peakRssMb !== null) expect(r.peakRssMb, r.label).toBeGreaterThan(10);
  }
  // the printed table: a header, its rule and one line per row
  const table = lines.filter((l) => l.trimStart().startsWith('|'));
  expect(table).toHaveLength(rows.length + 2);

  const c = new pg.Client({ connectionString: pgAdminUrl() });
  await c.connect();
  try {
    const left = await c.query(`select datname from pg_database where datname like $1`, [`egovctl_speed_${process.pid}%`]);
    expect(left.rows).toEqual([]);
  } finally {
    await c.end();
  }
}, 300_000);
