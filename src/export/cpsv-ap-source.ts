import type { Transform } from 'node:stream';
import type { Db } from '../db/connect.js';
import { DEFAULT_BASE_IRI } from '../config/base-iri.js';
import { UsageError } from '../errors.js';
import { fromRow } from '../records/db-row.js';
import { ENTITIES, type EntityName, type RecordValues } from '../records/fields.js';
import { CpsvApStream } from './cpsv-ap-stream.js';
import type { SnapshotSelect } from './pg-source.js';

// What a CPSV-AP export needs besides the service records: the agencies (few), read in the
// same snapshot before the services start, so that every competent authority is described
// as it was when the services were read.

export interface CpsvApPlan {
  /** runs in the export's snapshot, before the records */
  prelude(select: SnapshotSelect): Promise<void>;
  /** the stage that turns the records' NDJSON lines into the document */
  stage(): Transform;
}

export function cpsvApPlan(db: Db, entity: EntityName, baseIri: string | undefined): CpsvApPlan {
  if (entity !== 'services') throw new UsageError(`--format cpsv-ap describes public services: export services, not ${entity}`);
  let agencies: Map<string, RecordValues> | null = null;
  return {
    async prelude(select) {
      const q = db.knex(ENTITIES.agencies.table).select('*').orderBy('code').toSQL().toNative();
      const rows = await select(q.sql, q.bindings);
      agencies = new Map(rows.map((r) => [String(r.code), fromRow('agencies', r)]));
    },
    stage() {
      if (!agencies) throw new Error('cpsv-ap: the agencies were not read before the services');
      return new CpsvApStream({ baseIri: baseIri ?? DEFAULT_BASE_IRI, agencies });
    },
  };
}
