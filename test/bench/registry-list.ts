// Probe: `egovctl registry list --limit 0` over N services (default 30,000), in its three
// forms — a table on a terminal (standard output on a pseudo-terminal, through `script`),
// tab-separated lines into a file, and --json — printing wall time and peak RSS of each.
// Issue 13.9: the table used to take 172 s and 451 MB for 30,000 rows (quadratic);
// every form should now take about as long as --json, in flat memory.
//
// Run (GNU time and util-linux `script` on PATH):
//   npm run build
//   npx tsc -p . --outDir dist/bench        (inside the repository, so node_modules resolve)
//   node dist/bench/test/bench/registry-list.js [rows=30000] [--db <url>]
// Without --db it uses a fresh SQLite file; with --db (an empty, migrated-or-not database)
// it imports there. BENCH_RUNS (default 3) runs of each form, interleaved; the best is shown.

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateAgencies, generateServices } from './gen-services.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = fs.existsSync(path.join(process.cwd(), 'bin', 'egovctl.js')) ? process.cwd() : path.resolve(here, '..', '..');
const BIN = path.join(root, 'bin', 'egovctl.js');
const args = process.argv.slice(2);
const dbAt = args.indexOf('--db');
const rows = Number(args.find((a, i) => /^\d+$/.test(a) && (dbAt < 0 || i !== dbAt + 1)) ?? 30_000);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'egovctl-list-bench-'));
const db = dbAt >= 0 ? args[dbAt + 1]! : `sqlite:${path.join(dir, 'bench.sqlite')}`;
const env = { ...process.env, HOME: dir, XDG_DATA_HOME: path.join(dir, 'data'), NO_COLOR: '1' };

function egovctl(...a: string[]): void {
  execFileSync(process.execPath, [BIN, '--db', db, '--quiet', ...a], { env, stdio: ['ignore', 'ignore', 'inherit'] });
}

interface Figure { seconds: number; rssMb: number; bytes: number }

/** One run under GNU time; `tty` puts standard output on a pseudo-terminal (120 columns). */
function timed(form: 'table' | 'tsv' | 'json'): Figure {
  const out = path.join(dir, `out-${form}`);
  const timeFile = path.join(dir, 'time');
  const cmd = ['/usr/bin/time', '-f', '%e %M', '-o', timeFile, process.execPath, BIN, '--db', db, 'registry', 'list', '--limit', '0', ...(form === 'json' ? ['--json'] : [])];
  if (form === 'table') {
    const quoted = cmd.map((c) => `'${c.replace(/'/g, "'\\''")}'`).join(' ');
    const r = spawnSync('script', ['-qfc', `stty cols 120; ${quoted} 2>/dev/null`, '/dev/null'], { env, stdio: ['ignore', fs.openSync(out, 'w'), 'inherit'] });
    if (r.status !== 0) throw new Error(`script exited ${r.status}`);
  } else {
    const r = spawnSync(cmd[0]!, cmd.slice(1), { env, stdio: ['ignore', fs.openSync(out, 'w'), 'ignore'] });
    if (r.status !== 0) throw new Error(`egovctl exited ${r.status}`);
  }
  const [secs, kb] = fs.readFileSync(timeFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
  return { seconds: secs!, rssMb: kb! / 1024, bytes: fs.statSync(out).size };
}

async function main(): Promise<void> {
  const agencies = path.join(dir, 'agencies.csv');
  const services = path.join(dir, 'services.csv');
  await generateAgencies(200, agencies, { seed: 1 });
  await generateServices(rows, services, { seed: 1 });
  egovctl('migrate', 'latest');
  egovctl('import', 'agencies', agencies);
  egovctl('import', 'services', services);
  const best: Record<string, Figure> = {};
  for (let i = 0; i < runs; i++) {
    for (const form of ['table', 'tsv', 'json'] as const) {
      const f = timed(form);
      if (!best[form] || f.seconds < best[form]!.seconds) best[form] = f;
    }
  }
  console.log(`registry list --limit 0, ${rows.toLocaleString('en')} services on ${db.split(':')[0]}, best of ${runs}:`);
  for (const [form, f] of Object.entries(best)) {
    console.log(`  ${form.padEnd(6)} ${f.seconds.toFixed(2).padStart(7)} s  ${f.rssMb.toFixed(0).padStart(5)} MB RSS  ${(f.bytes / 1e6).toFixed(1)} MB out  ×${(f.seconds / best.json!.seconds).toFixed(2)} of --json`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

void main();
