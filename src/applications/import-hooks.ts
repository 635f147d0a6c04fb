import type { Knex } from 'knex';
import { ENTITIES, type RecordValues } from '../records/fields.js';
import { storedAgencies } from '../import/agency-refs.js';
import { RetryStaged, type EntityImport, type ImportRun } from '../import/run.js';
import { selectRows } from '../import/stage.js';
import { q } from '../import/stage-columns.js';
import { timed } from '../import/timing.js';
import { DEFAULT_TIME_ZONE, TimeZone } from '../time/zone.js';
import { ensureMonthPartitions } from './partitions.js';
import { ApplicationRefs } from './refs.js';
import { StoredServices } from './service-versions.js';

// What the import of applications adds to the generic one (import/entity-hooks.ts): their
// services and handling agencies checked in memory as they are read, with the deadlines
// set (SPEC §10); the month partitions (PostgreSQL) the rows need; a lock that makes two
// imports take turns; and, after a direct load, the checks it could not make as it went.

const TABLE = ENTITIES.applications.table;

export function applicationHooks(): EntityImport {
  /** the UTC months of submitted_at (the PostgreSQL partitions the rows need) */
  const months = new Set<string>();
  // The partitions of the months the rows fall in, in this transaction: a rollback leaves none.
  const partitions = async (run: ImportRun, trx: Knex.Transaction) => {
    if (!run.dialect.monthPartitions) return;
    const made = await ensureMonthPartitions(trx, months);
    if (made.length) run.env.logger.debug(`import: made the partitions ${made.join(', ')}`);
  };
  return {
    direct: true,
    // ids of applications are unique by the import's check, not by a constraint (the primary
    // key holds submitted_at too): two imports of them at once take turns, readers do not wait.
    begin: (run, trx) => run.dialect.lockWriters(trx, TABLE),
    refs: async (run, trx) => new ApplicationRefs(await StoredServices.load(trx), await storedAgencies(trx), new TimeZone(run.o.timeZone ?? DEFAULT_TIME_ZONE)),
    onRecord(values: RecordValues) {
      const month = (values.submitted_at as string).slice(0, 7);
      if (months.has(month)) return false;
      months.add(month);
      // Loading straight into the partitioned table: the rows of a month not seen yet
      // go in a COPY statement of their own, before which its partition is made.
      return true;
    },
    beforeSegment: partitions,
    async afterDirect(run, trx) {
      // The records after the first bad one were not sent, so ids they repeat were not
      // seen; validate would report them. Start over, staged, to report every issue.
      if (run.bad > 0) throw new RetryStaged();
      run.env.signal.throwIfAborted();
      // The primary key is (id, submitted_at) (partitioning): an id twice with different
      // times is no unique violation. Start over, staged, to report every line.
      const twice = await timed('duplicate ids (direct)', () => selectRows(trx, `select id from ${q(TABLE)} group by id having count(*) > 1 limit 1`));
      if (twice.length) throw new RetryStaged();
    },
    beforeMerge: partitions,
  };
}
