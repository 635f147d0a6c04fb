// Throughput and memory of `validate file` (SPEC targets: ≥100,000 records/s, ≤200 MB RSS).
//
// Run (Node 20 has no type stripping, so compile first; the repo tsconfig includes test/):
//   npx tsc -p . && node dist/test/bench/validate.js [services.csv [agencies.csv]] [--count N]
// Without a file it generates 1,000,000 services and their agencies into a temp dir
// (deterministic, seed 1) and deletes them afterwards. Generation is not timed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateFile } from '../../src/validate/validate-file.js';
import { generateAgencies, generateServices } from './gen-services.js';

async function main(args: string[]): Promise<void> {
  const countAt = args.indexOf('--count');
  const count = countAt >= 0 ? Number(args[countAt + 1]) : 1_000_000;
  const files = args.filter((a, i) => !a.startsWith('--') && (countAt < 0 || i !== countAt + 1));
  let services = files[0];
  let agencies = files[1];
  let tmp: string | undefined;
  if (!services) {
    tmp = mkdtempSync(join(tmpdir(), 'egov-bench-'));
    services = join(tmp, 'services.csv');
    agencies = join(tmp, 'agencies.csv');
    process.stderr.write(`generating ${count.toLocaleString('en')} services into ${tmp} …\n`);
    await generateServices(count, services, { seed: 1 });
    await generateAgencies(200, agencies, { seed: 1 });
  }
  try {
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    const report = await validateFile({
      entity: 'services',
      path: services,
      agenciesFile: agencies ? { entity: 'agencies', path: agencies } : undefined,
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    // CPU time as well: on a shared machine the wall clock also measures the neighbours.
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const rssMb = process.resourceUsage().maxRSS / 1024; // maxRSS is in kilobytes
    process.stdout.write(
      `records      ${report.records.toLocaleString('en')} (errors ${report.errors}, warnings ${report.warnings})\n` +
      `time         ${seconds.toFixed(2)} s\n` +
      `throughput   ${Math.round(report.records / seconds).toLocaleString('en')} records/s (target ≥ 100,000)\n` +
      `cpu time     ${cpuSeconds.toFixed(2)} s (${Math.round(report.records / cpuSeconds).toLocaleString('en')} records per CPU second)\n` +
      `peak RSS     ${rssMb.toFixed(0)} MB (target ≤ 200; includes generation when no file was given)\n`,
    );
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

await main(process.argv.slice(2));
