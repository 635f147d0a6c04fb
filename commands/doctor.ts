import type { Command } from 'commander';
import type { DoctorReport } from '../src/db/doctor.js';
import { parentsFirst } from '../src/records/fields.js';
import type { Ctx } from './context.js';
import type { Bind } from './bind.js';
import { runTargets } from './run.js';

export function registerDoctor(program: Command, bind: Bind): void {
  program
    .command('doctor')
    .description('check a target: config source, connectivity, server version, migrations, lock, row counts (agencies, services, applications and their monthly partitions)')
    .addHelpText('after', '\nExit 0 when healthy (pending migrations are reported, not failed), 5 when unreachable,\n6 when an applied migration was modified or is unknown.\n\nExamples:\n  egovctl doctor\n  egovctl --db postgres://egov@db1/registry doctor --json\n  egovctl --all-targets doctor')
    .action(bind(async (ctx: Ctx) => runTargets(ctx, async (t) => {
      const { doctor } = await import('../src/db/doctor.js');
      const { report, exitCode } = await doctor(t);
      // which config file was read, if any: run from another directory, this is the first
      // thing to check
      const file = ctx.config().file;
      return { result: { ...report, config_file: file ? { path: file.path, source: file.source } : null }, exitCode };
    }, (r) => present(ctx, r))));
}

function present(ctx: Ctx, r: DoctorReport & { config_file: { path: string; source: string } | null }): void {
  const p = ctx.paint;
  const yes = (b: boolean) => (b ? p.green('yes') : p.red('no'));
  const lines = [
    `target          ${r.target}`,
    `url             ${r.url}`,
    `config from     ${r.config_source}`,
    `config file     ${r.config_file ? `${r.config_file.path} (${r.config_file.source})` : '(none)'}`,
    `reachable       ${yes(r.reachable)}`,
  ];
  if (r.reachable) {
    lines.push(
      `server          ${r.server_version}`,
      `migrations      ${r.applied} applied, ${r.pending ? p.yellow(`${r.pending} pending`) : '0 pending'}, ${r.modified ? p.red(`${r.modified} modified`) : '0 modified'}`,
      `lock            ${r.locked ? p.yellow(`held${r.lock?.pid ? ` by session ${r.lock.pid}` : ''}${r.lock?.since ? ` since ${r.lock.since}` : ''}`) : 'free'}`,
      ...parentsFirst().map((d) => `${d.name.padEnd(16)}${r.counts[d.name] ?? '-'}${d.monthlyPartitions && r.application_partitions !== null ? ` in ${r.application_partitions} monthly partition${r.application_partitions === 1 ? '' : 's'}` : ''}`),
      `registry log    ${r.registry_log ? `${r.registry_log.size} entries, root ${r.registry_log.root}, last head ${r.registry_log.head_verifies ? p.green('verifies') : p.red('does NOT verify')} (from the head at ${r.registry_log.checked_from}; registry verify checks all)` : '-'}`,
    );
  }
  ctx.report.write(`${lines.join('\n')}\n`);
  if (r.reachable) for (const prob of r.problems) ctx.logger.warn(prob);
  else {
    // the error, then what to check next, as every other command shows them
    const [first, ...hints] = r.problems;
    if (first) ctx.logger.error(first);
    for (const h of hints) ctx.stderr.write(`  - ${h}\n`);
  }
}
