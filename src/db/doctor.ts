import type { Target } from '../config/resolve.js';
import { EgovError } from '../errors.js';
import { closeKnex, connect, serverVersion } from './connect.js';
import { applicationPartitions } from './drop-plan.js';
import { lockState, migrationStatus } from './migrator.js';
import { logStatus, type LogStatus } from '../registry/log-status.js';

export interface DoctorReport {
  target: string;
  url: string;
  config_source: string;
  reachable: boolean;
  server_version: string | null;
  applied: number;
  pending: number;
  modified: number;
  missing: number;
  locked: boolean;
  lock: { pid: number | null; since: string | null } | null;
  counts: { agencies: number | null; services: number | null; applications: number | null };
  /** PostgreSQL: the monthly partitions of applications; null on SQLite or before their migration */
  application_partitions: number | null;
  /** the registry log (SPEC §9): null before its migration */
  registry_log: LogStatus | null;
  problems: string[];
}

/** What an operator checks first; a report, never an exception for an unreachable server. */
export async function doctor(target: Target): Promise<{ report: DoctorReport; exitCode: number }> {
  const report: DoctorReport = {
    target: target.name,
    url: target.displayUrl,
    config_source: target.source,
    reachable: false,
    server_version: null,
    applied: 0,
    pending: 0,
    modified: 0,
    missing: 0,
    locked: false,
    lock: null,
    counts: { agencies: null, services: null, applications: null },
    application_partitions: null,
    registry_log: null,
    problems: [],
  };
  let db;
  try {
    db = await connect(target);
  } catch (err) {
    report.problems.push(err instanceof Error ? err.message : String(err));
    // what to check next: the host and port tried, where the URL came from
    if (err instanceof EgovError) report.problems.push(...err.details.map((d) => d.replace(/^- /, '')));
    return { report, exitCode: err instanceof EgovError ? err.exitCode : 5 };
  }
  try {
    report.reachable = true;
    report.server_version = await serverVersion(db);
    const st = await migrationStatus(db);
    Object.assign(report, { applied: st.applied, pending: st.pending, modified: st.modified, missing: st.missing });
    const lock = await lockState(db);
    report.locked = lock.locked;
    if (lock.locked) report.lock = { pid: lock.pid ?? null, since: lock.since ?? null };
    for (const table of ['agencies', 'services', 'applications'] as const) {
      if (await db.knex.schema.hasTable(table)) {
        const [row] = await db.knex(table).count({ n: '*' });
        report.counts[table] = Number((row as { n: number | string }).n);
      }
    }
    report.application_partitions = await applicationPartitions(db);
    report.registry_log = await logStatus(db.knex);
    if (report.registry_log && !report.registry_log.head_verifies) {
      report.problems.push(`the registry log's last tree head (size ${report.registry_log.size}) does not match its stored entries: run egovctl registry verify`);
    }
    if (st.pending) report.problems.push(`${st.pending} migration(s) pending: run egovctl migrate latest`);
    if (st.modified) report.problems.push(`${st.modified} applied migration(s) modified since they were applied`);
    if (st.missing) report.problems.push(`${st.missing} applied migration(s) unknown to this version of egovctl`);
    if (lock.locked) report.problems.push(`a migration lock is held${lock.pid ? ` by server session ${lock.pid}` : ''}${lock.since ? ` since ${lock.since}` : ''}`);
    return { report, exitCode: st.modified || st.missing ? 6 : 0 };
  } catch (err) {
    report.problems.push(err instanceof Error ? err.message : String(err));
    // what to check next: the host and port tried, where the URL came from
    if (err instanceof EgovError) report.problems.push(...err.details.map((d) => d.replace(/^- /, '')));
    return { report, exitCode: 5 };
  } finally {
    await closeKnex(db.knex).catch(() => {});
  }
}
