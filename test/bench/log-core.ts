// Benchmark of the registry log's database-free core, on 1,000,000 generated services:
//   1. hash: build each item and entry (RFC 8785), hash them, feed the incremental head,
//      compute the root — what an import will add per record;
//   2. write: the same, written as a log file (LogWriter), plus the NDJSON export of it;
//   3. verify: `verifyLog` over that file (syntax, numbers, item hashes, the root against a
//      checkpoint), then again with --snapshot against the export (one hash per key kept);
//   4. append: the head of a 1M log restored from its stored state, 1,000 entries appended,
//      the new root — the cost of a run's new tree head — against recomputing from scratch.
// Each phase runs in its own process so that its peak RSS is its own.
//
// Run (Node 20 has no type stripping, so compile first, inside the repository):
//   npx tsc -p . --outDir dist/bench && node dist/bench/test/bench/log-core.js [n=1000000]
// BENCH_DIR: where the files go (default the system temporary directory).
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { toJsonText } from '../../src/records/db-row.js';
import type { RecordValues } from '../../src/records/fields.js';
import { checkpointNote } from '../../src/registry/log/checkpoint.js';
import { CompactRange } from '../../src/registry/log/compact-range.js';
import { entryBytes } from '../../src/registry/log/entry.js';
import { itemBytes, itemHash, itemOf } from '../../src/registry/log/item.js';
import { LogWriter } from '../../src/registry/log/log-writer.js';
import { leafHash } from '../../src/registry/log/merkle-hash.js';
import { generateKey, parseSignerKey, parseVerifierKey } from '../../src/registry/log/note-keys.js';
import { verifyLog } from '../../src/registry/log/verify-log.js';
import { prng } from './gen-services.js';

const UZ = ['davlat', 'xizmat', 'roʻyxatdan', 'oʻtkazish', 'guvohnoma', 'berish', 'tadbirkorlik', 'subyekti', 'litsenziya', 'ruxsatnoma', 'fuqarolar', 'hujjat'];
const RU = ['государственная', 'услуга', 'регистрация', 'выдача', 'свидетельства', 'предпринимательства', 'лицензия', 'разрешение', 'граждан', 'документ'];
const words = (r: () => number, list: string[], n: number) => Array.from({ length: n }, () => list[Math.floor(r() * list.length)]!).join(' ');

/** About 650 bytes of item a service, like the production registry of the field notes. */
function* services(n: number): Generator<RecordValues> {
  const r = prng(7);
  for (let i = 1; i <= n; i++) {
    const fee = r() < 0.5;
    yield {
      code: `SVC-${String(i).padStart(7, '0')}`, agency_code: `AG-${String(1 + Math.floor(r() * 200)).padStart(4, '0')}`,
      name_uz: words(r, UZ, 6), name_ru: words(r, RU, 5), name_en: null, description: `${words(r, UZ, 12)}. ${words(r, RU, 10)}.`,
      audience: ['G2C', 'G2B'], sector: 'Adliya', status: 'active', fee_uzs: fee ? String(Math.floor(r() * 1e6)) : null,
      fee_bhm_percent: fee ? null : `${Math.floor(r() * 500)}.5`, processing_days: Math.floor(r() * 60), channels: ['portal', 'center'],
      legal_basis: `Vazirlar Mahkamasining ${2015 + Math.floor(r() * 10)}-yil qarori`, required_documents: ['pasport', 'ariza'], output: 'guvohnoma',
      effective_from: '2020-01-01', effective_to: null, updated_at: '2026-11-01T08:00:00.000Z',
    };
  }
}

const STAMP = { actor: 'bench@host', timestamp: '2026-11-01T08:00:00.000Z' };

function rssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

async function phase(name: string, n: number, dir: string): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const out: Record<string, unknown> = {};
  const logFile = path.join(dir, 'bench.log');
  const exportFile = path.join(dir, 'bench.ndjson');
  const key = generateKey('bench');
  if (name === 'hash') {
    const range = CompactRange.empty();
    let number = 0;
    for (const s of services(n)) {
      const item = itemBytes(itemOf('services', s));
      range.append(leafHash(entryBytes({ number: ++number, ...STAMP, entity: 'services', op: 'put', key: String(s.code), item: itemHash(item) })));
    }
    out.root = range.root().toString('base64');
    fs.writeFileSync(path.join(dir, 'head.json'), JSON.stringify(range.state()));
  } else if (name === 'write') {
    const w = new LogWriter(fs.createWriteStream(logFile, { highWaterMark: 1 << 20 }));
    const exp = fs.createWriteStream(exportFile, { highWaterMark: 1 << 20 });
    for (const s of services(n)) {
      await w.put('services', s, STAMP);
      if (!exp.write(`${toJsonText('services', s)}\n`)) await new Promise<void>((r) => exp.once("drain", () => r()));
    }
    await w.end();
    await new Promise<void>((r) => exp.end(() => r()));
    fs.writeFileSync(path.join(dir, 'checkpoint.txt'), checkpointNote({ origin: 'bench', size: w.size, root: w.root() }, parseSignerKey(key.signer)));
    fs.writeFileSync(path.join(dir, 'key.pub'), key.verifier);
    out.root = w.root().toString('base64');
    out.bytes = fs.statSync(logFile).size;
  } else if (name === 'verify' || name === 'verify-snapshot') {
    const r = await verifyLog({
      log: logFile,
      checkpoints: [{ file: 'checkpoint.txt', bytes: fs.readFileSync(path.join(dir, 'checkpoint.txt')) }],
      keys: [parseVerifierKey(fs.readFileSync(path.join(dir, 'key.pub'), 'utf8'))],
      snapshot: name === 'verify-snapshot' ? { file: exportFile, entity: 'services' } : null,
    });
    if (!r.valid) throw new Error(`the benchmark log does not verify: ${JSON.stringify(r.issues.slice(0, 3))}`);
    out.root = r.root;
  } else if (name === 'append') {
    const state = JSON.parse(fs.readFileSync(path.join(dir, 'head.json'), 'utf8')) as ReturnType<CompactRange['state']>;
    const range = CompactRange.fromState(state);
    const extra = [...services(1000)].map((s, i) => ({ ...s, code: `NEW-${i}` }));
    const t1 = performance.now();
    let number = range.size;
    for (const s of extra) {
      const item = itemBytes(itemOf('services', s));
      range.append(leafHash(entryBytes({ number: ++number, ...STAMP, entity: 'services', op: 'put', key: String(s.code), item: itemHash(item) })));
    }
    const root = range.root();
    out.append_1000_ms = +(performance.now() - t1).toFixed(2);
    out.stored_state_bytes = JSON.stringify(range.state()).length;
    out.size = range.size;
    // Against a head recomputed by a pass over every leaf instead (leaf hashes given, so this
    // is the floor of any from-scratch recomputation: about 2n hashes).
    const t2 = performance.now();
    const scratch = CompactRange.empty();
    const leaf = crypto.createHash('sha256').update('leaf').digest();
    for (let i = 0; i < range.size; i++) scratch.append(leaf);
    scratch.root();
    out.recompute_from_scratch_ms = Math.round(performance.now() - t2);
    out.root = root.toString('base64');
  }
  out.ms = Math.round(performance.now() - t0);
  // CPU time too: on a shared machine the wall clock measures the neighbours as well.
  const cpu = process.cpuUsage();
  out.cpu_ms = Math.round((cpu.user + cpu.system) / 1000);
  out.peak_rss_mb = rssMb();
  return out;
}

async function main(): Promise<void> {
  const [, , first, second, third] = process.argv;
  if (first === '--phase') {
    const r = await phase(second!, Number(process.argv[5]), third!);
    process.stdout.write(`${JSON.stringify(r)}\n`);
    return;
  }
  const n = Number(first ?? 1_000_000);
  const dir = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'egovctl-log-bench-'));
  const self = fileURLToPath(import.meta.url);
  try {
    console.log(`registry log core, ${n.toLocaleString('en')} services (Node ${process.version}, ${os.cpus().length} cores)`);
    for (const name of ['hash', 'write', 'verify', 'verify-snapshot', 'append']) {
      const text = execFileSync(process.execPath, [self, '--phase', name, dir, String(n)], { encoding: 'utf8', maxBuffer: 1 << 20 });
      const r = JSON.parse(text) as Record<string, unknown>;
      const perSec = typeof r.ms === 'number' && name !== 'append' ? `, ${Math.round(n / ((r.ms as number) / 1000)).toLocaleString('en')} entries/s` : '';
      console.log(`${name.padEnd(16)} ${String(r.ms).padStart(7)} ms (CPU ${r.cpu_ms} ms)${perSec}, peak RSS ${r.peak_rss_mb} MB  ${JSON.stringify(Object.fromEntries(Object.entries(r).filter(([k]) => !['ms', 'cpu_ms', 'peak_rss_mb'].includes(k))))}`);
      console.log(`  load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
