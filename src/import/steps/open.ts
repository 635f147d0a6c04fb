import type { Db } from '../../db/connect.js';
import { openRecordSource } from '../../io/read-records.js';
import { noProgress } from '../../output/progress.js';
import type { ImportDialect } from '../dialect.js';
import { IssueLog } from '../issue-log.js';
import { RejectFile } from '../reject-file.js';
import type { EntityImport, ImportRun } from '../run.js';
import type { ImportEnv, ImportOptions, ImportReport } from '../types.js';

// Step 1: open the source, and with it the run's state.

export async function openRun(db: Db, o: ImportOptions, env: ImportEnv, started: number, dialect: ImportDialect, hooks: EntityImport): Promise<ImportRun> {
  const { entity } = o;
  const source = await openRecordSource({
    entity, path: o.path, format: o.format, encoding: o.encoding, delimiter: o.delimiter, stdin: env.stdin, signal: env.signal, sheet: o.sheet,
    // COPY takes bytes: a CSV file's records can go there as the bytes they were.
    utf8Bytes: dialect.byteStrings,
  });
  const log = new IssueLog(entity, source.sourceName, o.maxIssues, source.cellOf);
  const reject = o.rejectFile ? new RejectFile(o.rejectFile) : null;
  const progress = env.progress ?? noProgress;
  progress.total(source.bytesTotal, 'bytes');
  const report: ImportReport = {
    entity, source: source.sourceName, mode: o.mode, dry_run: o.dryRun, records: 0, inserted: 0, updated: 0, unchanged: 0,
    deleted: 0, rejected: 0, errors: 0, warnings: 0, issues: [], duration_ms: 0, truncated: false,
    target: db.target.name, backup: null, reject_file: o.rejectFile ?? null,
  };
  const now = (env.now?.() ?? new Date()).toISOString();
  return { db, o, env, dialect, hooks, source, log, reject, report, progress, now, started, direct: false, read: 0, staged: 0, asBytes: 0, bad: 0, logTap: null };
}
