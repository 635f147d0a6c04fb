// Time and peak memory of the built binary on hostile inputs (issues 12 and 13): each is
// generated on the fly and fed to `validate file … -` through a pipe (nothing is written
// to disk but the gzip bomb's 1 MB), and /usr/bin/time gives the child's peak RSS.
//
// Run: npm run build && npx tsc -p . && node dist/test/bench/hostile-inputs.js [name…]
// The targets: each finishes in seconds, with a flat peak RSS (about that of a small file),
// and exits 0 or 3 (never 1).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const BIN = fileURLToPath(new URL('../../../bin/egovctl.js', import.meta.url));
const HEADER = 'code,agency_code,name_uz,name_ru,name_en,description,audience,sector,status,fee_uzs,fee_bhm_percent,processing_days,channels,legal_basis,required_documents,output,effective_from,effective_to';
const GOOD = 'SV-1,AG-1,Xizmat,Услуга,,desc,G2C,,draft,0,,5,portal,,,,,';
const MB = 1 << 20;

/** `total` bytes of `fill`, in 1 MB pieces, between a head and a tail. */
function* repeated(head: string, fill: string, total: number, tail: string): Generator<Buffer> {
  yield Buffer.from(head);
  const piece = Buffer.from(fill.repeat(Math.ceil(MB / fill.length)).slice(0, MB));
  for (let n = 0; n < total; n += MB) yield n + MB <= total ? piece : piece.subarray(0, total - n);
  yield Buffer.from(tail);
}

interface Case {
  name: string;
  format: string;
  input: () => Iterable<Buffer> | string;
}

const CASES: Case[] = [
  { name: '32 MB unquoted value', format: 'csv', input: () => repeated(`${HEADER}\nSV-1,AG-1,`, 'a', 32 * MB, `,,,,,,,,,,,,,,,\n${GOOD}\n`) },
  { name: '200 MB quoted field', format: 'csv', input: () => repeated(`${HEADER}\nSV-1,AG-1,"`, 'b', 200 * MB, `",,,,,,,,,,,,,,,\n${GOOD}\n`) },
  { name: '100 MB NDJSON line', format: 'ndjson', input: () => repeated('{"code":"SV-1","description":"', 'c', 100 * MB, '"}\n{"code":"SV-2"}\n') },
  { name: '100 MB NDJSON named .json', format: 'json', input: () => repeated('', '{"code":"SV-1","name_uz":"x"}\n', 100 * MB, '') },
  {
    name: 'CR-only 16 MB file', format: 'csv',
    input: () => repeated(`${HEADER}\r`, `${GOOD.replace('desc', 'description of some length')}\r`, 16 * MB, ''),
  },
  {
    // records just under the 1 MiB limit, of 110,000 values each: parsed once, not once a chunk
    name: '20 records of 110k values', format: 'csv',
    input: () => repeated(`${HEADER}\n`, `${Array.from({ length: 110_000 }, () => 'abcdefg').join(',')}\n`, 17 * MB, ''),
  },
  { name: '120k-cell header', format: 'csv', input: () => [Buffer.from(Array.from({ length: 120_000 }, (_, i) => `c${i}`).join(',') + '\n')] },
  ...(['csv', 'ndjson'] as const).map((format): Case => ({
    name: `1 GB gzip bomb as ${format}`, format,
    input: () => {
      const dir = mkdtempSync(join(tmpdir(), 'egov-bomb-'));
      const path = join(dir, 'bomb.csv.gz');
      // 1 GB of NULs, compressed a piece at a time (gzip members concatenate).
      const member = gzipSync(Buffer.alloc(64 * MB), { level: 9 });
      writeFileSync(path, Buffer.concat(Array.from({ length: 16 }, () => member)));
      return path;
    },
  })),
];

async function run(c: Case): Promise<string> {
  const input = c.input();
  const timeFile = join(tmpdir(), `egov-time-${process.pid}`);
  const path = typeof input === 'string' ? input : '-';
  const started = process.hrtime.bigint();
  const child = spawn('/usr/bin/time', ['-f', '%M', '-o', timeFile, process.execPath, BIN, 'validate', 'file', 'services', path,
    '--format', c.format, '--json', '--max-issues', '3'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin.on('error', () => {}); // the reader may stop early (a broken .json): EPIPE is expected
  if (typeof input === 'string') child.stdin.end();
  else Readable.from(input).pipe(child.stdin);
  const code: number = await new Promise((resolve) => child.on('close', (n) => resolve(n ?? -1)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rssMb = Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop()) / 1024;
  rmSync(timeFile, { force: true });
  if (typeof input === 'string') rmSync(join(input, '..'), { recursive: true, force: true });
  let what = err.trim().split('\n')[0] ?? '';
  try {
    const doc = JSON.parse(out) as { issues?: Array<{ code: string; line: number }>; errors?: number; error?: { message: string } };
    what = doc.error ? doc.error.message : `${doc.errors} errors: ${(doc.issues ?? []).map((i) => `${i.code}@${i.line}`).join(' ')}`;
  } catch {
    // not a JSON document: the first line of standard error says what happened
  }
  return `${c.name.padEnd(28)} exit ${String(code).padStart(3)}  ${seconds.toFixed(2).padStart(6)} s  ${rssMb.toFixed(0).padStart(4)} MB peak RSS  ${what.slice(0, 110)}`;
}

const wanted = process.argv.slice(2);
for (const c of CASES) {
  if (wanted.length && !wanted.some((w) => c.name.includes(w))) continue;
  process.stdout.write((await run(c)) + '\n');
}
