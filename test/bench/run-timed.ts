import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

// One command timed as a whole process, with its peak RSS: from /usr/bin/time -v where
// there is one, else by polling VmHWM in /proc. Shared by the benchmarks (it was written
// three times). A failure is returned, not thrown: the caller decides.

export interface TimedRun {
  ok: boolean;
  code: number | null;
  seconds: number;
  peakRssMb: number | null;
  stdout: string;
  /** the command's own standard error (what /usr/bin/time adds is taken off) */
  stderr: string;
}

export function runTimed(cmd: string, cmdArgs: string[], measureRss: boolean, env: NodeJS.ProcessEnv = process.env): Promise<TimedRun> {
  const useTime = measureRss && fs.existsSync('/usr/bin/time');
  const [file, argv] = useTime ? ['/usr/bin/time', ['-v', cmd, ...cmdArgs]] : [cmd, cmdArgs];
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], env });
    const out: Buffer[] = [];
    let stderr = '';
    let hwm = 0;
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const poll = measureRss && !useTime ? setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) hwm = Math.max(hwm, Number(m[1]));
      } catch { /* gone */ }
    }, 50) : null;
    child.on('error', (err) => resolve({ ok: false, code: null, seconds: 0, peakRssMb: null, stdout: '', stderr: String(err) }));
    child.on('close', (code) => {
      if (poll) clearInterval(poll);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      const kb = m ? Number(m[1]) : hwm;
      if (useTime) stderr = stderr.replace(/\n?\s*Command being timed:[\s\S]*$/, '').replace(/^Command exited with non-zero status \d+\n?/m, '');
      resolve({ ok: code === 0, code, seconds, peakRssMb: measureRss && kb ? kb / 1024 : null, stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
  });
}

/** runTimed, rejecting when the command fails (for benchmarks that stop at a failure). */
export async function runTimedOrThrow(cmd: string, cmdArgs: string[], measureRss: boolean, env: NodeJS.ProcessEnv = process.env): Promise<TimedRun> {
  const r = await runTimed(cmd, cmdArgs, measureRss, env);
  if (!r.ok) throw new Error(`${cmd} ${cmdArgs.join(' ')} exited ${r.code}:\n${r.stderr.slice(-2000)}`);
  return r;
}

export interface BenchSetup {
  /** an admin URL of the PostgreSQL server that may create databases */
  admin: string;
  /** this checkout's binary */
  bin: string;
  /** this checkout's binary, then the --before build's when one is given */
  builds: Array<{ name: string; bin: string }>;
}

/** What every whole-process benchmark checks first: a server to use, a built binary, the build to compare with. */
export function benchSetup(before: string | undefined): BenchSetup {
  const admin = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (!admin) throw new Error('set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL URL that may create databases');
  const bin = path.resolve('bin', 'egovctl.js');
  if (!fs.existsSync(bin)) throw new Error(`run from the repository root (no ${bin}); build first: npm run build`);
  if (before && !fs.existsSync(path.join(before, 'bin', 'egovctl.js'))) throw new Error(`--before ${before}: no bin/egovctl.js there`);
  return { admin, bin, builds: [{ name: 'egovctl', bin }, ...(before ? [{ name: 'before', bin: path.resolve(before, 'bin', 'egovctl.js') }] : [])] };
}
